"""Scans under an invisible layer that reads right where it was checked (a searchable PDF, an
OCR tool's output): grid from the image, title lines from the layer, cells by our recognizer.

The layer is someone's OCR, and a sample that reads right says little of each value: an OCR
tool that dropped a "0" leaves a blank the identities would take for one, and its misreadings
("66" as "00") are the errors a reader is here to avoid. So the cells are read from the pixels,
as a scan's are, and need evidence like a scan's."""
from __future__ import annotations

import time

from ..config import Config
from ..types import PageContent
from .page import Page


def read(items: list[tuple[Page, PageContent]], config: Config, timings: dict) -> None:
    from ..grid_image import detect_grids
    from ..ocr import get_engine
    from ..preprocess import has_ruled_table, prepare_page
    from ..scan import page_rotation, read_grid_cells, second_look_reader

    for page, content in items:
        t = time.perf_counter()
        dpi = page.scan_dpi
        image = page.render(dpi)
        page.release()
        if not has_ruled_table(image, dpi):
            continue
        # No upright_score: a page whose layer reads right is upright or turned by quarter turns
        # that the geometry tells.
        prepared = prepare_page(image, dpi)
        content.info.rotation, content.info.skew = page_rotation(prepared), prepared.skew
        content.to_page = prepared.to_original_points
        content.grids = detect_grids(prepared, content.info.page)
        content.info.read_by = "ocr"
        content.cell_source = "ocr"
        content.second_look = second_look_reader(prepared)
        timings["image_grid"] = timings.get("image_grid", 0.0) + time.perf_counter() - t
        t = time.perf_counter()
        read_grid_cells(get_engine(config), prepared, content.grids, bilevel=page.is_bilevel)
        timings["recognize"] = timings.get("recognize", 0.0) + time.perf_counter() - t
