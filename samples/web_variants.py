"""Corpus variants as a government website shows a report: an HTML page printed to PDF by a browser.

Many agencies publish the report as a web page; users and archives keep it as the browser prints
it. The same reports as `samples.generate` plans them (the same `ReportDoc`: title, prose, values,
label variants, merged cells) are written as one HTML page each — tables with rowspan and colspan,
as an editor's export writes them — and printed by headless Chromium, which brings its own page
breaks, line breaking and border drawing. The reports alternate between the two ways pages draw
table borders:

* `collapse`: CSS border-collapse, one rule between two cells;
* `separate`: HTML's default cellspacing, every cell boxed on its own, 2 px from the next, the
  table's frame round them all (double rules everywhere);

and between printing with the browser's header and footer (the date, the page's title, its
address, "1/3") and without. Then:

* `web/X.pdf`: the browser's PDF (a born-digital text layer);
* `web-scan200/X.pdf`: that PDF through the corpus scanner (`samples.degrade`'s `scan200`);
* `web-borderless/X.pdf`: the same page printed with no table border at all, as a site whose
  stylesheet is lost (or an editor's table with its borders off) shows it: the header's shading
  kept, and every other row shaded too in reports of odd index (`zebra`, a site's striped rows),
  plain otherwise (`none`).

Each with `X.truth.json`: the generator's truth for the same values, less what only the reportlab
layout knows (cell pages and boxes). Output names are `web-S-III-V`.

CLI: ``python -m samples.web_variants --src samples/corpus/clean --out samples/corpus`` (outputs
already there with the same truth are kept; `--force` redoes them). Exit status 2 when Chromium is
not installed, 1 when a file failed.
"""
from __future__ import annotations

import argparse
import html
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline.template import SECTION_TITLES, TABLE_ACTIVE, TABLE_APPLICATIONS, TABLE_REVIEW

from .generate import build_doc, plan_report, truth_cells
from .render import (
    ReportDoc, Table, _section_headings, _stack_chars, build_active_tables, build_applications_table,
    build_review_table, layout_features,
)
from .writer_variants import add_report_arguments, select_reports

log = logging.getLogger(__name__)

WEB_DIR = "web"
SCAN_DIR = "web-scan200"
BORDERLESS_DIR = "web-borderless"
SCAN_VARIANT = "scan200"
CHROMIUM = "/usr/bin/chromium"
# The renderer's font names as the system's fontconfig knows them (make system-deps installs them).
FONT_FAMILIES = {"uming": "AR PL UMing CN", "zenhei": "WenQuanYi Zen Hei", "microhei": "WenQuanYi Micro Hei"}
# The builders' tables are drawn to a width in points; a browser sizes them to the page instead.
TABLE_WIDTH = 450.0


class ChromiumMissing(RuntimeError):
    pass


def find_chromium(path: str | os.PathLike | None = None) -> Path:
    found = path or os.environ.get("CHROMIUM") or shutil.which("chromium") or CHROMIUM
    if not Path(found).exists():
        raise ChromiumMissing(f"{found} not found: make system-deps installs chromium")
    return Path(found)


def border_style(index: int) -> str:
    return "separate" if index % 2 else "collapse"


def borderless_style(index: int) -> str:
    return "zebra" if index % 2 else "none"


def with_header_footer(index: int) -> bool:
    return index % 4 >= 2


