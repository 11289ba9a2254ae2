"""From a lattice of rulings to a table grid with merged cells resolved.

Every grid source — the vector rulings of born-digital pages (pipeline.grid_pdf), camelot's
lattice where those are missed, the morphological rulings of scans (pipeline.grid_image) —
describes a table the same way: the x of every vertical rule, the y of every horizontal rule,
and for each atomic cell which of its edges carry a ruling. Atomic cells not separated by a
ruling are one merged cell.
"""
from __future__ import annotations

from .types import BBox, Grid, GridCell


def merge_cells(page: int, col_edges: list[float], row_edges: list[float],
                right_open: list[list[bool]], bottom_open: list[list[bool]]) -> Grid:
    """Resolve merged cells.

    col_edges: n_cols+1 x positions (points, left to right); row_edges: n_rows+1 y positions (points,
    top to bottom). right_open[r][c] is True when no ruling separates atomic cell (r, c) from
    (r, c+1); bottom_open[r][c] likewise for (r, c) and (r+1, c).
    """
    n_rows, n_cols = len(row_edges) - 1, len(col_edges) - 1
    cells = []
    for members in joined_cells(right_open, bottom_open):
        r0 = min(r for r, _ in members); r1 = max(r for r, _ in members)
        c0 = min(c for _, c in members); c1 = max(c for _, c in members)
        bbox: BBox = (col_edges[c0], row_edges[r0], col_edges[c1 + 1], row_edges[r1 + 1])
        cells.append(GridCell(r0, c0, r1 - r0 + 1, c1 - c0 + 1, bbox))
    cells.sort(key=lambda k: (k.row, k.col))
    bbox = (col_edges[0], row_edges[0], col_edges[-1], row_edges[-1])
    return Grid(page, bbox, n_rows, n_cols, cells, list(row_edges), list(col_edges))


def joined_cells(right_open: list[list[bool]], bottom_open: list[list[bool]]
                 ) -> list[list[tuple[int, int]]]:
    """The atomic cells (row, col) connected through open edges, one list per merged cell."""
    n_rows, n_cols = len(right_open), len(right_open[0]) if right_open else 0
    seen = [[False] * n_cols for _ in range(n_rows)]
    groups = []
    for r0 in range(n_rows):
        for c0 in range(n_cols):
            if seen[r0][c0]:
                continue
            seen[r0][c0] = True
            stack, members = [(r0, c0)], []
            while stack:
                r, c = stack.pop()
                members.append((r, c))
                for rr, cc, open_ in ((r, c + 1, c + 1 < n_cols and right_open[r][c]),
                                      (r, c - 1, c > 0 and right_open[r][c - 1]),
                                      (r + 1, c, r + 1 < n_rows and bottom_open[r][c]),
                                      (r - 1, c, r > 0 and bottom_open[r - 1][c])):
                    if open_ and not seen[rr][cc]:
                        seen[rr][cc] = True
                        stack.append((rr, cc))
            groups.append(members)
    return groups


def cell_at(grid: Grid, row: int, col: int) -> GridCell | None:
    """The (possibly merged) cell covering atomic position (row, col)."""
    for cell in grid.cells:
        if cell.row <= row < cell.row + cell.rowspan and cell.col <= col < cell.col + cell.colspan:
            return cell
    return None
