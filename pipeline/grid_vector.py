"""Grids and their text from vector pages: the PDF's own rulings read from its drawing
(pipeline.grid_pdf); camelot's lattice with its raster line detection only for the rare page
whose rulings that reading misses (filled bars, patterns), so camelot (pandas, ~0.8 s of CPU to
import) is imported for those pages alone."""
from __future__ import annotations

import logging
import warnings

import pypdfium2 as pdfium

from . import grid_pdf
from .config import Config
from .grid import merge_cells
from .types import Grid

log = logging.getLogger(__name__)


def read_vector_grids(path: str, pages: list[int], page_heights: dict[int, float],
                      config: Config, engine: str = "vector", spaced: frozenset = frozenset()
                      ) -> dict[int, list[Grid]]:
    """Tables on `pages` (1-based) as Grids with the text layer's text in each cell. A page whose
    rulings cannot be read is left out of the result.

    engine "vector" reads the rulings from the page's path objects (no render); "combined" is
    camelot's lattice with its raster line detection added, for rulings drawn in ways the
    vector reading misses. On the pages of `spaced` (a layer that reads right), "vector" seeks a
    table drawn with no rule at all in the text's spacing where no ruled one is found.
    """
    out: dict[int, list[Grid]] = {p: [] for p in pages}
    if not pages:
        return out
    if engine == "vector":
        _read_own(path, pages, out, spaced)
    else:
        _read_camelot(path, pages, page_heights, config, engine, out)
    for page in out:
        out[page].sort(key=lambda g: g.bbox[1])
    return out


def _read_own(path: str, pages: list[int], out: dict[int, list[Grid]], spaced: frozenset) -> None:
    try:
        pdf = pdfium.PdfDocument(path)
    except Exception as e:      # the caller reads pages missing here another way
        log.warning("cannot open %s for its rulings: %s", path, e)
        out.clear()
        return
    try:
        for page in pages:
            try:
                out[page] = grid_pdf.read_page_grids(pdf, page - 1, by_spacing=page in spaced)
            except Exception as e:
                log.warning("cannot read the rulings of page %d: %s", page, e)
                out.pop(page, None)
    finally:
        pdf.close()


def _read_camelot(path: str, pages: list[int], page_heights: dict[int, float], config: Config,
                  engine: str, out: dict[int, list[Grid]]) -> None:
    import camelot
    try:
        tables = _lattice(camelot, path, pages, config, engine)
    except Exception as e:      # a damaged page can break camelot's parser: find which, go on
        log.warning("camelot failed on pages %s (%s); retrying page by page", pages, e)
        tables = []
        for page in pages:
            try:
                tables += _lattice(camelot, path, [page], config, engine)
            except Exception as e_page:
                log.warning("camelot cannot read page %d: %s", page, e_page)
                out.pop(page, None)     # the caller reads pages missing here another way
    for table in tables:
        page = int(table.page)
        grid = grid_from_camelot(table, page, page_heights[page])
        if grid.n_rows and grid.n_cols:
            out.setdefault(page, []).append(grid)


def _lattice(camelot, path: str, pages: list[int], config: Config, engine: str) -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(camelot.read_pdf(path, pages=",".join(map(str, pages)), flavor="lattice",
                                     line_scale=config.line_scale, engine=engine))


def grid_from_camelot(table, page: int, page_height: float) -> Grid:
    """camelot's Table (PDF coordinates, bottom-left origin) → Grid (top-left origin)."""
    col_edges = [table.cols[0][0]] + [c[1] for c in table.cols]
    row_edges = [page_height - table.rows[0][0]] + [page_height - r[1] for r in table.rows]
    cells = table.cells
    n_rows, n_cols = len(cells), len(cells[0]) if cells else 0
    right_open = [[not (cells[r][c].right or cells[r][c + 1].left) if c + 1 < n_cols else False
                   for c in range(n_cols)] for r in range(n_rows)]
    bottom_open = [[not (cells[r][c].bottom or cells[r + 1][c].top) if r + 1 < n_rows else False
                    for c in range(n_cols)] for r in range(n_rows)]
    grid = merge_cells(page, col_edges, row_edges, right_open, bottom_open)
    for cell in grid.cells:
        parts = []
        for r in range(cell.row, cell.row + cell.rowspan):
            for c in range(cell.col, cell.col + cell.colspan):
                t = cells[r][c].text
                if t and t.strip():
                    parts.append(t.strip())
        cell.text = "\n".join(parts)
    return grid
