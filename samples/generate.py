"""Build the synthetic corpus: clean text-layer PDFs of annual reports plus their truth JSON.

    python -m samples.generate --out DIR [--count N] [--seed S]     # DIR/clean/<name>.pdf + .truth.json
    python -m samples.generate --committed [--seed S]                # the small subset in samples/committed/

Report i of seed S is drawn from numpy's Generator seeded with (S, i) alone, so a report does not
depend on how many others are generated, and the same seed gives the same files byte for byte.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.template import SECTION_FIVE_2019, SECTIONS, SECTION_TITLES, TABLE_ACTIVE, TABLE_APPLICATIONS, TABLE_REVIEW

from .render import (
    FONT_FILES, FOOTER_STYLES, LABEL_VARIANTS, PARENT_STYLES, TITLE_FORMS, Layout, RenderResult,
    ReportDoc, layout_features, render_report, title_text,
)
from .values import BLANK_MARKERS, INCONSISTENCIES, ValueOptions, draw_report_values

log = logging.getLogger(__name__)

COMMITTED_DIR = Path(__file__).resolve().parent / "committed"
DEFAULT_COUNT = 40
COMMITTED_COUNT = 8

AGENCIES = (
    "淮安市洪泽区人民政府", "广州市荔湾区政务服务数据管理局", "上海市人民政府办公厅", "南京市生态环境局",
    "杭州市西湖区人民政府", "成都市武侯区教育局", "苏州市公安局", "无锡市人力资源和社会保障局",
    "宁波市鄞州区人民政府", "深圳市福田区卫生健康局", "武汉市江汉区人民政府办公室", "长沙县人民政府",
    "昆山市自然资源和规划局", "扬州市市场监督管理局", "徐州市住房和城乡建设局", "郑州市金水区人民政府",
    "合肥市财政局", "济南市历下区人民政府", "青岛市交通运输局", "西安市雁塔区人民政府",
    "福州市鼓楼区人民政府", "厦门市思明区城市管理局", "温州市人民政府", "绍兴市柯桥区人民政府",
    "常州市武进区农业农村局", "南通市人民政府", "泰州市民政局", "盐城市大丰区人民政府",
    "连云港市司法局", "宿迁市发展和改革委员会", "嘉兴市南湖区人民政府", "佛山市顺德区人民政府",
    "东莞市应急管理局", "湖州市人民政府", "台州市黄岩区人民政府", "淮安市人民政府",
    "沭阳县人民政府", "丰县教育局", "金湖县人民政府办公室", "镇江市文化广电和旅游局",
    "苏州市人民政府", "无锡市人民政府", "徐州市人民政府", "扬州市人民政府", "南京市人民政府",
    "重庆市人民政府", "海口市人民政府",
)


def agency_scale(agency: str) -> str:
    """City governments handle thousands of requests, districts tens, departments a few."""
    if agency.endswith("人民政府") and ("区" in agency[2:] or agency.endswith("县人民政府")):
        return "district"
    if agency.endswith("市人民政府"):
        return "city"
    return "department"


# --- prose ------------------------------------------------------------------------------------

_PREFACE = (
    "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《国务院办公厅政府信息与政务公开办公室"
    "关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》要求，由{agency}编制。",
    "报告全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、"
    "存在的主要问题及改进情况、其他需要报告的事项。",
    "本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。本报告电子版可在{agency}门户网站查阅或下载。"
    "如对本报告有疑问，请与{agency}办公室联系（电话：{phone}）。",
)
_OVERVIEW_LEADS = ("（一）主动公开情况。", "（二）依申请公开情况。", "（三）政府信息管理情况。",
                   "（四）政府信息公开平台建设情况。", "（五）监督保障情况。")
_OVERVIEW_SENTENCES = (
    "{year}年，{agency}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《条例》和上级关于政务公开工作的决策部署。",
    "全年通过门户网站主动公开政府信息{n1}条，其中政策文件{n2}件，政策解读{n3}篇。",
    "坚持“公开为常态、不公开为例外”原则，不断提升政务公开质量和实效。",
    "严格落实信息发布保密审查机制，全年未发生泄密事件。",
    "规范依申请公开办理流程，严格按照“受理、审查、答复”程序办理，确保在法定期限内答复。",
    "全年共收到政府信息公开申请{n4}件，均在法定期限内予以答复。",
    "对行政规范性文件进行全面清理，及时调整公开属性，动态更新政府信息公开指南和目录。",
    "持续优化政府网站政府信息公开专栏，完善栏目设置，规范内容保障。",
    "发挥政务新媒体传播优势，开设“政策解读”“重点领域信息公开”等专栏，累计发布信息{n5}条。",
    "将政务公开工作纳入年度绩效考核，组织开展专题培训{n6}次，提升工作人员业务能力。",
    "加强政府信息公开工作监督检查，按季度开展网站栏目巡查，发现问题及时督促整改。",
    "本年度未发生因政府信息公开工作受到责任追究的情况。",
)
# Some reports print a unit line between a section heading and its table.
_TABLE_UNIT_LINE = "（单位：件）"
_PROBLEMS = (
    "{year}年，{agency}政府信息公开工作取得了一定成效，但仍存在一些不足：一是政策解读形式较为单一，图文、音视频解读偏少；"
    "二是部分栏目信息更新不够及时；三是依申请公开答复的规范性有待进一步提高。",
    "下一步，我们将持续加强政策解读，丰富解读形式；完善信息发布审核机制，确保信息发布及时准确；"
    "加强业务培训，规范依申请公开办理工作，不断提升政务公开工作水平。",
)
_OTHER = (
    "依据《政府信息公开信息处理费管理办法》，本年度{fee}。",
    "本年度无其他需要报告的事项。",
    "{agency}认真落实人大代表建议和政协提案办理结果公开工作，全年办理建议提案{n7}件，办结率100%。",
)


def _fill(template: str, agency: str, year: int, rng: np.random.Generator,
          stated: dict | None = None) -> str:
    numbers = {f"n{i}": int(rng.integers(3, 3000)) for i in range(1, 8)}
    # Figures the prose restates from the tables are the tables' own, as in a real report.
    numbers.update(stated or {})
    phone = f"0{int(rng.integers(10, 999)):03d}-{int(rng.integers(10000000, 99999999))}"
    fee = "未收取信息处理费" if rng.random() < 0.7 else f"收取信息处理费{int(rng.integers(1, 9)) * 100}元"
    return template.format(agency=agency, year=year, phone=phone, fee=fee, **numbers)


def draw_prose(rng: np.random.Generator, agency: str, year: int, version: str,
               stated: dict | None = None) -> tuple[list[str], dict[str, list[str]]]:
    """Preface paragraphs and section paragraphs: fixed sentences, numbers and names drawn, but
    for the `stated` ones ({"n4": applications received this year}), which restate the tables."""
    preface = [_fill(t, agency, year, rng) for t in _PREFACE]
    overview = []
    n_leads = int(rng.integers(2, len(_OVERVIEW_LEADS) + 1))
    for lead in _OVERVIEW_LEADS[:n_leads]:
        picks = rng.choice(len(_OVERVIEW_SENTENCES), size=int(rng.integers(2, 5)), replace=False)
        overview.append(lead + "".join(_fill(_OVERVIEW_SENTENCES[i], agency, year, rng, stated)
                                       for i in sorted(picks)))
    sections = {SECTIONS[0]: overview}
    for table in (TABLE_ACTIVE, TABLE_APPLICATIONS, TABLE_REVIEW):
        if rng.random() < 0.3:
            sections[SECTION_TITLES[table]] = [_TABLE_UNIT_LINE]
    five = SECTION_FIVE_2019 if version == "2019" and rng.random() < 0.6 else SECTIONS[4]
    sections[five] = [_fill(t, agency, year, rng) for t in _PROBLEMS]
    sections[SECTIONS[5]] = [_fill(str(rng.choice(_OTHER)), agency, year, rng)]
    return preface, sections


# --- per-report plan --------------------------------------------------------------------------

@dataclass
class ReportPlan:
    index: int
    name: str
    agency: str
    year: int
    version: str
    split_six: bool
    layout: Layout
    value_options: ValueOptions


def plan_report(seed: int, index: int) -> ReportPlan:
    """Every random choice of report `index`, from its own Generator (seed, index)."""
    rng = np.random.default_rng([seed, index])
    # Primary features cycle with the index so every small corpus covers each of them.
    version = "2019" if index % 3 == 1 else "2021"
    split_six = version == "2021" and index % 5 != 3
    year = int(rng.choice([2019, 2020])) if version == "2019" else int(rng.integers(2021, 2025))
    agency = str(AGENCIES[int(rng.integers(len(AGENCIES)))])
    fonts = tuple(FONT_FILES)
    layout = Layout(
        body_font=str(rng.choice(fonts)),
        heading_font=str(rng.choice(["zenhei", "microhei"])),
        table_font=fonts[(index // 3 + index) % 3],
        body_size=float(rng.choice([12.0, 14.0, 16.0])),
        table_size=float(rng.choice([7.5, 8.0, 9.0, 10.0])),
        margin_x=float(rng.integers(56, 92)),
        margin_top=float(rng.integers(60, 86)),
        margin_bottom=float(rng.integers(56, 80)),
        footer=FOOTER_STYLES[index % len(FOOTER_STYLES)],
        footer_alternate=bool(rng.random() < 0.35),
        title_two_lines=bool(rng.random() < 0.4),
        title_spaced_year=index % 7 == 4,
        corner_diagonal=index % 2 == 0,
        parent_style=PARENT_STYLES[(index // 2) % len(PARENT_STYLES)],
        shade=[None, "gray", "blue"][index % 3 if index % 4 else (index // 4) % 3],
        repeat_header=(index // 3) % 2 == 0,
        applications_new_page=bool(rng.random() < 0.15),
        review_landscape=index % 4 == 2,
        active_separate_blocks=bool(rng.random() < 0.3),
        active_heading_style=str(rng.choice(["joined", "spaced", "halfwidth"], p=[0.6, 0.25, 0.15])),
        numbers_left=bool(rng.random() < 0.3),
        line_width=float(rng.choice([0.5, 0.75, 1.0])),
        table_width_frac=float(rng.uniform(0.94, 1.06)),
        label_col_frac=float(rng.uniform(0.36, 0.46)),
        label_variants=tuple(v for v in LABEL_VARIANTS if rng.random() < 0.25),
    )
    layout.outer_line_width = layout.line_width * (2.0 if rng.random() < 0.3 else 1.0)
    blank = rng.random() < 0.35
    options = ValueOptions(
        scale=agency_scale(agency),
        blank_marker=BLANK_MARKERS[(index // 2) % len(BLANK_MARKERS)] if blank else None,
        blank_share=float(rng.uniform(0.2, 0.9)) if blank else 0.0,
        amount_style=("plain", "yuan", "plain", "wanyuan", "plain")[index % 5],
        thousands_separator=bool(rng.random() < 0.25),
        inconsistency=(INCONSISTENCIES[(index // 6) % len(INCONSISTENCIES)] if index % 6 == 5
                       else str(rng.choice(INCONSISTENCIES)) if rng.random() < 0.06 else None),
    )
    name = f"synth-{seed}-{index:03d}-{version}"
    return ReportPlan(index, name, agency, year, version, split_six, layout, options)


LAYOUTS_DIR = "layouts"
LAYOUTS_SCAN_DIR = "layouts-scan200"
DEFAULT_LAYOUTS_COUNT = 12
BORDERLESS_DIR = "borderless"
BORDERLESS_SCAN_DIR = "borderless-scan200"
DEFAULT_BORDERLESS_COUNT = 12


def plan_layouts_report(seed: int, index: int) -> ReportPlan:
    """Report `index` of the `layouts` variant: the plan of the clean report `index`, printed with
    the forms that lost cells in real reports — （六）/（七） beside an empty, unmerged label cell
    (right or left), labels over two cells, block labels in their first row only, values with a
    note in table 二, wrapped or two-line titles, double rules (a second frame round each
    table, or each cell boxed inside its rules), tables without side rules, tables ruled by
    rows only, tables without a frame, headers printed white on a dark fill, and totals printed
    in red or blue."""
    plan = plan_report(seed, index)
    layout = dataclasses.replace(
        plan.layout,
        label_empty_cell=("right", "left")[index % 2],
        label_split=(index // 2) % 2 == 1,
        block_first_row=index % 3 != 0,
        title_form=TITLE_FORMS[index % len(TITLE_FORMS)],
        rule_style=("", "double_frame", "open_sides", "boxed_cells", "rows_only", "frameless")[index % 6],
        shade="dark" if index % 4 == 3 else plan.layout.shade,
        total_colour=("red", "blue")[(index // 4) % 2] if index % 4 == 1 else None,
        title_two_lines=False, title_spaced_year=False,
    )
    options = dataclasses.replace(plan.value_options, notes=True)
    name = f"layouts-{seed}-{index:03d}-{plan.version}"
    return dataclasses.replace(plan, name=name, layout=layout, value_options=options)


def plan_borderless_report(seed: int, index: int) -> ReportPlan:
    """Report `index` of the `borderless` variant: the clean report `index` with its tables drawn
    with no rule at all (a Word table with its borders off): rows and columns only where the
    text's spacing puts them."""
    plan = plan_report(seed, index)
    layout = dataclasses.replace(plan.layout, rule_style="none")
    return dataclasses.replace(plan, name=f"borderless-{seed}-{index:03d}-{plan.version}", layout=layout)


