"""Corpus variants typeset by a real word processor: LibreOffice Writer (headless), then scanned.

`samples.render` draws reports with reportlab, imitating what Word/WPS exports look like. Here the
same reports (the same `ReportDoc`: title, prose, values, label variants, merged cells, fonts,
page margins, from `samples.generate`'s plan) are written as a flat ODF text document (.fodt) and
laid out by LibreOffice Writer, which brings its own cell padding, line breaking, rule drawing,
font handling and table splitting across pages. Then:

* `writer/X.pdf`: Writer's own PDF export (a born-digital text layer);
* `writer-scan150/X.pdf`: that PDF through the corpus scanner, `samples.degrade`'s `scan150`
  recipe (150 dpi, JPEG quality 80), with its `X.degrade.json`;

each with `X.truth.json` beside it: the generator's truth for the same values (`truth_of`), less
what only the reportlab layout knows — cell pages and boxes, table pages — and with `pages` counted
in Writer's PDF. `pipeline.evaluate.compare_with_truth` reads cells (table, row, column, value),
version, agency and year only.

What Writer cannot draw as reportlab does: the corner cell's diagonal rule (Writer tables have no
diagonal borders; the feature is left out of the truth's `layout`), and a parent cell "rotated"
is set in vertical writing (tb-rl), where CJK characters stand upright, as Writer's 文字方向 does.

Which reports: the synthetic reports of `--src` (the first `--count` `synth-S-III-V.truth.json`
there, re-planned from seed S and index III and checked against that truth), or `--seed` with
`--indices`. Output names are `writer-S-III-V`.

CLI: ``python -m samples.writer_variants --src samples/corpus/clean --out samples/corpus``
(outputs already there with the same truth are kept; `--force` redoes them). Exit status 2 when
LibreOffice (`soffice`) is not installed, 1 when a file failed.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from pipeline.template import SECTION_TITLES, TABLE_ACTIVE, TABLE_APPLICATIONS, TABLE_REVIEW

from .generate import ReportPlan, build_doc, plan_report, truth_cells
from .render import (
    SHADES, Layout, ReportDoc, Table, TCell, _section_headings, _stack_chars, build_active_tables,
    build_applications_table, build_review_table, layout_features, register_fonts, text_width, title_lines,
)

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
WRITER_DIR = "writer"
SCAN_DIR = "writer-scan150"
SCAN_VARIANT = "scan150"          # samples.degrade.VARIANTS recipe for the scan
DEFAULT_COUNT = 8
NAME_RE = re.compile(r"^synth-(\d+)-(\d{3})-(\d{4})$")

# Font keys of samples.render -> the families fontconfig knows (fc-list :lang=zh).
FONT_FAMILIES = {"zenhei": "WenQuanYi Zen Hei", "microhei": "WenQuanYi Micro Hei", "uming": "AR PL UMing CN"}
A4_PT = (595.2756, 841.8898)
CELL_PADDING_PT = 2.83            # Writer's default for a new table: 0.1 cm


class SofficeMissing(RuntimeError):
    pass


def find_soffice(path: str | os.PathLike | None = None) -> Path:
    """LibreOffice's soffice ($SOFFICE, or on PATH), or SofficeMissing."""
    candidate = path or os.environ.get("SOFFICE") or shutil.which("soffice") or shutil.which("libreoffice")
    if not candidate or not (Path(candidate).is_file() and os.access(candidate, os.X_OK)):
        raise SofficeMissing("LibreOffice (soffice) not found: run `make bench-deps` "
                             "(Debian's libreoffice-writer-nogui)")
    return Path(candidate)


# --- ODF writing --------------------------------------------------------------------------------

def _pt(x: float) -> str:
    return f"{x:.2f}pt"


def odf_text(text: str) -> str:
    """Text as ODF paragraph content: newlines as line breaks, runs of spaces as <text:s/>."""
    out = []
    for k, line in enumerate(text.split("\n")):
        if k:
            out.append("<text:line-break/>")
        for run in re.findall(r" +|[^ ]+", line):
            if run.startswith(" "):
                out.append(f'<text:s text:c="{len(run)}"/>')
            else:
                out.append(escape(run))
    return "".join(out)


