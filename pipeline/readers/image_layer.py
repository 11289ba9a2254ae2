"""Scans under an invisible layer that reads right where it was checked (a searchable PDF, an
OCR tool's output): grid from the image, cells and title by our recognizer, prose from the layer.

The layer is someone's OCR, and a sample that reads right says little of each value: an OCR
tool that dropped a "0" leaves a blank the identities would take for one, and its misreadings
("66" as "00") are the errors a reader is here to avoid. So the cells are read from the pixels,
as a scan's are, and need evidence like a scan's; so is the title, whose agency and year nothing
else checks (the layer's lines stay where no title is read in the pixels)."""
from __future__ import annotations

import time

from ..config import Config
from ..types import PageContent
from .overlap import read_overlapped
from .page import Page


def read(items: list[tuple[Page, PageContent]], config: Config, timings: dict) -> None:
    """Pages two at a time (pipeline.readers.overlap), as the scan reader reads them."""
    from ..grid_image import detect_grids
    from ..ocr import get_engine
    from ..preprocess import has_ruled_table, prepare_page
    from ..scan import (page_rotation, read_grid_cells, read_title_region, reading_confidences,
                        second_look_reader)
    from ..title import find_title

    engine = get_engine(config)
    upright_score = reading_confidences(engine)
    # A title page prepared for its tables is not prepared again for its title.
    title_pages: dict[int, object] = {}     # page number -> that page prepared

    def render(item: tuple[Page, PageContent]):
        t = time.perf_counter()
        rendered = item[0].render_scan()
        timings["render"] = timings.get("render", 0.0) + time.perf_counter() - t
        return rendered

    def read_tables(item: tuple[Page, PageContent], rendered) -> dict[str, float]:
        # In a worker thread: nothing here touches the PDF.
        page, content = item
        image, dpi, bilevel = rendered
        t = time.perf_counter()
        if not has_ruled_table(image, dpi):
            return {"image_grid": time.perf_counter() - t}
        # Upright or turned is told by reading, as on a scan: the geometry's own vote (where the
        # punctuation sits) turned a page of an OCRmyPDF output upside down.
        prepared = prepare_page(image, dpi, upright_score=upright_score)
        content.info.rotation, content.info.skew = page_rotation(prepared), prepared.skew
        content.to_page = prepared.to_original_points
        content.grids = detect_grids(prepared, content.info.page)
        if page.number <= config.title_pages:
            title_pages[page.number] = prepared
        content.info.read_by = "ocr"
        content.cell_source = "ocr"
        content.second_look = second_look_reader(prepared)
        took = {"image_grid": time.perf_counter() - t}
        t = time.perf_counter()
        read_grid_cells(engine, prepared, content.grids, bilevel=bilevel)
        took["recognize"] = time.perf_counter() - t
        return took

    for _, took in read_overlapped(items, render, read_tables, config.page_threads):
        for stage, seconds in took.items():
            timings[stage] = timings.get(stage, 0.0) + seconds

    t = time.perf_counter()
    for page, content in items:
        if page.number > config.title_pages:
            break
        prepared = title_pages.get(page.number)
        if prepared is None:
            image, dpi, _ = page.render_scan()
            prepared = prepare_page(image, dpi, upright_score=upright_score)
        lines = read_title_region(engine, prepared)
        if find_title(lines) is not None:
            content.lines = lines
            break
    timings["title"] = timings.get("title", 0.0) + time.perf_counter() - t
