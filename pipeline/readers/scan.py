"""Pages read from their pixels alone: no text layer, a layer over an image (someone's OCR, or a
layer that lies), or vector rulings that could not be read. Render at the scan's own resolution →
prepare (orientation, skew, seal, lighting) → grids from the rulings → every cell recognised, one
batch per page. Pages without a ruled table cost no OCR, except the first pages' tops, where the
title is; where no page of the document holds one, its tables may be drawn with no rule at all
(read_by_spacing).

A layer over a scan gives nothing to the reading but its title lines, where the pixels show no
title and the layer reads right; whether it does is judged by this reading of its cells and
title (pipeline.textlayer.judge_by_reading)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ..config import Config
from ..textlayer import UNJUDGED
from ..types import PageContent
from .overlap import read_overlapped
from .page import Page, ScanRender

# The prepared images kept for reading the prose later (pipeline.extract.read_prose_if_needed:
# a doubtful total that the prose may restate), instead of rendering and preparing the page again
# (~0.25 s a 300 dpi page). A bound, not all: a long report's pages are prepared again if asked.
PROSE_KEEP_BYTES = 128 * 2**20
# The prepared pages kept for a reading by spacing (read_by_spacing: no page of the document
# shows one of the template's tables ruled), instead of preparing them again (~0.1-0.2 s a 200
# dpi page, already turned and deskewed): those whose ruled grids hold no table, within this
# bound of their images' bytes.
SPACING_KEEP_BYTES = 256 * 2**20

if TYPE_CHECKING:
    import numpy as np

    from ..preprocess import PreparedPage


def read(items: list[tuple[Page, PageContent]], config: Config, timings: dict,
         title_found: bool = False) -> None:
    """Fill each PageContent's grids and title lines by OCR; sets read_by, rotation and skew.
    Pages are read two at a time (pipeline.readers.overlap); titles in the pages' order, none
    where an earlier page holds one (title_found)."""
    from ..grid_image import detect_grids
    from ..ocr import get_engine
    from ..preprocess import has_ruled_table
    from ..scan import read_grid_cells, read_title_region, reading_confidences, second_look_reader
    from ..title import find_title
    from . import may_be_a_table

    engine = get_engine(config)
    upright_score = reading_confidences(engine)

    def render(item: tuple[Page, PageContent]):
        t = time.perf_counter()
        rendered = item[0].render_scan()
        timings["render"] = timings.get("render", 0.0) + time.perf_counter() - t
        return rendered

    def read_tables(item: tuple[Page, PageContent], rendered: ScanRender) -> _PageRead:
        # In a worker thread: nothing here touches the PDF.
        page, content = item
        took: dict[str, float] = {}
        t = time.perf_counter()
        if not has_ruled_table(rendered.image, rendered.dpi):
            took["prepare"] = time.perf_counter() - t
            # Kept unprepared: prepared only if the title is still looked for when its turn comes.
            return _PageRead(None, rendered if page.number <= config.title_pages else None, took)
        prepared = _prepare(content, rendered, upright_score)
        took["prepare"] = time.perf_counter() - t
        t = time.perf_counter()
        content.second_look = second_look_reader(prepared, rendered.bilevel)
        content.grids = detect_grids(prepared, content.info.page)
        took["grid"] = time.perf_counter() - t
        t = time.perf_counter()
        read_grid_cells(engine, prepared, content.grids, bilevel=rendered.bilevel)
        took["recognize"] = time.perf_counter() - t
        return _PageRead(prepared, None, took)

    kept_bytes = spacing_bytes = 0

    for (page, content), done in read_overlapped(items, render, read_tables, config.page_threads):
        for stage, seconds in done.took.items():
            timings[stage] = timings.get(stage, 0.0) + seconds
        content.info.read_by = "ocr"
        content.cell_source = "ocr"
        content.coarse = page.is_coarse
        content.bilevel = page.is_bilevel
        prepared = done.prepared
        if content.info.page <= config.title_pages and not title_found:
            t = time.perf_counter()
            prepared = prepared or _prepare(content, done.unprepared, upright_score)
            timings["prepare"] = timings.get("prepare", 0.0) + time.perf_counter() - t
            t = time.perf_counter()
            content.lines = read_title_region(engine, prepared)
            title_found = find_title(content.lines) is not None
            timings["title"] = timings.get("title", 0.0) + time.perf_counter() - t
        if prepared is not None and not any(may_be_a_table(grid) for grid in content.grids) \
                and spacing_bytes + prepared.gray.nbytes + prepared.binary.nbytes <= SPACING_KEEP_BYTES:
            spacing_bytes += prepared.gray.nbytes + prepared.binary.nbytes
            page.prepared = prepared
        if prepared is not None and kept_bytes + prepared.gray.nbytes <= PROSE_KEEP_BYTES:
            kept_bytes += prepared.gray.nbytes
            content.read_prose = prose_reader(page, content, upright_score, kept=(prepared.gray, prepared.dpi))
        else:
            content.read_prose = prose_reader(page, content, upright_score)

    t = time.perf_counter()
    for page, content in items:
        if page.text_layer == UNJUDGED:
            page.text_layer = content.info.text_layer = judge_layer_by_reading(page, content)
    timings["verdict"] = timings.get("verdict", 0.0) + time.perf_counter() - t
    if not title_found:
        # The layer's lines where they read right: a title the pixels did not give.
        for page, content in items:
            if page.number <= config.title_pages and page.text_layer == "good":
                content.lines = page.text_lines()


def read_by_spacing(items: list[tuple[Page, PageContent]], config: Config, timings: dict) -> None:
    """Find and read, on these scanned pages (read already, none of the template's tables ruled
    on any page of the document), the tables drawn with no rule at all: a Word table with its
    borders off, printed and scanned (pipeline.scan.spaced_grids). A page is prepared as `read`
    prepared it: kept (Page.prepared), else rendered and prepared again; pages are read two at a
    time, as `read` reads them."""
    from ..ocr import ReadingMemo, get_engine
    from ..scan import read_grid_cells, reading_confidences, second_look_reader, spaced_grids

    engine = get_engine(config)
    upright_score = reading_confidences(engine)

    def render(item: tuple[Page, PageContent]) -> tuple[bool, Optional[ScanRender]]:
        page = item[0]
        return page.is_bilevel, None if page.prepared is not None else page.render_scan()

    def read_tables(item: tuple[Page, PageContent], rendered: tuple[bool, Optional[ScanRender]]) -> None:
        # In a worker thread: nothing here touches the PDF.
        page, content = item
        bilevel, scan = rendered
        # A page prepared by the first reading but not kept is turned and deskewed as it was
        # then, not measured again: the same render gives the same frame.
        prepared = page.prepared or _prepare(content, scan, upright_score, content.info.measured_frame())
        page.prepared = None
        content.second_look = second_look_reader(prepared, bilevel)
        # The cells' crops that hold the pixels of a piece read to find the table are not read
        # again (pipeline.scan._piece_crop).
        memo = ReadingMemo(engine)
        content.grids = spaced_grids(memo, prepared, content.info.page, bilevel)
        read_grid_cells(memo, prepared, content.grids, bilevel=bilevel)

    t = time.perf_counter()
    for _ in read_overlapped(items, render, read_tables, config.page_threads):
        pass
    timings["spaced"] = timings.get("spaced", 0.0) + time.perf_counter() - t


def _prepare(content: PageContent, rendered: ScanRender, upright_score,
             frame: Optional[tuple[int, float]] = None) -> "PreparedPage":
    """The page prepared for reading (turned upright, deskewed, cleaned; in `frame`, as
    preprocess.prepare_page's, where given); its turn, skew and frame recorded on its content."""
    from ..preprocess import prepare_page
    from ..scan import page_rotation

    prepared = prepare_page(rendered.image, rendered.dpi, upright_score=upright_score, frame=frame,
                            page_dpi=rendered.page_dpi)
    content.info.rotation, content.info.skew = page_rotation(prepared), prepared.skew
    content.info.frame_measured = True
    content.to_page = prepared.to_original_points
    return prepared


def judge_layer_by_reading(page: Page, content: PageContent) -> str:
    """The verdict of an OCR tool's layer over this scan, from what its cells and title lines
    were read as; from a sample of the layer read by OCR where they show too little."""
    from ..textlayer import judge_by_reading, judge_page

    to_page = content.to_page or (lambda bbox: bbox)
    readings = [(to_page(cell.bbox), cell.text) for grid in content.grids for cell in grid.cells]
    readings += [(to_page(line.bbox), line.text) for line in content.lines]
    return judge_by_reading(page.doc, page.index, readings) \
        or judge_page(page.doc, page.index, page.config, {})


@dataclass
class _PageRead:
    prepared: Optional["PreparedPage"]      # of a page whose tables were read
    unprepared: Optional[ScanRender]        # a title page without tables
    took: dict


def prose_reader(page: Page, content: PageContent, upright_score,
                 frame: Optional[tuple[int, float]] = None,
                 kept: Optional[tuple["np.ndarray", float]] = None):
    """Reads the page's prose when called: in the prepared image its grids were found in (`kept`:
    grey image and dpi), else rendered and prepared again in that frame (`frame`, else the turn
    and skew measured when they were: applied, not measured again); the lines outside the grids
    detected and recognised."""
    def read():
        from ..ocr import get_engine
        from ..preprocess import prepare_page
        from ..scan import read_prose_lines

        if kept is not None:
            return read_prose_lines(get_engine(page.config), *kept, content.grids)
        rendered = page.render_scan()
        prepared = prepare_page(rendered.image, rendered.dpi, upright_score=upright_score,
                                frame=frame or content.info.measured_frame(), page_dpi=rendered.page_dpi)
        return read_prose_lines(get_engine(page.config), prepared.gray, prepared.dpi, content.grids)
    return read