def build_doc(seed: int, plan: ReportPlan) -> ReportDoc:
    rng = np.random.default_rng([seed, plan.index, 1])   # content stream, separate from the plan's
    values = draw_report_values(rng, plan.version, plan.split_six, plan.value_options)
    received = values.value("applications", "1", "total") or 0
    preface, sections = draw_prose(rng, plan.agency, plan.year, plan.version, {"n4": received})
    title = title_text(plan.agency, plan.year, plan.layout.title_form)
    return ReportDoc(plan.name, plan.agency, plan.year, title, preface, sections, values, plan.layout)


def truth_cells(doc: ReportDoc) -> list[dict]:
    """What the document prints in every data cell: its value, the text where it is printed
    otherwise, the note beside it."""
    cells = []
    for (table, row, column), cell in doc.values.cells.items():
        entry = {"table": table, "row": row, "column": column, "value": cell.value}
        if cell.printed != str(cell.value):
            entry["printed"] = cell.printed
        if cell.note is not None:
            entry["note"] = cell.note
        cells.append(entry)
    return cells


def truth_of(doc: ReportDoc, result: RenderResult) -> dict:
    """The truth JSON: what the document prints for every data cell, where, and how it looks."""
    cells = truth_cells(doc)
    for entry in cells:
        page, bbox = result.cell_boxes[(entry["table"], entry["row"], entry["column"])]
        entry["page"], entry["bbox"] = page, list(bbox)
    return {
        "report": doc.name, "file": f"{doc.name}.pdf", "version": doc.values.version,
        "agency": doc.agency, "year": doc.year, "title": doc.title,
        "split_six": doc.values.split_six,
        "pages": result.n_pages, "table_pages": result.table_pages,
        "layout": sorted(set(layout_features(doc.layout, doc.values) + doc.values.features + result.features)),
        "inconsistent": doc.values.inconsistent,
        "inconsistencies": doc.values.inconsistencies,
        "cells": cells,
    }


