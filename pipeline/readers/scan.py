"""Pages read from their pixels alone: no text layer, a layer that lies over an image, or vector
rulings that could not be read. Render at the scan's own resolution → prepare (orientation,
skew, seal, lighting) → grids from the rulings → every cell recognised, one batch per page.
Pages without a ruled table cost no OCR, except the first pages' tops, where the title is."""
from __future__ import annotations

import time
from typing import Optional

from ..config import Config
from ..types import PageContent
from .page import Page


def read(items: list[tuple[Page, PageContent]], config: Config, timings: dict) -> None:
    """Fill each PageContent's grids and title lines by OCR; sets read_by, rotation and skew."""
    from ..grid_image import detect_grids
    from ..ocr import get_engine
    from ..preprocess import has_ruled_table, prepare_page
    from ..scan import (page_rotation, read_grid_cells, read_title_region, reading_confidences,
                        second_look_reader)
    from ..title import find_title

    engine = get_engine(config)
    upright_score = reading_confidences(engine)
    title_found = False
    for page, content in items:
        t = time.perf_counter()
        dpi = page.scan_dpi
        image = page.render(dpi)
        page.release()
        timings["render"] = timings.get("render", 0.0) + time.perf_counter() - t
        content.info.read_by = "ocr"
        content.cell_source = "ocr"
        content.read_prose = prose_reader(page, content, upright_score)
        wants_title = content.info.page <= config.title_pages and not title_found
        t = time.perf_counter()
        has_table = has_ruled_table(image, dpi)
        if not has_table and not wants_title:
            timings["prepare"] = timings.get("prepare", 0.0) + time.perf_counter() - t
            continue
        prepared = prepare_page(image, dpi, upright_score=upright_score)
        content.info.rotation, content.info.skew = page_rotation(prepared), prepared.skew
        content.info.frame_measured = True
        content.to_page = prepared.to_original_points
        timings["prepare"] = timings.get("prepare", 0.0) + time.perf_counter() - t
        if has_table:
            t = time.perf_counter()
            content.second_look = second_look_reader(prepared)
            content.grids = detect_grids(prepared, content.info.page)
            timings["grid"] = timings.get("grid", 0.0) + time.perf_counter() - t
            t = time.perf_counter()
            read_grid_cells(engine, prepared, content.grids, bilevel=page.is_bilevel)
            timings["recognize"] = timings.get("recognize", 0.0) + time.perf_counter() - t
        if wants_title:
            t = time.perf_counter()
            content.lines = read_title_region(engine, prepared)
            title_found = find_title(content.lines) is not None
            timings["title"] = timings.get("title", 0.0) + time.perf_counter() - t


def prose_reader(page: Page, content: PageContent, upright_score,
                 frame: Optional[tuple[int, float]] = None):
    """Reads the page's prose when called: rendered and prepared again in the frame its grids
    were found in (`frame`, else the turn and skew measured when they were: applied, not
    measured again), the lines outside the grids detected and recognised."""
    def read():
        from ..ocr import get_engine
        from ..preprocess import prepare_page
        from ..scan import read_prose_lines

        dpi = page.scan_dpi
        image = page.render(dpi)
        page.release()
        prepared = prepare_page(image, dpi, upright_score=upright_score,
                                frame=frame or content.info.measured_frame())
        return read_prose_lines(get_engine(page.config), prepared, content.grids)
    return read
