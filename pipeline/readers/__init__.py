"""Page readers: the one place where how each page is read is chosen.

Every page is a `Page` (its verdict, what it holds, its own renders). Pages with a text layer
first take what the layer gives (readers.text: grids from its vector rulings, prose, title
lines); then `choose_reader` names the reader that reads the page's tables:

    text         good layer, vector rulings (or no table): the layer alone, no OCR
    vector_ocr   garbled layer, vector rulings (or a drawn page without tables): the rulings'
                 grid, text decoded through codes OCR tells
    mixed        good born-digital layer with tables pasted as pictures: the pictures' grids and
                 text by OCR, the prose keeps its layer
    scan         no layer, a layer over an image (someone's OCR, not trusted for values: judged
                 by the scan's own reading, its title lines kept where the pixels show none), a
                 garbled layer over pictures, rulings that cannot be read, or a layer shown
                 sideways (a wrong /Rotate): pixels only

Each reader's `read(items, config, timings, title_found)` fills its pages' PageContent
(pipeline.types) the way the rest of the pipeline reads it: grids, lines, prose, to_page,
cell_source, second_look, info.read_by/rotation/skew; the title is looked for on its pages only
where `title_found` (a page before them holds it) is false.
"""
from __future__ import annotations

import logging
import threading
import time

from .. import pdf as pdfio
from ..config import Config
from ..match import classify_grid, match_document
from ..numbers import parse_value
from ..textlayer import UNJUDGED, judge_text_layers
from ..title import find_title
from ..types import Grid, PageContent, PageInfo
from . import mixed, scan, text, vector_ocr
from .page import Page

log = logging.getLogger(__name__)

# A ruled grid holding this many figures may be a part of a template table (the last row of
# table 三 carried over to a page of its own prints seven; a junk grid's misreadings, a few).
TABLE_FIGURES = 3

READERS = {"text": text, "vector_ocr": vector_ocr, "mixed": mixed, "scan": scan}

__all__ = ["Page", "READERS", "choose_reader", "open_pages", "read_pages"]


def open_pages(doc: pdfio.Document, config: Config, verdicts: list[str]) -> list[Page]:
    pages = []
    for i in range(doc.n_pages):
        w, h = pdfio.page_size(doc.pdf, i)
        pages.append(Page(doc, config, i + 1, w, h, verdicts[i]))
    return pages


def may_be_a_table(grid: Grid) -> bool:
    """Whether a ruled grid may be one of the template's tables: two columns or more, and the
    template's labels or TABLE_FIGURES figures in it. A shaded band's edges (one column), a
    framed note, or the lines a scan's show-through forms of the back page's print hold neither,
    and one such grid left a report's tables drawn with no rule unsought (refused as no report)."""
    if grid.n_cols < 2:
        return False
    return sum(parse_value(c.text).kind == "number" for c in grid.cells) >= TABLE_FIGURES \
        or classify_grid(grid) is not None


def _holds_a_template_table(grids: list[Grid]) -> bool:
    """Whether the ruled grids found hold one of the template's tables: one that may be
    (may_be_a_table), and the tables the matcher finds among them. A grid of a coarse scan's
    strokes, cut by false rules into cells that read as figures, may be a table; that it is none
    of the template's, only matching tells (a report drawn with no rule was refused unsought)."""
    return any(may_be_a_table(grid) for grid in grids) and bool(match_document(grids).tables_found)


def _meanwhile(work) -> None:
    """Start work that the reading will need later in a thread now. What it loads is the
    process's (imported modules, pipeline.ocr.get_engine's models, each behind its lock), so a
    later use waits for it or finds it done; a failure here is left for that use to meet."""
    def run() -> None:
        try:
            work()
        except Exception as e:      # the caller that needs it meets it again, and reports it
            log.debug("background load failed: %s", e)
    threading.Thread(target=run, daemon=True).start()


def choose_reader(page: Page, config: Config) -> str:
    """The reader of one page (its vector grids, if it has a layer, already looked for)."""
    if not page.has_layer or page.vector_unparsed or page.reads_turned or page.text_layer == UNJUDGED:
        return "scan"
    if page.text_layer == "garbled":
        # A drawn page without tables (a title page, prose) is read as a vector page too: the
        # layer's lines tell where the title is and the render needs no preparation. Pictures,
        # or paths in which no table was found, may hold one: the scan reader looks.
        drawn_prose = not page.is_image and not page.has_paths and not page.pictures
        return "vector_ocr" if page.has_vector_grids or drawn_prose else "scan"
    if page.is_image and page.has_vector_grids:
        return "text"
    if mixed.find_picture_tables(page, config):
        return "mixed"
    return "scan" if page.is_image else "text"


def read_pages(doc: pdfio.Document, config: Config, timings: dict) -> list[PageContent]:
    """Each page's tables and text lines, each page by its reader."""
    t = time.perf_counter()
    verdicts = judge_text_layers(doc, config, defer_scan_layers=True)
    timings["verdict"] = time.perf_counter() - t
    pages = open_pages(doc, config, verdicts)
    if any(v != "good" for v in verdicts) or any(p.is_image for p in pages):
        # Pages will be read from their pixels: the OCR models load while the layer is read.
        def load_engine() -> None:
            from ..ocr import get_engine
            get_engine(config)
        _meanwhile(load_engine)
    contents = [PageContent(PageInfo(page=p.number, text_layer=p.text_layer, read_by="text"),
                            p.width, p.height) for p in pages]

    t = time.perf_counter()
    text.find_vector_grids(pages, config)
    for page, content in zip(pages, contents):
        if page.has_layer:
            text.read_layer(page, content, config)
    kinds = [choose_reader(p, config) for p in pages]
    timings["text_path"] = time.perf_counter() - t

    if any(k != "text" for k in kinds):
        t = time.perf_counter()
        groups: dict[str, list] = {}
        for page, content, kind in zip(pages, contents, kinds):
            if kind != "text":
                groups.setdefault(kind, []).append((page, content))
        done = [c for c, k in zip(contents, kinds) if k == "text"]
        # Readers run in the order of their first page, each told whether a page before it holds
        # the title already: a title page that one reader read is not looked for again on the
        # next page by another (a table page's top read in vain costs ~0.6 s).
        for name, group in sorted(groups.items(), key=lambda item: item[1][0][0].number):
            first = group[0][0].number
            title_found = any(c.info.page < first and find_title(c.lines) is not None for c in done)
            READERS[name].read(group, config, timings, title_found)
            done += [c for _, c in group]
        if "scan" in groups and not _holds_a_template_table([g for c in contents for g in c.grids]):
            # None of the template's tables ruled: the scanned pages' may be drawn with no rule.
            scan.read_by_spacing(groups["scan"], config, timings)
        timings["ocr_path"] = time.perf_counter() - t
    for page in pages:
        page.release()
    return contents
