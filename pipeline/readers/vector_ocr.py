"""Pages whose layer lies but whose rulings are vector: camelot's grid, OCR's text.

The page is drawn right (only its character map lies), so its render needs no preparation.
"""
from __future__ import annotations

import time

from ..config import Config
from ..types import PageContent
from .page import Page


def read(items: list[tuple[Page, PageContent]], config: Config, timings: dict) -> None:
    from ..ocr import get_engine
    from ..scan import _unprepared, read_grid_cells, read_title_region, second_look_reader
    from ..title import find_title

    engine = get_engine(config)
    title_found = False
    for page, content in items:
        t = time.perf_counter()
        prepared = _unprepared(page.render(config.scan_dpi), config.scan_dpi)
        page.release()
        content.info.read_by = "ocr"
        content.cell_source = "ocr"
        content.second_look = second_look_reader(prepared)
        read_grid_cells(engine, prepared, content.grids)
        if content.info.page <= config.title_pages and not title_found:
            content.lines = read_title_region(engine, prepared)
            title_found = find_title(content.lines) is not None
        timings["recognize"] = timings.get("recognize", 0.0) + time.perf_counter() - t