class Styles:
    """Automatic styles, made once per distinct set of properties."""

    def __init__(self) -> None:
        self._made: dict[tuple, str] = {}
        self.xml: list[str] = []

    def get(self, family: str, prefix: str, body: str, parent: str = "", master: str = "") -> str:
        key = (family, body, parent, master)
        if key not in self._made:
            name = f"{prefix}{len(self._made) + 1}"
            attrs = f'style:name="{name}" style:family="{family}"'
            if parent:
                attrs += f' style:parent-style-name="{parent}"'
            if master:
                attrs += f' style:master-page-name="{master}"'
            self.xml.append(f"<style:style {attrs}>{body}</style:style>")
            self._made[key] = name
        return self._made[key]


def _text_props(font: str, size: float, bold: bool = False) -> str:
    family = FONT_FAMILIES[font]
    weight = ' fo:font-weight="bold" style:font-weight-asian="bold" style:font-weight-complex="bold"' if bold else ""
    return (f'<style:text-properties style:font-name={quoteattr(family)} style:font-name-asian={quoteattr(family)} '
            f'style:font-name-complex={quoteattr(family)} fo:font-size="{_pt(size)}" '
            f'style:font-size-asian="{_pt(size)}" style:font-size-complex="{_pt(size)}"{weight}/>')


def paragraph_style(styles: Styles, font: str, size: float, align: str = "justify", indent: float = 0.0,
                    line_height: float | None = None, before: float = 0.0, after: float = 0.0,
                    bold: bool = False, keep_next: bool = False, page_break: bool = False,
                    master: str = "") -> str:
    props = [f'fo:text-align="{align}"', f'fo:text-indent="{_pt(indent)}"', f'fo:margin-top="{_pt(before)}"',
             f'fo:margin-bottom="{_pt(after)}"', 'fo:margin-left="0pt"', 'fo:margin-right="0pt"']
    if line_height:
        props.append(f'fo:line-height="{_pt(line_height)}"')
    if keep_next:
        props.append('fo:keep-with-next="always"')
    if page_break:
        props.append('fo:break-before="page"')
    body = f"<style:paragraph-properties {' '.join(props)}/>" + _text_props(font, size, bold)
    return styles.get("paragraph", "P", body, parent="Standard", master=master)


def _border(width: float) -> str:
    return f"{width:.2f}pt solid #000000"


def table_xml(styles: Styles, table: Table, layout: Layout, repeat_header: bool, name: str) -> str:
    """One template table as an ODF table: the builder's grid, spans and texts, Writer's layout."""
    n_cols = len(table.col_widths)
    width = sum(table.col_widths)
    tstyle = styles.get("table", "Tbl", f'<style:table-properties style:width="{_pt(width)}" table:align="center" '
                                        f'fo:margin-top="0pt" fo:margin-bottom="0pt" table:border-model="collapsing"/>')
    parts = [f'<table:table table:name="{name}" table:style-name="{tstyle}">']
    for w in table.col_widths:
        cstyle = styles.get("table-column", "Col", f'<style:table-column-properties style:column-width="{_pt(w)}"/>')
        parts.append(f'<table:table-column table:style-name="{cstyle}"/>')
    rstyle = styles.get("table-row", "Row", f'<style:table-row-properties style:min-row-height="{_pt(table.min_row_height)}" '
                                            f'fo:keep-together="always"/>')
    starts: dict[tuple[int, int], TCell] = {}
    covered: set[tuple[int, int]] = set()
    for cell in table.cells:
        starts[(cell.row, cell.col)] = cell
        for r in range(cell.row, cell.row + cell.rowspan):
            for c in range(cell.col, cell.col + cell.colspan):
                if (r, c) != (cell.row, cell.col):
                    covered.add((r, c))
    thin, outer = layout.line_width, max(layout.outer_line_width, layout.line_width)
    header_rows = table.header_rows if repeat_header else 0
    for r in range(table.n_rows):
        if r == 0 and header_rows:
            parts.append("<table:table-header-rows>")
        parts.append(f'<table:table-row table:style-name="{rstyle}">')
        for c in range(n_cols):
            if (r, c) in covered:
                parts.append("<table:covered-table-cell/>")
                continue
            cell = starts.get((r, c)) or TCell(r, c, "")
            parts.append(_cell_xml(styles, table, layout, cell, n_cols, thin, outer))
        parts.append("</table:table-row>")
        if header_rows and r == header_rows - 1:
            parts.append("</table:table-header-rows>")
    parts.append("</table:table>")
    return "".join(parts)


