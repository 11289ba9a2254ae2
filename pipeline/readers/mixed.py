"""Born-digital pages whose tables are pictures (a report written in Word with its statistics
tables pasted as screenshots): the prose keeps its good layer, and each picture that holds a
ruled table the layer does not is read through the scan path — grid from the picture's rulings,
text by OCR, a second look for every cell. The layer's own vector grids on the same page, if any,
keep their text; the page's cells are then all "ocr" (one source per page) and need evidence
from the identities or the second recognizer, as a scan's do."""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from ..config import Config
from ..types import BBox, Grid, PageContent
from .page import Page

# Read at the picture's own resolution, within what OCR reads well.
MIN_DPI, MAX_DPI = 150, 300
# Paper kept around a picture (points): its outer rule lies on its edge.
MARGIN_PT = 3.0
# A layer with this many characters over a page-sized picture is that scan's own layer.
LAYER_CHARS_OVER_SCAN = 5


def reading_dpi(page: Page, config: Config) -> float:
    dpis = [dpi for bbox, dpi in page.pictures if bbox in page.picture_tables and dpi > 0]
    return float(min(MAX_DPI, max(MIN_DPI, max(dpis) if dpis else config.scan_dpi)))


def find_picture_tables(page: Page, config: Config) -> list[BBox]:
    """The pictures of a page with a good layer that hold a ruled table (preprocess.
    has_ruled_table on the picture's own pixels) and that no vector grid of the layer covers;
    sets and returns page.picture_tables.

    A picture over most of the page is a scan under an invisible layer (readers.scan)
    when the layer has text over it; a picture the layer leaves empty is a pasted table however
    large it is."""
    page.picture_tables = []
    if page.text_layer != "good" or not page.pictures:
        return []
    from ..preprocess import has_ruled_table
    for bbox, dpi in page.pictures:
        if any(_covered(bbox, g.bbox) > 0.5 for g in _grids_with_text(page)):
            continue
        if page.is_image and _layer_chars(page, bbox) >= LAYER_CHARS_OVER_SCAN:
            continue
        dpi = float(min(MAX_DPI, max(MIN_DPI, dpi or config.scan_dpi)))
        crop = _crop(page.render(dpi), bbox, dpi)
        if crop.size and has_ruled_table(crop, dpi):
            page.picture_tables.append(bbox)
    page.release()
    return page.picture_tables


def read(items: list[tuple[Page, PageContent]], config: Config, timings: dict,
         title_found: bool = False) -> None:
    from ..grid_image import detect_grids
    from ..ocr import get_engine
    from ..preprocess import prepare_page
    from ..scan import COARSE_DPI, page_rotation, read_grid_cells, reading_confidences, second_look_reader

    engine = get_engine(config)
    for page, content in items:
        t = time.perf_counter()
        dpi = reading_dpi(page, config)
        image = page.render(dpi)
        page.release()
        # Only the pictures: prose and the layer's own tables stay out of the grid finder's way.
        masked = np.full_like(image, 255)
        for bbox in page.picture_tables:
            x0, y0, x1, y1 = _pixels(bbox, dpi, image.shape)
            masked[y0:y1, x0:x1] = image[y0:y1, x0:x1]
        prepared = prepare_page(masked, dpi, upright_score=reading_confidences(engine))
        content.info.read_by = "ocr"
        content.cell_source = "ocr"
        content.coarse = any(0 < d < COARSE_DPI for bbox, d in page.pictures if bbox in page.picture_tables)
        content.info.rotation, content.info.skew = page_rotation(prepared), prepared.skew
        content.info.frame_measured = True
        content.to_page = prepared.to_original_points
        content.second_look = second_look_reader(prepared)
        grids = detect_grids(prepared, page.number)
        read_grid_cells(engine, prepared, grids)
        if not content.prose:     # a pasted picture over most of the page: still born digital
            content.prose = page.text_lines()
        vector = [_into_frame(g, prepared) for g in _grids_with_text(page)]
        content.grids = sorted(vector + grids, key=lambda g: (g.bbox[1], g.bbox[0]))
        timings["picture_tables"] = timings.get("picture_tables", 0.0) + time.perf_counter() - t


def _layer_chars(page: Page, bbox: BBox) -> int:
    """Characters of the layer inside bbox (a few points in from its edges, where a caption or a
    heading beside the picture may reach)."""
    x0, y0, x1, y1 = bbox
    inner = (x0 + 4, y0 + 4, x1 - 4, y1 - 4)
    if inner[2] <= inner[0] or inner[3] <= inner[1]:
        return 0
    return sum(not ch.isspace() for ch in page.text_in_box(inner))


def _grids_with_text(page: Page) -> list[Grid]:
    """The layer's vector grids, less those that are a picture's rulings seen by camelot's raster
    detection (no layer text in any cell)."""
    return [g for g in page.vector_grids or []
            if any(c.text.strip() for c in g.cells)
            or not any(_covered(g.bbox, bbox) > 0.5 for bbox, _ in page.pictures)]


def _covered(a: BBox, b: BBox) -> float:
    """The share of a's area inside b."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    area = (a[2] - a[0]) * (a[3] - a[1])
    return max(0.0, w) * max(0.0, h) / area if area > 0 else 0.0


def _pixels(bbox: BBox, dpi: float, shape) -> tuple[int, int, int, int]:
    s = dpi / 72.0
    x0, y0, x1, y1 = bbox
    return (max(0, int((x0 - MARGIN_PT) * s)), max(0, int((y0 - MARGIN_PT) * s)),
            min(shape[1], int(np.ceil((x1 + MARGIN_PT) * s))),
            min(shape[0], int(np.ceil((y1 + MARGIN_PT) * s))))


def _crop(image: np.ndarray, bbox: BBox, dpi: float) -> np.ndarray:
    x0, y0, x1, y1 = _pixels(bbox, dpi, image.shape)
    return image[y0:y1, x0:x1]


def _into_frame(grid: Grid, prepared) -> Grid:
    """A grid in page points moved into the prepared page's frame (where the picture grids and
    the second look live); unchanged when the picture needed no turn nor deskew."""
    from ..preprocess import apply_homography

    if np.array_equal(prepared.to_original, np.eye(3)):
        return grid
    ppp = prepared.points_per_pixel
    to_prepared = np.linalg.inv(prepared.to_original)

    def box(b: BBox) -> BBox:
        x0, y0, x1, y1 = (v / ppp for v in b)
        pts = apply_homography(to_prepared, np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], float))
        return (float(pts[:, 0].min() * ppp), float(pts[:, 1].min() * ppp),
                float(pts[:, 0].max() * ppp), float(pts[:, 1].max() * ppp))

    cells = [dataclasses.replace(c, bbox=box(c.bbox)) for c in grid.cells]
    frame = box(grid.bbox)
    x0, y0 = grid.bbox[0], grid.bbox[1]
    cols = [box((x, y0, x, y0))[0] for x in grid.col_edges]
    rows = [box((x0, y, x0, y))[1] for y in grid.row_edges]
    return dataclasses.replace(grid, bbox=frame, cells=cells, col_edges=cols, row_edges=rows)