def table_html(table: Table) -> str:
    """The table as an editor's HTML export writes it: rows of cells, spans as attributes."""
    rows: dict[int, list] = {}
    for cell in table.cells:
        rows.setdefault(cell.row, []).append(cell)
    out = ["<table>"]
    for row in range(table.n_rows):
        out.append("<tr>")
        for cell in sorted(rows.get(row, []), key=lambda c: c.col):
            text = "\n".join(_stack_chars(cell.text)) if cell.vertical == "stacked" else cell.text
            body = "<br>".join(html.escape(line) for line in text.split("\n"))
            attrs = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + \
                (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "")
            classes = " ".join(c for c in ("left" if cell.align == "left" else "",
                                           "rotated" if cell.vertical == "rotated" else "",
                                           "shaded" if cell.shaded else "") if c)
            attrs += f' class="{classes}"' if classes else ""
            out.append(f"<td{attrs}>{body}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "\n".join(out)


def report_html(doc: ReportDoc, style: str) -> str:
    layout = doc.layout
    body, heading, table = (FONT_FAMILIES.get(f, FONT_FAMILIES["uming"])
                            for f in (layout.body_font, layout.heading_font, layout.table_font))
    spacing = "border-collapse: separate; border-spacing: 2px;" if style == "separate" else "border-collapse: collapse;"
    border = "none" if style in ("none", "zebra") else "1px solid #000"
    css = f"""
body {{ font-family: '{body}'; font-size: {layout.body_size:.1f}pt; line-height: 1.8; margin: 0 6mm; }}
h1 {{ font-family: '{heading}'; font-size: 20pt; text-align: center; }}
h2 {{ font-family: '{heading}'; font-size: {layout.body_size + 2:.1f}pt; margin: 0.8em 0 0.3em; }}
p {{ text-indent: 2em; margin: 0.3em 0; }}
table {{ {spacing} width: 100%; margin: 0.5em 0; font-family: '{table}'; font-size: {layout.table_size + 0.5:.1f}pt;
        line-height: 1.3; border: {border}; }}
td {{ border: {border}; padding: 3px 4px; text-align: center; }}
td.left {{ text-align: left; }}
td.rotated {{ writing-mode: vertical-rl; }}
td.shaded {{ background: #d9d9d9; }}
""" + ("tr:nth-child(even) td:not(.shaded) { background: #e8eef7; }\n" if style == "zebra" else "")
    parts = ["<!doctype html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
             f"<title>{html.escape(doc.title)}</title><style>{css}</style></head><body>",
             f"<h1>{html.escape(doc.title)}</h1>"]
    parts += [f"<p>{html.escape(p)}</p>" for p in doc.preface]
    for section in _section_headings(doc):
        parts.append(f"<h2>{html.escape(section)}</h2>")
        parts += [f"<p>{html.escape(p)}</p>" for p in doc.sections.get(section, [])]
        table_id = next((t for t, h in SECTION_TITLES.items() if h == section), None)
        if table_id == TABLE_ACTIVE:
            parts += [table_html(t) for t in build_active_tables(doc.values, layout, TABLE_WIDTH)]
        elif table_id == TABLE_APPLICATIONS:
            parts.append(table_html(build_applications_table(doc.values, layout, TABLE_WIDTH)))
        elif table_id == TABLE_REVIEW:
            parts.append(table_html(build_review_table(doc.values, layout, TABLE_WIDTH)))
    parts.append("</body></html>")
    return "\n".join(parts)


def print_to_pdf(chromium: Path, page: Path, out: Path, header_footer: bool, timeout: float = 120) -> None:
    """The page printed by headless Chromium to out (written whole or not at all)."""
    partial = out.with_name(f".{out.name}.part")
    with tempfile.TemporaryDirectory(prefix="web-variants-profile-") as profile:
        cmd = [str(chromium), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
               f"--print-to-pdf={partial}"]
        if not header_footer:
            cmd.append("--no-pdf-header-footer")
        proc = subprocess.run(cmd + [page.resolve().as_uri()], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    if proc.returncode != 0 or not partial.exists():
        partial.unlink(missing_ok=True)
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"chromium exit {proc.returncode} on {page.name}: {' | '.join(tail)}")
    partial.replace(out)


def web_truth(doc: ReportDoc, name: str, index: int, pages: int, borders: str) -> dict:
    """samples.generate.truth_of for the same document, less the reportlab layout's positions."""
    features = set(layout_features(doc.layout, doc.values) + doc.values.features) - {"corner_diagonal"}
    features |= {"engine:chromium", f"borders:{borders}"}
    if with_header_footer(index):
        features.add("browser_header_footer")
    return {
        "report": name, "file": f"{name}.pdf", "version": doc.values.version,
        "agency": doc.agency, "year": doc.year, "title": doc.title,
        "split_six": doc.values.split_six, "pages": pages,
        "layout": sorted(features),
        "inconsistent": doc.values.inconsistent,
        "inconsistencies": doc.values.inconsistencies,
        "cells": truth_cells(doc),
    }


def _values(cells: list[dict]) -> list[tuple]:
    return [(c["table"], c["row"], c["column"], c["value"], c.get("printed"), c.get("note")) for c in cells]


def write_variants(reports: list[tuple[int, int, dict | None]], out_root: Path, chromium: Path,
                   scan_seed: int = 0, force: bool = False) -> int:
    """Browser PDFs of the reports, bordered and borderless, and the bordered ones' scans into
    out_root/web{,-scan200,-borderless}/; returns failures."""
    from .degrade import write_variant

    web_dir, scan_dir, borderless_dir = out_root / WEB_DIR, out_root / SCAN_DIR, out_root / BORDERLESS_DIR
    failures = 0
    with tempfile.TemporaryDirectory(prefix="web-variants-") as tmp:
        for seed, index, source_truth in reports:
            plan = plan_report(seed, index)
            doc = build_doc(seed, plan)
            name = plan.name.replace("synth-", "web-", 1)
            if source_truth is not None and _values(truth_cells(doc)) != _values(source_truth["cells"]):
                log.error("%s: re-planned values differ from %s's truth; skipped", name, plan.name)
                failures += 1
                continue
            for out_dir, style in ((web_dir, border_style(index)), (borderless_dir, borderless_style(index))):
                scan_to = scan_dir if out_dir == web_dir else None
                if not force and _there(doc, name, index, out_dir, style, scan_to):
                    log.info("%s/%s: there already", out_dir.name, name)
                    continue
                try:
                    t = time.perf_counter()
                    out, pages = _print(chromium, doc, name, index, out_dir, style, Path(tmp))
                    scan = write_variant(out, scan_to, SCAN_VARIANT, scan_seed) if scan_to else None
                    log.info("%s/%s: %d pages, %.0f KB%s in %.1f s", out_dir.name, name, pages,
                             out.stat().st_size / 1024,
                             f"; scan {scan.stat().st_size / 1024:.0f} KB" if scan else "", time.perf_counter() - t)
                except Exception as e:   # one bad file must not stop the others
                    failures += 1
                    log.error("%s/%s: %s", out_dir.name, name, e)
    return failures


def _there(doc: ReportDoc, name: str, index: int, out_dir: Path, style: str, scan_dir: Path | None) -> bool:
    """Whether out_dir holds the report printed in `style` (and scan_dir its scan) already."""
    truth_path = out_dir / f"{name}.truth.json"
    if not truth_path.exists() or (scan_dir is not None and not (scan_dir / f"{name}.pdf").exists()):
        return False
    old = json.loads(truth_path.read_text(encoding="utf-8"))
    return web_truth(doc, name, index, old.get("pages", 0), style) == old


def _print(chromium: Path, doc: ReportDoc, name: str, index: int, out_dir: Path, style: str,
           tmp: Path) -> tuple[Path, int]:
    """out_dir/name.pdf printed from the report's page in `style`, and its truth; (pdf, pages)."""
    import pypdfium2 as pdfium

    out_dir.mkdir(parents=True, exist_ok=True)
    page = tmp / f"{name}-{style}.html"
    page.write_text(report_html(doc, style), encoding="utf-8")
    out = out_dir / f"{name}.pdf"
    print_to_pdf(chromium, page, out, with_header_footer(index))
    document = pdfium.PdfDocument(str(out))
    pages = len(document)
    document.close()
    (out_dir / f"{name}.truth.json").write_text(
        json.dumps(web_truth(doc, name, index, pages, style), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out, pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m samples.web_variants", description=__doc__.split("\n")[0])
    add_report_arguments(parser, "print", (WEB_DIR, SCAN_DIR, BORDERLESS_DIR))
    parser.add_argument("--chromium", help="the executable (default $CHROMIUM or chromium on PATH)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        chromium = find_chromium(args.chromium)
        reports = select_reports(args.src, args.seed, args.indices, args.count)
    except (ChromiumMissing, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    failures = write_variants(reports, args.out, chromium, args.scan_seed, args.force)
    log.info("done in %.0f s, %d failed", time.perf_counter() - started, failures)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
