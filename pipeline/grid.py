"""From a lattice of rulings to a table grid with merged cells resolved.

Every grid source — the vector rulings of born-digital pages (pipeline.grid_pdf), camelot's
lattice where those are missed, the morphological rulings of scans (pipeline.grid_image) —
describes a table the same way: the x of every vertical rule, the y of every horizontal rule,
and for each atomic cell which of its edges carry a ruling. Atomic cells not separated by a
ruling are one merged cell.
"""
from __future__ import annotations

from .types import BBox, Grid, GridCell

# A rule as (position, start, end) along it.
Span = tuple[float, float, float]


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


# A rule shorter than this (inches) leaves no side implied: a dash "——" in a column of cells is
# some 0.3 in long, a table's rules an inch and more.
IMPLIED_SIDE_MIN_RULE_IN = 0.75
# Rules further apart than this (inches) are not rows of one table: the tallest row, a label
# wrapped over four lines, is some 0.7 in.
IMPLIED_SIDE_MAX_ROW_IN = 1.0
# A row no column rule crosses (a heading row of table 二's blocks) is one of the table's rows
# only if it is no taller than this many times the rows next to it: between two tables
# the space a section heading takes is the same kind of row, taller.
UNRULED_ROW_MAX = 1.4


def implied_sides(rules: list[Span], across: list[Span], per_inch: float, end_tol: float
                  ) -> list[Span]:
    """The side rules a table drawn without them implies, as (pos, lo, hi) across `rules`
    (each (pos, lo, hi): the rows' rules give the sides, the columns' rules, `across` them,
    give top and bottom).

    Word's open-sided tables, and tables printed from web pages with no outer border, leave out
    the frame: the heading rows of table 二's blocks then touch no column rule, and each block
    fell apart into pieces too small to be tables. Three or more long rules, each within one
    row's height of the next, whose ends lie on one line (within end_tol) end on a side of the
    table, if a rule `across` them parts some of their rows into cells. Whether a side is drawn
    there already is for the caller to say."""
    long = [r for r in rules if r[2] - r[1] >= IMPLIED_SIDE_MIN_RULE_IN * per_inch]
    sides = []
    for end in (1, 2):
        groups: list[list[Span]] = []
        for rule in sorted(long, key=lambda r: r[end]):
            if groups and rule[end] - groups[-1][-1][end] <= end_tol:
                groups[-1].append(rule)
            else:
                groups.append([rule])
        for group in groups:
            for chain in _table_rows(sorted(group), long, across, per_inch):
                at = sum(r[end] for r in chain) / len(chain)
                sides.append((at, chain[0][0], chain[-1][0]))
    return sides


def _table_rows(rules: list[Span], every: list[Span], across: list[Span], per_inch: float
                ) -> list[list[Span]]:
    """The runs of `rules` (sorted by position) that bound one table's rows: apart by no more
    than a row's height, and where no rule crosses a row, by no more than UNRULED_ROW_MAX of
    the lower of the rows next to it (between the long rules, `every`, that reach into it): below
    a section heading, a table's first row may be a tall corner cell."""
    def ruled(a: Span, b: Span) -> bool:
        middle, lo, hi = (a[0] + b[0]) / 2.0, max(a[1], b[1]), min(a[2], b[2])
        return any(lo < r[0] < hi and r[1] <= middle <= r[2] for r in across)

    def next_row(rule: Span, step: int) -> float:
        beyond = [abs(r[0] - rule[0]) for r in every
                  if (r[0] - rule[0]) * step > 0 and r[1] < rule[2] and r[2] > rule[1]]
        return min(beyond, default=0.0)

    runs: list[list[Span]] = [[rules[0]]]
    for rule in rules[1:]:
        if rule[0] - runs[-1][-1][0] <= IMPLIED_SIDE_MAX_ROW_IN * per_inch:
            runs[-1].append(rule)
        else:
            runs.append([rule])
    out = []
    for run in runs:
        pairs = list(zip(run, run[1:]))
        if not any(ruled(a, b) for a, b in pairs):
            continue
        part = [run[0]]
        for a, b in pairs:
            beside = [h for h in (next_row(a, -1), next_row(b, 1)) if h > 0]
            if not ruled(a, b) and beside and b[0] - a[0] > UNRULED_ROW_MAX * min(beside):
                out.append(part)
                part = []
            part.append(b)
        out.append(part)
    return [part for part in out if len(part) >= 3]
