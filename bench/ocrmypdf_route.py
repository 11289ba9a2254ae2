"""The route a user without govreport takes: OCRmyPDF + Tesseract, then camelot, then the template.

For each PDF, as a user would run it (fresh processes, start-up included in the time):

1. `ocrmypdf -l chi_sim --output-type pdf --optimize 0 --force-ocr X.pdf tmp.pdf` (the pinned
   OCRmyPDF of `bench/ocrmypdf.lock`, Tesseract's Chinese model, OCRmyPDF's default of one worker
   per CPU). `--force-ocr`, not `--skip-text`: on a plain scan both do the same, but on a scan that
   already carries a layer (a scanner's junk OCR, `junk-layer200`) `--skip-text` would keep that
   layer and camelot would read the junk; a user who wants the numbers re-OCRs every page.
   `--optimize 0`: image optimisation is no use for extraction and would only add time.
2. camelot lattice (the project's venv, camelot's defaults except `line_scale=40`, the value
   our own vector reader uses for the short rulings of table 四, so the route is not handicapped
   by a setting) on the OCRed PDF.
3. camelot's tables mapped onto the template as a generic user would, with the template's own
   rows, labels and ids (`pipeline.template`): a table's data columns are those whose non-empty
   cells mostly read as numbers; each camelot row is matched to the template row whose label is
   nearest (difflib ratio of the row's label cells, punctuation and spaces dropped; one camelot
   row per template row, best matches first, ratio >= 0.5), and the row's data cells are its
   values in column order. Table 四 is the last row of the table headed 行政复议 (its last 15
   cells). Version, agency and year come from the column headers and the title line of the OCR
   layer.

The route has no review: every value it produces is settled (`needs_review` false, no
`review_cells`), so every wrong value is a silent cell. The report dict is scored with
`pipeline.evaluate.compare_with_truth`, like ours.

CLI: ``python -m bench.ocrmypdf_route samples/corpus/scan200 [--limit N]`` prints the variant's
figures as JSON; ``--tables OCRED.pdf`` (internal: step 2 and 3 in their own process) prints the
report dict.
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUTE = "ocrmypdf+camelot"
LINE_SCALE = 40
LABEL_MIN_RATIO = 0.5
DATA_COLUMN_SHARE = 0.34
# A dash in a blank cell: Tesseract's chi_sim model reads "—" as 一 ("one"), which a user learns
# at once in a table of numbers, so it counts as the dash it is.
_BLANKS = {"", "-", "—", "–", "——", "/", "无", "_", "一", "一一"}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_TITLE = re.compile(r"(\d{4})年度?政府信息公开工作年度报告")


# ---------------------------------------------------------------------------------------------
# Step 3: camelot's tables onto the template (pure functions, no camelot needed)
# ---------------------------------------------------------------------------------------------

def parse_number(text: str) -> tuple[bool, float | int | None]:
    """(read as a number or a blank, value): '12' -> (True, 12), '|64' -> (True, 64), '—' -> (True, None),
    '至' -> (False, None)."""
    # Tesseract reads a ruling beside a number as '|': a user strips it, with spaces and separators.
    s = re.sub(r"[\s|,]", "", unicodedata.normalize("NFKC", text or ""))
    if s in _BLANKS:
        return True, None
    if _NUMBER.match(s):
        return True, float(s) if "." in s else int(s)
    return False, None


def squash(text: str) -> str:
    """A label without spaces, punctuation or numbering marks: letters, CJK and digits only."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "") if ch.isalnum())


def data_columns(rows: list[list[str]]) -> list[int]:
    """Columns whose non-empty cells mostly read as numbers or dashes."""
    width = max((len(r) for r in rows), default=0)
    out = []
    for c in range(width):
        cells = [r[c] for r in rows if c < len(r) and (r[c] or "").strip()]
        numeric = sum(parse_number(cell)[0] for cell in cells)
        if cells and numeric >= DATA_COLUMN_SHARE * len(cells):
            out.append(c)
    return out


