"""How right the text of our searchable PDFs is, per input variant of the sample corpus.

    .venv/bin/python -m bench.searchable_cer --variants scan200 tounicode-both [--limit N]

For each variant's X.pdf: extract it (for the per-page text-layer verdicts), write the searchable
PDF, and compare its text with the document's true text — the clean PDF's text layer
(samples/corpus/clean/X.pdf) — cell by cell of the clean PDF's ruled tables: what the text layer
holds inside each cell's box, spaces ignored. That is the text that matters (table labels and
numbers) and the place it must be (a value outside its cell is read into the wrong one). Cells of
scans fed skewed or turned are mapped onto the scan with the variant's degrade sidecar.

Character error rate = edit distance / characters of the true text. Seconds per page count only
write_searchable (the extract before it is the product's usual run, measured by `make bench`).
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "samples" / "corpus"
log = logging.getLogger("bench.searchable_cer")


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _squash(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


def table_cells(clean_pdf: Path) -> dict[int, list[tuple[float, float, float, float]]]:
    """Boxes (points, top-left origin) of the clean PDF's table cells, by page (1-based)."""
    import pypdfium2 as pdfium

    from pipeline import pdf as pdfio
    from pipeline.config import DEFAULT
    from pipeline.grid_vector import read_vector_grids

    document = pdfium.PdfDocument(str(clean_pdf))
    try:
        heights = {i + 1: pdfio.page_size(document, i)[1] for i in range(len(document))}
    finally:
        document.close()
    grids = read_vector_grids(str(clean_pdf), sorted(heights), heights, DEFAULT)
    return {page: [cell.bbox for grid in page_grids for cell in grid.cells]
            for page, page_grids in grids.items()}


def map_box(box, record: dict | None):
    """A clean page's box → the same place on the degraded page (skew about the centre, a
    perspective, then a quarter turn clockwise), as the degrader moved it; the box around the
    mapped corners."""
    if not record:
        return box
    keystone = record.get("keystone_matrix")
    angle = math.radians(record.get("skew_deg_ccw", 0.0))
    turn = record.get("rotation_cw_deg", 0) % 360
    # The record's size is the final image's: before a quarter turn it stood the other way.
    width, height = record["width_pt"], record["height_pt"]
    if turn in (90, 270):
        width, height = height, width
    cx, cy = width / 2.0, height / 2.0
    corners = []
    for x, y in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
        # y runs down: a counter-clockwise turn as seen is (x, y) → rotation by -angle in math axes.
        dx, dy = x - cx, y - cy
        x2 = cx + dx * math.cos(angle) + dy * math.sin(angle)
        y2 = cy - dx * math.sin(angle) + dy * math.cos(angle)
        if keystone:        # in the image's pixels
            px = record["dpi"] / 72.0
            u, v, w = (sum(keystone[r][c] * val for c, val in enumerate((x2 * px, y2 * px, 1.0))) for r in range(3))
            x2, y2 = u / w / px, v / w / px
        if turn == 90:
            x2, y2 = height - y2, x2
        elif turn == 180:
            x2, y2 = width - x2, height - y2
        elif turn == 270:
            x2, y2 = y2, width - x2
        corners.append((x2, y2))
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return (min(xs), min(ys), max(xs), max(ys))


def cell_cer(clean_pdf: Path, searchable_pdf: Path, cells: dict[int, list], sidecar: dict | None) -> dict:
    """Edit distance and true characters over all table cells; plus the numbers-only figures."""
    import pypdfium2 as pdfium

    from pipeline import pdf as pdfio

    records = {r["page"]: r for r in (sidecar or {}).get("pages", [])} if sidecar else {}
    clean = pdfium.PdfDocument(str(clean_pdf))
    out = pdfium.PdfDocument(str(searchable_pdf))
    totals = {"chars": 0, "errors": 0, "digit_chars": 0, "digit_errors": 0}
    try:
        for page, boxes in cells.items():
            for box in boxes:
                truth = _squash(pdfio.text_in_box(clean, page - 1, box))
                if not truth:
                    continue
                got = _squash(pdfio.text_in_box(out, page - 1, map_box(box, records.get(page - 1))))
                errors = edit_distance(truth, got)
                totals["chars"] += len(truth)
                totals["errors"] += errors
                if truth.isdigit():
                    totals["digit_chars"] += len(truth)
                    totals["digit_errors"] += errors
    finally:
        clean.close()
        out.close()
    return totals


def run_variant(variant: str, limit: int | None, out_dir: Path) -> dict:
    import pipeline
    from pipeline.searchable import write_searchable

    folder = CORPUS / variant
    figures = {"variant": variant, "reports": 0, "pages": 0, "seconds": 0.0,
               "chars": 0, "errors": 0, "digit_chars": 0, "digit_errors": 0}
    for pdf in sorted(folder.glob("*.pdf"))[:limit]:
        clean = CORPUS / "clean" / pdf.name
        if not clean.exists():
            continue
        report = pipeline.extract(pdf)
        target = out_dir / variant / pdf.name
        t = time.perf_counter()
        write_searchable(pdf, report, target)
        figures["seconds"] += time.perf_counter() - t
        figures["pages"] += report.n_pages
        sidecar_path = pdf.parent / f"{pdf.stem}.degrade.json"
        sidecar = json.loads(sidecar_path.read_text(encoding="utf-8")) if sidecar_path.exists() else None
        if sidecar and sidecar.get("kind") != "scan":
            sidecar = None          # only scans moved the page's content
        totals = cell_cer(clean, target, table_cells(clean), sidecar)
        for key, value in totals.items():
            figures[key] += value
        figures["reports"] += 1
        log.info("%s %s: CER %.4f over %d chars", variant, pdf.name,
                 totals["errors"] / max(1, totals["chars"]), totals["chars"])
    figures["cer"] = figures["errors"] / max(1, figures["chars"])
    figures["digit_cer"] = figures["digit_errors"] / max(1, figures["digit_chars"])
    figures["seconds_per_page"] = figures["seconds"] / max(1, figures["pages"])
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.searchable_cer", description=__doc__.split("\n")[0])
    parser.add_argument("--variants", nargs="+", default=["scan200", "tounicode-both", "junk-layer200"])
    parser.add_argument("--limit", type=int, default=None, help="at most this many PDFs per variant")
    parser.add_argument("--out", type=Path, default=None, help="keep the searchable PDFs here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = args.out or Path(tmp)
        rows = [run_variant(v, args.limit, out_dir) for v in args.variants]
    print(f"{'variant':<20} {'reports':>7} {'chars':>7} {'CER':>8} {'digit CER':>9} {'s/page':>7}")
    for r in rows:
        print(f"{r['variant']:<20} {r['reports']:>7} {r['chars']:>7} {r['cer']:>8.4f} "
              f"{r['digit_cer']:>9.4f} {r['seconds_per_page']:>7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