def _cell_xml(styles: Styles, table: Table, layout: Layout, cell: TCell, n_cols: int, thin: float,
              outer: float) -> str:
    sides = {"top": cell.row == 0, "bottom": cell.row + cell.rowspan == table.n_rows,
             "left": cell.col == 0, "right": cell.col + cell.colspan == n_cols}
    props = [f'fo:border-{side}="{_border(outer if edge else thin)}"' for side, edge in sides.items()]
    props += [f'fo:padding="{_pt(CELL_PADDING_PT)}"', 'style:vertical-align="middle"']
    if cell.shaded and layout.shade:
        r, g, b = SHADES[layout.shade]
        props.append(f'fo:background-color="#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"')
    if cell.vertical == "rotated":
        props.append('style:writing-mode="tb-rl"')
    cstyle = styles.get("table-cell", "Cell", f"<style:table-cell-properties {' '.join(props)}/>")
    align = "start" if cell.align == "left" else "center"
    pstyle = paragraph_style(styles, table.font, table.size, align=align)
    text = "\n".join(_stack_chars(cell.text)) if cell.vertical == "stacked" else cell.text
    spans = ""
    if cell.colspan > 1:
        spans += f' table:number-columns-spanned="{cell.colspan}"'
    if cell.rowspan > 1:
        spans += f' table:number-rows-spanned="{cell.rowspan}"'
    return (f'<table:table-cell table:style-name="{cstyle}"{spans} office:value-type="string">'
            f'<text:p text:style-name="{pstyle}">{odf_text(text)}</text:p></table:table-cell>')


def _footer_xml(style: str, align: str) -> str:
    page = '<text:page-number text:select-page="current">1</text:page-number>'
    text = {"dash": f"- {page} -", "di_ye": f"第 {page} 页", "plain": page,
            "di_ye_gong": f"第 {page} 页 共 <text:page-count>1</text:page-count> 页"}[style]
    return f'<text:p text:style-name="Footer{align}">{text}</text:p>'


def _master_pages(layout: Layout) -> tuple[str, str]:
    """Page layouts (automatic styles) and master pages: portrait and landscape A4, the report's
    margins, the footer 10.5 pt at half the bottom margin."""
    layouts, masters = [], []
    footer = layout.footer != "none"
    for name, (w, h) in (("Standard", A4_PT), ("Landscape", A4_PT[::-1])):
        pm = f"pm{name}"
        bottom = layout.margin_bottom / 2 - 6 if footer else layout.margin_bottom
        footer_style = (f'<style:footer-style><style:header-footer-properties fo:min-height="0pt" '
                        f'fo:margin-top="{_pt(layout.margin_bottom / 2 - 8)}"/></style:footer-style>' if footer
                        else "<style:footer-style/>")
        orient = "landscape" if w > h else "portrait"
        layouts.append(f'<style:page-layout style:name="{pm}" style:page-usage="all">'
                       f'<style:page-layout-properties fo:page-width="{_pt(w)}" fo:page-height="{_pt(h)}" '
                       f'style:print-orientation="{orient}" fo:margin-top="{_pt(layout.margin_top)}" '
                       f'fo:margin-bottom="{_pt(bottom)}" fo:margin-left="{_pt(layout.margin_x)}" '
                       f'fo:margin-right="{_pt(layout.margin_x)}" style:writing-mode="lr-tb"/>'
                       f"<style:header-style/>{footer_style}</style:page-layout>")
        body = ""
        if footer:
            if layout.footer_alternate:     # odd pages: outer edge right; even: left
                body = (f"<style:footer>{_footer_xml(layout.footer, 'Right')}</style:footer>"
                        f"<style:footer-left>{_footer_xml(layout.footer, 'Left')}</style:footer-left>")
            else:
                body = f"<style:footer>{_footer_xml(layout.footer, 'Center')}</style:footer>"
        masters.append(f'<style:master-page style:name="{name}" style:page-layout-name="{pm}">{body}</style:master-page>')
    return "".join(layouts), "".join(masters)