def guess_version(tables: list[list[list[str]]]) -> str:
    """2021 or 2019, by which version's table-二 column headers the tables print."""
    from pipeline.template import ACTIVE_BLOCKS

    cells = {squash(cell) for t in tables for row in t for cell in row if squash(cell)}
    scores = {}
    for version, blocks in ACTIVE_BLOCKS.items():
        labels = {squash(c.label) for b in blocks for c in b.columns}
        scores[version] = sum(max((difflib.SequenceMatcher(None, label, cell).ratio() for cell in cells),
                                  default=0.0) for label in labels) / max(1, len(labels))
    return max(scores, key=scores.get)


def title_meta(text: str) -> tuple[str | None, int | None]:
    """(agency, year) from the first page's text: the line with 'YYYY年政府信息公开工作年度报告'."""
    lines = [re.sub(r"\s+", "", line) for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    for k, line in enumerate(lines[:12]):
        m = _TITLE.search(line)
        if m:
            agency = line[:m.start()] or (lines[k - 1] if k else "")
            return agency or None, int(m.group(1))
    return None, None


def tables_to_report(tables: list[list[list[str]]], first_page_text: str = "") -> dict:
    """camelot's tables (rows of cell strings, in page order) -> the minimal report dict that
    compare_with_truth reads: cells, version, agency, year, needs_review, review_cells."""
    from pipeline.template import APPLICATION_ROWS_ALL, REVIEW_COLUMNS, TABLE_ACTIVE, TABLE_APPLICATIONS, table_spec

    version = guess_version(tables)
    active = table_spec(TABLE_ACTIVE, version)
    candidates = [(TABLE_ACTIVE, row.id, squash(row.label), active.row_columns[row.id]) for row in active.rows]
    app_cols = tuple(c.id for c in table_spec(TABLE_APPLICATIONS, version).columns)
    candidates += [(TABLE_APPLICATIONS, row.id, squash(row.label), app_cols) for row in APPLICATION_ROWS_ALL]

    cells: list[dict] = []
    review_table = None
    scored = []                     # (ratio, table index, row index, candidate index)
    columns_of = []
    for t, rows in enumerate(tables):
        if any("行政复议" in squash(cell) for row in rows for cell in row):
            review_table = rows
        data = data_columns(rows)
        columns_of.append(data)
        for r, row in enumerate(rows):
            labels = [squash(cell) for c, cell in enumerate(row) if c not in data and squash(cell)]
            if not labels:
                continue
            for k, (_, _, label, _) in enumerate(candidates):
                ratio = max(difflib.SequenceMatcher(None, label, text).ratio() for text in labels)
                if ratio >= LABEL_MIN_RATIO:
                    scored.append((ratio, t, r, k))
    used_rows, used_candidates = set(), set()
    for ratio, t, r, k in sorted(scored, key=lambda s: -s[0]):
        if (t, r) in used_rows or k in used_candidates:
            continue
        used_rows.add((t, r))
        used_candidates.add(k)
        table, row_id, _, col_ids = candidates[k]
        row = tables[t][r]
        values = [row[c] for c in columns_of[t] if c < len(row)]
        for col_id, text in zip(col_ids, values):
            cells.append(_cell(table, row_id, col_id, text))
    if review_table:
        last = next((row for row in reversed(review_table)
                     if sum(parse_number(cell)[0] and bool(cell.strip()) for cell in row) >= 5), None)
        if last is not None:
            for column, text in zip(REVIEW_COLUMNS, last[-len(REVIEW_COLUMNS):]):
                cells.append(_cell("review", "all", column.id, text))
    agency, year = title_meta(first_page_text)
    return {"schema": "route/" + ROUTE, "version": version, "agency": agency, "year": year, "cells": cells,
            "review_cells": [], "needs_review": False}


def _cell(table: str, row: str, column: str, text: str) -> dict:
    _, value = parse_number(text)
    return {"table": table, "row": row, "column": column, "value": value, "text": text}


def read_tables(pdf: Path) -> dict:
    """Step 2 and 3 on an OCRed PDF: camelot lattice, the first page's text layer, the mapping."""
    import warnings

    import camelot
    import pypdfium2 as pdfium

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = camelot.read_pdf(str(pdf), pages="all", flavor="lattice", line_scale=LINE_SCALE)
    ordered = sorted(tables, key=lambda t: int(t.page))      # camelot's order within a page
    document = pdfium.PdfDocument(str(pdf))
    try:
        first_text = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    return tables_to_report([t.data for t in ordered], first_text)


# ---------------------------------------------------------------------------------------------
# Step 1 + the per-variant figures
# ---------------------------------------------------------------------------------------------

def route_file(pdf: Path, ocrmypdf: Path, workdir: Path) -> dict:
    """OCRmyPDF, then camelot + mapping, each in a fresh process; the report dict."""
    from samples.ocrmypdf_variants import run_ocrmypdf

    ocred = workdir / pdf.name
    run_ocrmypdf(ocrmypdf, pdf, ocred, "chi_sim", jobs=None, extra=("--force-ocr",))
    proc = subprocess.run([sys.executable, "-m", "bench.ocrmypdf_route", "--tables", str(ocred)],
                          capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL)
    ocred.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise RuntimeError(f"camelot step failed on {pdf.name}: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_route(folder: Path, limit: int | None, ocrmypdf: Path | None = None) -> dict:
    """The route over one variant folder: the same keys as bench's own rows where they apply."""
    from pipeline.evaluate import compare_with_truth
    from samples.ocrmypdf_variants import find_ocrmypdf, page_count

    ocrmypdf = find_ocrmypdf(ocrmypdf)
    totals = {"variant": folder.name, "route": ROUTE, "reports": 0, "cells": 0, "cells_right": 0,
              "fully_right": 0, "straight_through": 0, "review_cells": 0, "review_wrong": 0,
              "silent_cells": 0, "silent_errors": 0, "flagged": 0, "errors": 0, "pages": 0,
              "seconds": 0.0, "first_seconds": 0.0, "first_pages": 0, "second_reading_seconds": 0.0,
              "stages": {}, "failures": [], "per_file": []}
    with tempfile.TemporaryDirectory(prefix="ocrmypdf-route-") as tmp:
        for pdf in sorted(folder.glob("*.pdf"))[:limit]:
            truth_path = pdf.with_suffix(".truth.json")
            if not truth_path.exists():
                continue
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
            pages = page_count(pdf)
            started = time.perf_counter()
            try:
                report = route_file(pdf, ocrmypdf, Path(tmp))
            except RuntimeError as e:
                totals["errors"] += 1
                totals["failures"].append(f"{pdf.name}: {e}")
                continue
            elapsed = time.perf_counter() - started
            # Every file pays its own start-up: all of it is "with start-up".
            totals["seconds"] += elapsed
            totals["pages"] += pages
            result = compare_with_truth(report, truth)
            totals["reports"] += 1
            totals["cells"] += result["total"]
            totals["cells_right"] += result["right"]
            totals["fully_right"] += result["fully_right"]
            totals["straight_through"] += result["fully_right"]
            totals["silent_cells"] += len(result["silent_cells"])
            totals["silent_errors"] += result["silent_error"]
            totals["per_file"].append({"file": pdf.name, "pages": pages, "seconds": round(elapsed, 2),
                                       "right": result["right"], "total": result["total"],
                                       "wrong": len(result["wrong"]), "missing": len(result["missing"]),
                                       "extra": len(result["extra"]), "meta_wrong": result["meta_wrong"]})
            if not result["fully_right"]:
                totals["failures"].append(
                    f"{pdf.name}: SILENT wrong={len(result['wrong'])} missing={len(result['missing'])} "
                    f"extra={len(result['extra'])} e.g. {list(result['wrong'].items())[:3]} "
                    f"meta={result['meta_wrong']}")
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ocrmypdf_route", description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, help="a variant folder of samples/corpus")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--tables", type=Path, help=argparse.SUPPRESS)   # internal: step 2 and 3
    args = parser.parse_args(argv)
    if args.tables:
        print(json.dumps(read_tables(args.tables), ensure_ascii=False))
        return 0
    if not args.folder:
        parser.error("a variant folder is needed")
    from samples.ocrmypdf_variants import OcrmypdfMissing

    try:
        print(json.dumps(run_route(args.folder, args.limit), ensure_ascii=False))
    except OcrmypdfMissing as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