def generate_one(seed: int, index: int, out_dir: Path, plan_of=plan_report) -> dict:
    """Render report `index` of `seed`, as `plan_of` plans it, into out_dir; returns its truth."""
    plan = plan_of(seed, index)
    doc = build_doc(seed, plan)
    pdf = out_dir / f"{doc.name}.pdf"
    result = render_report(doc, pdf)
    truth = truth_of(doc, result)
    (out_dir / f"{doc.name}.truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n",
                                                    encoding="utf-8")
    return truth


def committed_indices(seed: int, count: int = COMMITTED_COUNT, pool: int = 60) -> list[int]:
    """Greedy pick of reports whose features together cover the most (the small committed set).

    Features known before drawing (layout, values) are counted; page-break features come from
    rendering and are left to chance here.
    """
    planned = {}
    for i in range(pool):
        plan = plan_report(seed, i)
        values = build_doc(seed, plan).values
        feats = set(layout_features(plan.layout, values)) | set(values.features)
        feats |= {f"landscape:{plan.layout.review_landscape}", f"repeat:{plan.layout.repeat_header}",
                  f"shade:{plan.layout.shade}"}
        planned[i] = feats
    chosen: list[int] = []
    covered: set[str] = set()
    while len(chosen) < count:
        best = max((i for i in planned if i not in chosen), key=lambda i: (len(planned[i] - covered), -i))
        chosen.append(best)
        covered |= planned[best]
    return sorted(chosen)


