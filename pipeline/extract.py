"""One report PDF in, a checked Report out: the stages wired together."""
from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Optional

from . import pdf as pdfio
from .checks import run_checks
from .config import DEFAULT, Config
from .grid_vector import read_vector_grids
from .match import Match, match_document
from .numbers import number_candidates, read_number
from .resolve import choose_by_identities
from .textlayer import judge_text_layers
from .title import find_title, parse_title, title_is_uncertain
from .types import Cell, Grid, InputError, PageContent, PageInfo, Report, TextLine

log = logging.getLogger(__name__)

# Words printed in the template's table headers.
TABLE_WORDS = ("信息内容", "申请人情况", "行政复议", "第二十条", "本年新收")


def extract(path: str | Path, config: Optional[Config] = None) -> Report:
    """Read one report. Raises InputError (one-line reason) when the file is not a readable report."""
    config = config or DEFAULT
    path = Path(path)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    doc = pdfio.open_document(path, config)
    try:
        timings["open"] = time.perf_counter() - t0
        contents = read_pages(doc, config, timings)
        return build_report(doc, contents, config, timings)
    finally:
        doc.close()


def read_pages(doc: pdfio.Document, config: Config, timings: dict) -> list[PageContent]:
    """Each page's tables and text lines: by the text layer where it is good, else by OCR.

    good layer, vector rulings  → camelot lattice, text from the layer (no OCR)
    good layer, scanned image   → grid from the image, text from the layer
    garbled layer, vector rules → camelot lattice for the grid, text by OCR
    no layer, or garbled on an image → the scan path: grid from the image, text by OCR
    """
    t = time.perf_counter()
    verdicts = judge_text_layers(doc, config)
    timings["verdict"] = time.perf_counter() - t
    contents: list[PageContent] = []
    for i in range(doc.n_pages):
        w, h = pdfio.page_size(doc.pdf, i)
        contents.append(PageContent(PageInfo(page=i + 1, text_layer=verdicts[i], read_by="text"), w, h))

    t = time.perf_counter()
    layered = [c for c in contents if c.info.text_layer != "none"]
    vector_pages = [c.info.page for c in layered if pdfio.page_has_paths(doc.pdf, c.info.page - 1)]
    grids = read_vector_grids(str(doc.path), vector_pages, {c.info.page: c.height for c in contents},
                              config)
    # Rulings drawn in ways the vector reader misses (filled bars, patterns) are seen by
    # camelot's raster detection: tried on pages that name a table but gave no grid.
    missed = [p for p in vector_pages if p in grids and not grids[p]
              and any(k in pdfio.page_text(doc.pdf, p - 1) for k in TABLE_WORDS)]
    if missed:
        grids.update(read_vector_grids(str(doc.path), missed, {c.info.page: c.height for c in contents},
                                       config, engine="combined"))
    unparsed = [c for c in layered if c.info.page in vector_pages and c.info.page not in grids]
    for c in layered:
        c.grids = grids.get(c.info.page, [])
        if c.info.text_layer == "good" and c.info.page <= config.title_pages:
            c.lines = pdfio.page_text_lines(doc.pdf, c.info.page - 1)
    timings["text_path"] = time.perf_counter() - t

    garbled_vector = [c for c in contents if c.info.text_layer == "garbled" and c.grids]
    image_layered = [c for c in contents if c.info.text_layer == "good" and not c.grids
                     and pdfio.page_is_image(doc.pdf, c.info.page - 1)]
    by_scan = [c for c in contents if c.info.text_layer == "none"
               or (c.info.text_layer == "garbled" and not c.grids) or c in unparsed]
    if garbled_vector or image_layered or by_scan:
        from . import scan      # loads OCR and OpenCV stages: only when needed
        t = time.perf_counter()
        if garbled_vector:
            scan.read_vector_pages_by_ocr(doc, garbled_vector, config, timings)
        if image_layered:
            scan.read_image_pages_with_layer(doc, image_layered, config, timings)
        if by_scan:
            scan.read_pages_by_ocr(doc, by_scan, config, timings)
        timings["ocr_path"] = time.perf_counter() - t
    return contents


def build_report(doc: pdfio.Document, contents: list[PageContent], config: Config,
                 timings: dict) -> Report:
    t = time.perf_counter()
    grids: list[Grid] = [g for c in contents for g in c.grids]
    match = match_document(grids)
    if not match.tables_found:
        raise InputError("not a government-information-disclosure annual report: "
                         "none of the template's tables was found")
    to_page = {c.info.page: c.to_page for c in contents if c.to_page}
    cells = [_cell_of(m, config, to_page.get(m.page)) for m in match.cells]
    choose_by_identities(cells, config.min_confidence)
    checks = run_checks(cells, config.min_confidence)
    lines: list[TextLine] = [l for c in contents[:2] for l in c.lines]
    agency, year = parse_title(find_title(lines), lines)
    reasons = _review_reasons(match, cells, checks, agency, year)
    if title_is_uncertain(lines, config.min_confidence):
        reasons.append("title read by OCR with doubt: agency or year may be misread")
    timings["match"] = time.perf_counter() - t
    return Report(
        source_path=str(doc.path), sha256=doc.sha256, n_pages=doc.n_pages,
        version=match.version, agency=agency, year=year,
        pages=[c.info for c in contents], cells=cells, checks=checks,
        needs_review=bool(reasons), review_reasons=reasons, timings=timings)


def _cell_of(m, config: Config, to_page=None) -> Cell:
    if m.source is None:
        return Cell(m.table, m.row, m.column, None, "", 0.0, m.page, None,
                    [m.problem or "missing"])
    src = m.source
    text = re.sub(r"\s+", " ", src.text).strip()
    parsed, confidence = read_number(text, src.confidence, src.alternatives)
    flags = []
    if m.problem:
        flags.append(m.problem)
    if parsed.kind == "unreadable":
        flags.append("unreadable")
    if confidence < config.min_confidence:
        flags.append("low_confidence")
    bbox = to_page(src.bbox) if to_page else src.bbox
    candidates = [(v, c) for v, c in number_candidates(text, src.confidence, src.alternatives)
                  if v != parsed.value] if src.alternatives else []
    return Cell(m.table, m.row, m.column, parsed.value, text, confidence, m.page, bbox, flags,
                candidates, note=getattr(parsed, "note", None))


def _review_reasons(match: Match, cells: list[Cell], checks, agency, year) -> list[str]:
    reasons = list(match.problems)
    if match.version is None:
        reasons.append("template version not recognised")
    for c in cells:
        if c.flags:
            reasons.append(f"{c.table} {c.row} {c.column}: {', '.join(c.flags)}")
    for ch in checks:
        if not ch.ok:
            reasons.append(f"identity fails ({ch.cause}): {ch.rule} [{ch.column}] {ch.detail}")
    if agency is None:
        reasons.append("agency not found in the title")
    if year is None:
        reasons.append("reporting year not found")
    return reasons
