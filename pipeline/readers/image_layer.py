"""Scans under a good invisible layer (a searchable PDF): grid from the image, text from the
layer — no OCR, and the same values as the layer says. The layer is someone's OCR: its cells
carry cell_source "ocr_layer" and a second look, and need evidence like ours."""
from __future__ import annotations

import time

from ..config import Config
from ..types import PageContent
from .page import Page


def read(items: list[tuple[Page, PageContent]], config: Config, timings: dict) -> None:
    from ..grid_image import detect_grids
    from ..preprocess import has_ruled_table, prepare_page
    from ..scan import page_rotation, second_look_reader

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
        content.cell_source = "ocr_layer"
        content.second_look = second_look_reader(prepared)
        for grid in content.grids:
            for cell in grid.cells:
                cell.text = page.text_in_box(prepared.to_original_points(cell.bbox)).strip()
                cell.confidence = 1.0
        timings["image_grid"] = timings.get("image_grid", 0.0) + time.perf_counter() - t