def report_fodt(doc: ReportDoc) -> str:
    """The whole report as a flat ODF text document."""
    register_fonts()    # reportlab metrics, to break the title as samples.render does
    layout = doc.layout
    styles = Styles()
    body: list[str] = []
    content_w = A4_PT[0] - 2 * layout.margin_x

    def para(text: str, style: str) -> None:
        body.append(f'<text:p text:style-name="{style}">{odf_text(text)}</text:p>')

    # Title: the lines samples.render prints, centred, bold.
    size = 20.0 if len(doc.title) < 26 else 18.0
    lines = title_lines(doc.agency, doc.year, layout,
                        lambda line: text_width(line, layout.heading_font, size) <= content_w)
    for k, line in enumerate(lines):
        para(line, paragraph_style(styles, layout.heading_font, size, align="center", line_height=size * 1.8,
                                   before=size if k == 0 else 0.0, after=size if k == len(lines) - 1 else 0.0,
                                   bold=True, keep_next=True))
    body_style = paragraph_style(styles, layout.body_font, layout.body_size, indent=2 * layout.body_size,
                                 line_height=layout.body_size * 1.75)
    for text in doc.preface:
        para(text, body_style)
    master_next = ""
    table_width = content_w * min(1.0, layout.table_width_frac)
    for heading in _section_headings(doc):
        table_id = next((t for t, h in SECTION_TITLES.items() if h == heading), None)
        landscape = table_id == TABLE_REVIEW and layout.review_landscape
        master = "Landscape" if landscape else master_next
        master_next = ""
        new_page = table_id == TABLE_APPLICATIONS and layout.applications_new_page and not master
        hstyle = paragraph_style(styles, layout.heading_font, layout.body_size + 2, align="start",
                                 line_height=(layout.body_size + 2) * 2.0, before=layout.body_size * 0.5,
                                 bold=True, keep_next=True, page_break=new_page, master=master)
        para(heading, hstyle)
        for text in doc.sections.get(heading, []):
            para(text, body_style)
        if table_id is None:
            continue
        if landscape:
            width = (A4_PT[1] - 2 * layout.margin_x) * min(1.0, layout.table_width_frac)
            master_next = "Standard"
        else:
            width = table_width
        gap = paragraph_style(styles, layout.body_font, layout.body_size * 0.8, line_height=layout.body_size * 0.8)
        if table_id == TABLE_ACTIVE:
            for k, table in enumerate(build_active_tables(doc.values, layout, width)):
                if k:
                    body.append(f'<text:p text:style-name="{gap}"/>')
                body.append(table_xml(styles, table, layout, False, f"active{k + 1}"))
        elif table_id == TABLE_APPLICATIONS:
            body.append(table_xml(styles, build_applications_table(doc.values, layout, width), layout,
                                  layout.repeat_header, "applications"))
        else:
            body.append(table_xml(styles, build_review_table(doc.values, layout, width), layout, True, "review"))
        body.append(f'<text:p text:style-name="{gap}"/>')
    page_layouts, masters = _master_pages(layout)
    fonts = "".join(f'<style:font-face style:name={quoteattr(f)} svg:font-family={quoteattr(repr(f))} '
                    f'style:font-pitch="variable"/>' for f in FONT_FAMILIES.values())
    footer_styles = "".join(
        f'<style:style style:name="Footer{a}" style:family="paragraph" style:parent-style-name="Standard">'
        f'<style:paragraph-properties fo:text-align="{align}"/>{_text_props(layout.body_font, 10.5)}</style:style>'
        for a, align in (("Center", "center"), ("Right", "end"), ("Left", "start")))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:meta><dc:title>{escape(doc.title)}</dc:title></office:meta>