def generate(out_dir: Path, seed: int, indices: list[int], plan_of=plan_report) -> list[dict]:
    out_dir.mkdir(parents=True, exist_ok=True)
    truths = []
    for n, i in enumerate(indices, 1):
        start = time.perf_counter()
        truth = generate_one(seed, i, out_dir, plan_of)
        size = (out_dir / truth["file"]).stat().st_size
        log.info("%d/%d %s: %s %s, %d pages, %.0f KB, %.2f s", n, len(indices), truth["report"],
                 truth["agency"], truth["year"], truth["pages"], size / 1024, time.perf_counter() - start)
        truths.append(truth)
    _log_coverage(truths)
    return truths


def _log_coverage(truths: list[dict]) -> None:
    counts: dict[str, int] = {}
    for t in truths:
        for f in t["layout"]:
            counts[f] = counts.get(f, 0) + 1
    log.info("feature coverage: %s", ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="corpus folder; PDFs go to OUT/clean/")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--layouts", type=int, default=DEFAULT_LAYOUTS_COUNT, metavar="N",
                        help=f"also N reports of the label, note and title forms in OUT/{LAYOUTS_DIR}/ "
                             f"and their 200 dpi scans in OUT/{LAYOUTS_SCAN_DIR}/ (0: none)")
    parser.add_argument("--borderless", type=int, default=DEFAULT_BORDERLESS_COUNT, metavar="N",
                        help=f"also N clean reports drawn with no table rule in OUT/{BORDERLESS_DIR}/ "
                             f"and their 200 dpi scans in OUT/{BORDERLESS_SCAN_DIR}/ (0: none)")
    parser.add_argument("--committed", action="store_true",
                        help=f"write the small covering subset to {COMMITTED_DIR}")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.committed:
        generate(COMMITTED_DIR, args.seed, committed_indices(args.seed))
        return 0
    if args.out is None:
        parser.error("--out is required unless --committed")
    generate(args.out / "clean", args.seed, list(range(args.count)))
    if args.layouts:
        generate_with_scans(args.out, LAYOUTS_DIR, LAYOUTS_SCAN_DIR, args.seed, args.layouts, plan_layouts_report)
    if args.borderless:
        generate_with_scans(args.out, BORDERLESS_DIR, BORDERLESS_SCAN_DIR, args.seed, args.borderless,
                            plan_borderless_report)
    return 0


def generate_with_scans(out: Path, text_dir: str, scan_dir: str, seed: int, count: int, plan_of) -> None:
    """OUT/text_dir/ (text reports, as `plan_of` plans them) and OUT/scan_dir/ (their 200 dpi
    scans): variants the bench reports on their own."""
    from .degrade import write_variant

    folder = out / text_dir
    generate(folder, seed, list(range(count)), plan_of)
    for pdf in sorted(folder.glob("*.pdf")):
        write_variant(pdf, out / scan_dir, "scan200", seed)


if __name__ == "__main__":
    raise SystemExit(main())