<office:font-face-decls>{fonts}</office:font-face-decls>
<office:styles>
<style:default-style style:family="paragraph"><style:paragraph-properties style:line-break="strict" style:punctuation-wrap="hanging" style:writing-mode="lr-tb"/>{_text_props(layout.body_font, layout.body_size)}</style:default-style>
<style:default-style style:family="table"><style:table-properties table:border-model="collapsing"/></style:default-style>
<style:style style:name="Standard" style:family="paragraph" style:class="text"><style:text-properties fo:language="zh" fo:country="CN" style:language-asian="zh" style:country-asian="CN"/></style:style>
{footer_styles}
</office:styles>
<office:automatic-styles>{page_layouts}{''.join(styles.xml)}</office:automatic-styles>
<office:master-styles>{masters}</office:master-styles>
<office:body><office:text>{''.join(body)}</office:text></office:body>
</office:document>
"""


# --- conversion ---------------------------------------------------------------------------------

def convert_to_pdf(soffice: Path, sources: list[Path], out_dir: Path, timeout: float = 900) -> None:
    """All sources to PDF in out_dir, in one headless LibreOffice with a private profile."""
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-", dir="/tmp"))
    try:
        cmd = [str(soffice), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--nolockcheck", "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(out_dir),
               *map(str, sources)]
        env = dict(os.environ, HOME=str(profile), TZ="UTC", LC_ALL="C.UTF-8")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                              env=env)
        missing = [s.name for s in sources if not (out_dir / f"{s.stem}.pdf").exists()]
        if proc.returncode != 0 or missing:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"soffice exit {proc.returncode}, no PDF for {missing}: {' | '.join(tail)}")
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def make_deterministic(pdf_path: Path, out: Path, year: int) -> int:
    """Writer's PDF with a fixed date and a content-derived /ID (LibreOffice stamps the time of
    conversion); returns its page count."""
    import pikepdf

    date = f"D:{year + 1}0120093000+08'00'"
    with pikepdf.open(pdf_path) as pdf:
        info = pdf.docinfo
        for key in ("/CreationDate", "/ModDate"):
            if key in info:
                info[key] = date
        for key in ("/DocChecksum", "/ID"):     # LibreOffice's checksum and ids hold the time
            if key in pdf.trailer:
                del pdf.trailer[key]
        pages = len(pdf.pages)
        pdf.save(out, deterministic_id=True)
    return pages


def deterministic_id(path: Path) -> None:
    """Rewrite path with a content-derived /ID (samples.degrade saves with qpdf's random one)."""
    import pikepdf

    partial = path.with_name(f".{path.name}.part")
    with pikepdf.open(path) as pdf:
        if "/ID" in pdf.trailer:
            del pdf.trailer["/ID"]
        pdf.save(partial, deterministic_id=True)
    partial.replace(path)


def writer_truth(doc: ReportDoc, name: str, pages: int) -> dict:
    """samples.generate.truth_of for the same document, less the reportlab layout's positions."""
    cells = truth_cells(doc)
    features = set(layout_features(doc.layout, doc.values) + doc.values.features) - {"corner_diagonal"}
    features |= {"engine:libreoffice-writer"}
    if doc.layout.review_landscape:
        features.add("review_landscape")
    return {
        "report": name, "file": f"{name}.pdf", "version": doc.values.version,
        "agency": doc.agency, "year": doc.year, "title": doc.title,
        "split_six": doc.values.split_six, "pages": pages,
        "layout": sorted(features),
        "inconsistent": doc.values.inconsistent,
        "inconsistencies": doc.values.inconsistencies,
        "cells": cells,
    }


def _plain_cells(truth: dict) -> list[tuple]:
    return [(c["table"], c["row"], c["column"], c["value"], c.get("printed"), c.get("note")) for c in truth["cells"]]


def select_reports(src: Path | None, seed: int | None, indices: list[int] | None,
                   count: int) -> list[tuple[int, int, dict | None]]:
    """(seed, index, source truth or None) of the reports to make."""
    if indices:
        return [(seed if seed is not None else 2024, i, None) for i in indices]
    if src is None or not src.is_dir():
        raise FileNotFoundError(f"no folder {src}: run `make samples` first, or give --indices")
    chosen = []
    for path in sorted(src.glob("synth-*.truth.json")):
        m = NAME_RE.match(path.name[:-len(".truth.json")])
        if m and (seed is None or int(m.group(1)) == seed):
            chosen.append((int(m.group(1)), int(m.group(2)), json.loads(path.read_text(encoding="utf-8"))))
    if not chosen:
        raise FileNotFoundError(f"no synth-*.truth.json in {src}: run `make samples` first")
    return chosen[:count]


def write_variants(reports: list[tuple[int, int, dict | None]], out_root: Path, soffice: Path,
                   scan_seed: int = 0, force: bool = False) -> int:
    """Writer PDFs and their scans of the reports into out_root/writer{,-scan150}/; returns failures."""
    from .degrade import write_variant

    writer_dir, scan_dir = out_root / WRITER_DIR, out_root / SCAN_DIR
    writer_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    todo: list[tuple[str, ReportDoc, ReportPlan]] = []
    for seed, index, source_truth in reports:
        plan = plan_report(seed, index)
        doc = build_doc(seed, plan)
        name = plan.name.replace("synth-", "writer-", 1)
        if source_truth is not None and _plain_cells(writer_truth(doc, name, 0)) != _plain_cells(source_truth):
            log.error("%s: re-planned values differ from %s's truth; skipped", name, plan.name)
            failures += 1
            continue
        truth_path, scan_truth = writer_dir / f"{name}.truth.json", scan_dir / f"{name}.truth.json"
        if not force and all(p.exists() for p in (writer_dir / f"{name}.pdf", scan_dir / f"{name}.pdf",
                                                  truth_path, scan_truth)):
            old = json.loads(truth_path.read_text(encoding="utf-8"))
            if writer_truth(doc, name, old.get("pages", 0)) == old:
                log.info("%s: there already", name)
                continue
        todo.append((name, doc, plan))
    if not todo:
        return failures
    with tempfile.TemporaryDirectory(prefix="writer-variants-") as tmp:
        work = Path(tmp)
        sources = []
        for name, doc, _ in todo:
            path = work / f"{name}.fodt"
            path.write_text(report_fodt(doc), encoding="utf-8")
            sources.append(path)
        started = time.perf_counter()
        (work / "pdf").mkdir()
        convert_to_pdf(soffice, sources, work / "pdf")
        log.info("LibreOffice: %d documents converted in %.1f s", len(sources), time.perf_counter() - started)
        for name, doc, _ in todo:
            try:
                out = writer_dir / f"{name}.pdf"
                pages = make_deterministic(work / "pdf" / f"{name}.pdf", out, doc.year)
                truth = writer_truth(doc, name, pages)
                (writer_dir / f"{name}.truth.json").write_text(
                    json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
                t = time.perf_counter()
                scan = write_variant(out, scan_dir, SCAN_VARIANT, scan_seed)
                deterministic_id(scan)
                log.info("%s: %d pages, %.0f KB; scan %.0f KB in %.1f s", name, pages, out.stat().st_size / 1024,
                         scan.stat().st_size / 1024, time.perf_counter() - t)
            except Exception as e:   # one bad file must not stop the others
                failures += 1
                log.error("%s: %s", name, e)
    return failures


def add_report_arguments(parser: argparse.ArgumentParser, made: str, outputs: tuple[str, ...]) -> None:
    """The arguments of a maker of corpus variants from the generator's reports: which reports
    (`made`: what is done to them), where to (`outputs`: its folders), the scans' seed."""
    parser.add_argument("--src", type=Path, default=ROOT / "samples" / "corpus" / "clean",
                        help=f"folder of synth-S-III-V.truth.json: the reports to {made} (the first --count)")
    parser.add_argument("--out", type=Path, default=ROOT / "samples" / "corpus",
                        help="writes " + ", ".join(f"OUT/{folder}/X.pdf" for folder in outputs))
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, help="only reports of this seed (with --indices: the seed)")
    parser.add_argument("--indices", type=int, nargs="+", help="these report indices instead of --src's")
    parser.add_argument("--scan-seed", type=int, default=0, help="samples.degrade's seed for the scans")
    parser.add_argument("--force", action="store_true", help="redo outputs that are already there")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m samples.writer_variants", description=__doc__.split("\n")[0])
    add_report_arguments(parser, "typeset", (WRITER_DIR, SCAN_DIR))
    parser.add_argument("--soffice", help="the executable (default $SOFFICE or soffice on PATH)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        soffice = find_soffice(args.soffice)
        reports = select_reports(args.src, args.seed, args.indices, args.count)
    except SofficeMissing as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        failures = write_variants(reports, args.out, soffice, args.scan_seed, args.force)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    log.info("done in %.0f s, %d failed", time.perf_counter() - started, failures)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
