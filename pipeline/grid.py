"""From a lattice of rulings to a table grid with merged cells resolved.

Every grid source — the vector rulings of born-digital pages (pipeline.grid_pdf), camelot's
lattice where those are missed, the morphological rulings of scans (pipeline.grid_image) —
describes a table the same way: the x of every vertical rule, the y of every horizontal rule,
and for each atomic cell which of its edges carry a ruling. Atomic cells not separated by a
ruling are one merged cell.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

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


# Text closer than this many of its own heights is one run of a cell's text: CJK characters stand
# close, a space in "总 计" is one character wide; between columns stand a column's margins.
RUN_GAP = 1.5
# Where no column rule is drawn, a column edge is where at least this many rows of values leave a
# gap in their text (where the table has three): one row's gap may be a space inside a label.
IMPLIED_COLUMN_MIN_ROWS = 2
# Row rules further apart than this (inches) are not one table's: a label wrapped over six lines
# (3.6.2 of the 2021 template in a narrow column) is 1.2 in; a heading between two tables is told
# by its margins (_headings).
UNRULED_MAX_ROW_IN = 2.0
# A single rule's end takes the place of a gap's middle only where nearly as many rows leave a
# gap there as at the middle: inside the gap, not at a value's edge.
ANCHOR_FREE = 0.9
# The steps in which gaps are counted across a row (points or pixels per inch / this).
COLUMN_STEP_PER_INCH = 144.0


def unruled_tables(rules: list[Span], across: list[Span], per_inch: float, tol: float) -> list[BBox]:
    """The boxes of tables drawn with row rules only: three or more long row rules (`rules`, each
    (y, x0, x1)), each within UNRULED_MAX_ROW_IN of the next, with no column rule (`across`)
    between them.

    Tables printed from web pages, and Word tables given horizontal borders only, part their rows
    by rules and their columns by space alone; with no column rule, nothing was a table and the
    report was refused. implied_columns gives them their columns."""
    long = _long_lines(rules, per_inch, tol)
    out = []
    for stack in _row_stacks(long, per_inch):
        top, bottom = stack[0][0], stack[-1][0]
        left, right = min(r[1] for r in stack), max(r[2] for r in stack)
        if not any(left + tol < v[0] < right - tol and v[1] < bottom - tol and v[2] > top + tol
                   for v in across):
            out.append((left, top, right, bottom))
    return out


# Tables drawn with no rule at all (implied_rows). Two cells' texts stand as little apart as
# their paddings (a web page's 4 px each): closer than RUN_GAP, further than a word space (a cell's
# CJK text holds none).
SPACED_RUN_GAP = 0.6
# A row with two runs of text or more (_runs) may be a table's (a label and its value); a prose
# line or a heading is one run. A table holds a row of IMPLIED_ROW_MIN_RUNS at least.
IMPLIED_ROW_MIN_RUNS = 3
# A table's rows are parted where the space between two is over this many times its usual space.
IMPLIED_ROW_PART = 2.0
IMPLIED_HEADER_ROWS = 3
# Lines of one run above a page's first row of a table: its running title, a heading.
PAGE_HEAD_LINES = 2
# A row of text this many of its heights wide or narrower is no heading: one character.
HEADING_MIN_WIDTH = 1.5
# A cell's lines stand closer than this share of the space between two rows, and of that to the
# text on their other side; without figures to tell that space, than this share of their height.
CELL_MATE_SHARE = 0.75
CELL_LEADING = 0.4
# Characters set one under another stand closer than this share of their height.
VERTICAL_GAP = 0.8


def implied_rows(ink: list[BBox], numeric: list[bool], per_inch: float, tol: float) -> list[list[Span]]:
    """Per table drawn with no rule at all, its row rules as (y, x0, x1) (a web page whose CSS
    is lost, a Word table with its borders off), from their text: `ink` (boxes of characters or
    of ink) and whether each is a figure's (`numeric`: a digit, a blank mark).

    Rows are the lines of figures, each with the text of the cells beside it (_rows): a label
    wrapped over lines, its values on its first or its middle line, is one row's, and a label
    centred down a merged cell beside several rows of values is none's. A row with two runs of
    text or more (a label and its value) may be a table's; rules stand between the rows of a
    stretch of them (_table_stretches), across the stretch. implied_columns then gives them
    their columns."""
    rows = _rows(_words(ink), ink, numeric)
    runs = [len(_runs(row.boxes, SPACED_RUN_GAP)) for row in rows]
    out: list[list[Span]] = []
    for first, end in _table_stretches(rows, runs):
        stretch = rows[first:end]
        left = min(b[0] for row in stretch for b in row.boxes)
        right = max(b[2] for row in stretch for b in row.boxes)
        ys = [stretch[0].top - tol] + [(a.bottom + b.top) / 2.0 for a, b in zip(stretch, stretch[1:])] \
            + [stretch[-1].bottom + tol]
        out.append([(y, left - tol, right + tol) for y in ys])
    return out


@dataclass
class _TextRow:
    """Words of a table's row, which of them are figures, and the row's top and bottom."""
    boxes: list
    figures: list
    top: float
    bottom: float

    def add(self, boxes: list, figures: list = ()) -> None:
        self.boxes += boxes
        self.figures += figures
        self.top = min([self.top] + [b[1] for b in boxes])
        self.bottom = max([self.bottom] + [b[3] for b in boxes])


def _rows(words: list[BBox], ink: list[BBox], numeric: list[bool]) -> list[_TextRow]:
    """The words in rows, top to bottom. Figures on one line are a row's (lines of figures that
    overlap and hold none in the same columns are one). Another word beside one row of figures
    is that row's; beside several, a merged cell's, and left out; beside none, it goes with the
    word above or below it in its column that is nearer (_cell_mates: a cell's lines stand
    closer than two rows' text), else with the row it stands beside once the rows hold their
    labels' lines, and else makes a row of text (a header's) with the words it overlaps."""
    figure_words = _figure_words(words, ink, numeric)
    rows: list[_TextRow] = []
    for word in sorted(figure_words, key=lambda b: (b[1] + b[3]) / 2.0):
        mid, h = (word[1] + word[3]) / 2.0, word[3] - word[1]
        last = rows[-1] if rows else None
        if last and (abs(mid - (last.top + last.bottom) / 2.0) <= 0.5 * h or (
                min(last.bottom, word[3]) > max(last.top, word[1])
                and not any(min(f[2], word[2]) > max(f[0], word[0]) for f in last.figures))):
            last.add([word], [word])
        else:
            rows.append(_TextRow([word], [word], word[1], word[3]))
    def beside(word: BBox) -> list[_TextRow]:
        return [row for row in rows if min(row.bottom, word[3]) > max(row.top, word[1])]

    others = [w for w in words if w not in figure_words]
    home: dict[BBox, object] = {}          # word -> its row, or None: a merged cell's
    for word in others:
        if near := beside(word):
            home[word] = near[0] if len(near) == 1 else None
    mates, other_side = _cell_mates(others, _row_gap(figure_words))
    # Two lines each other's nearest, beside no row, are a cell's last two, a hair closer than
    # to the line above them, where the inner one is set as its other neighbour is (a cell's
    # lines are aligned alike): it goes with that one. A heading between two blocks over their
    # column names is set apart from the row above it.
    for word, mate in list(mates.items()):
        if mates.get(mate) is word and word not in home and mate not in home and word in other_side \
                and _aligned(word, other_side[word]):
            mates[word] = other_side[word]

    def joins_a_row(word: BBox) -> bool:
        seen = set()
        while word in mates and word not in seen:
            seen.add(word)
            word = mates[word]
            if word in home:
                return True
        return False

    def over_a_figure(word: BBox) -> bool:
        h = word[3] - word[1]
        return any(min(f[2], word[2]) > max(f[0], word[0]) and 0 <= f[1] - word[3] < 2 * h
                   for f in figure_words)

    # A line goes with its cells' other lines only whole: a header row's label over the labels
    # below it (信息内容 over 规章) is no line of theirs while the row's other headers are not,
    # nor while one of them, over the row's figures, is the next line of something outside any
    # row (a block's heading or a page's running title right above the header row). A label
    # set down merged rows (三、本 / 年度办 / 理结果) beside a label's lines stands over no figure.
    for line in _lines([w for w in others if w not in home]):
        if not all(w in mates for w in line) or any(over_a_figure(w) and not joins_a_row(w) for w in line):
            for w in line:
                mates.pop(w, None)
    changed = True
    while changed:
        changed = False
        for word in others:
            mate = mates.get(word)
            if word not in home and mate in home:
                home[word] = home[mate]
                changed = True
    for word, row in home.items():
        if row is not None:
            row.add([word])
    # What is left beside rows as they now stand (their labels' lines in) is theirs or a merged
    # cell's (三、 atop a label set down merged rows), not a row of its own.
    for word in others:
        if word not in home and (near := beside(word)):
            home[word] = near[0] if len(near) == 1 else None
            if home[word] is not None:
                near[0].add([word])
    text: list[_TextRow] = []
    for word in sorted((w for w in others if w not in home), key=lambda b: b[1]):
        over = [row for row in text if min(row.bottom, word[3]) > max(row.top, word[1])]
        if over:
            over[0].add([word])
        else:
            text.append(_TextRow([word], [], word[1], word[3]))
    return sorted(rows + text, key=lambda row: row.top)


def _lines(words: list[BBox]) -> list[list[BBox]]:
    """The words in lines: those whose middles lie within half a height of the line's first."""
    lines: list[list[BBox]] = []
    for word in sorted(words, key=lambda b: (b[1] + b[3]) / 2.0):
        mid, h = (word[1] + word[3]) / 2.0, word[3] - word[1]
        if lines and abs(mid - (lines[-1][0][1] + lines[-1][0][3]) / 2.0) <= 0.5 * h:
            lines[-1].append(word)
        else:
            lines.append([word])
    return lines


def _cell_mates(words: list[BBox], row_gap: float | None) -> tuple[dict, dict]:
    """For each word, the word right above or right below it (overlapping it along x) that is
    its cell's next line: the nearer of the two where it is nearer than CELL_MATE_SHARE of the
    other's distance (or both are) and of `row_gap` (the usual space between two rows' figures;
    without one, CELL_LEADING of its height): a cell's lines stand closer than two rows' texts.
    A header row as close to the rows round it as they are to each other is no one's. And, of
    the words that have it, the other side's word where that stands within the limit too."""
    out, other = {}, {}
    for word in words:
        h = word[3] - word[1]
        above = min(((word[1] - w[3], w) for w in words if w is not word and -0.25 * h <= word[1] - w[3] < h
                     and w[1] < word[1] and min(w[2], word[2]) > max(w[0], word[0])),
                    default=None, key=lambda gw: gw[0])
        below = min(((w[1] - word[3], w) for w in words if w is not word and -0.25 * h <= w[1] - word[3] < h
                     and w[1] > word[1] and min(w[2], word[2]) > max(w[0], word[0])),
                    default=None, key=lambda gw: gw[0])
        sides = sorted((gw for gw in (above, below) if gw), key=lambda gw: gw[0])
        if not sides:
            continue
        limit = CELL_MATE_SHARE * row_gap if row_gap else CELL_LEADING * h
        # The middle line of a cell's three or more stands as close to both its neighbours.
        if sides[0][0] < limit and (len(sides) == 1 or sides[0][0] < CELL_MATE_SHARE * sides[1][0]
                                    or sides[1][0] < limit):
            out[word] = sides[0][1]
            if len(sides) == 2 and sides[1][0] < limit:
                other[word] = sides[1][1]
    return out, other


def _aligned(a: BBox, b: BBox) -> bool:
    """Two lines set alike: their left sides, middles or right sides within half a line's
    height."""
    near = 0.5 * min(a[3] - a[1], b[3] - b[1])
    return abs(a[0] - b[0]) <= near or abs(a[2] - b[2]) <= near or abs(a[0] + a[2] - b[0] - b[2]) <= 2 * near


def _row_gap(figures: set) -> float | None:
    """The usual space between a figure and the next one under it in its column: between two
    rows' texts."""
    gaps = []
    for a in figures:
        h = a[3] - a[1]
        below = [b[1] - a[3] for b in figures if b[1] > a[3] - 0.25 * h and min(a[2], b[2]) > max(a[0], b[0])]
        if below:
            gaps.append(max(0.0, min(below)))
    return float(np.median(gaps)) if len(gaps) >= 3 else None


def _has_value(row: _TextRow) -> bool:
    """A label and a figure after it: a figure that is not the row's first run."""
    first = min(b[0] for b in row.boxes)
    return any(f[0] > first + 1.0 for f in row.figures)


def _header_like(row: _TextRow, left: float) -> bool:
    """A row above a table that is its header's, not a heading: its text starts right of the
    table's side (centred over its columns), or it runs over two lines or more (header cells
    wrapped in their columns); a heading is one line from the side or further left."""
    height = _text_height(row.boxes)
    return min(b[0] for b in row.boxes) > left + 2 * height or row.bottom - row.top > 1.5 * height


def _heading(row: _TextRow, left: float) -> bool:
    """A row of one line that parts two tables: not header-like, and wider than one character
    (one alone is a character of a label set down a merged cell, 三、本年度办理结果, that the
    others of it stand apart from)."""
    height = _text_height(row.boxes)
    width = max(b[2] for b in row.boxes) - min(b[0] for b in row.boxes)
    return not _header_like(row, left) and width > HEADING_MIN_WIDTH * height


def _opens_page(rows: list[_TextRow], runs: list[int], k: int) -> bool:
    """Row k is the page's first but for up to PAGE_HEAD_LINES lines of one run without a
    figure (a running title, a heading): a block of table 二 whose row of column names ended the
    page before prints its one row of a label and a value here."""
    return k <= PAGE_HEAD_LINES and all(runs[j] == 1 and not rows[j].figures for j in range(k))


def _table_stretches(rows: list[_TextRow], runs: list[int]) -> list[tuple[int, int]]:
    """(first, end) of the runs of rows that make a table: from a tabular row (two runs of text
    or more) to the last with at most two others between two of them (a label or a header row
    holds fewer runs), parted where the space between two rows is over IMPLIED_ROW_PART times the
    run's usual space, or at a heading (a row of one line that is not header-like: between two
    tables); each with a row of IMPLIED_ROW_MIN_RUNS runs or two rows of a label and a figure, and
    taking up to IMPLIED_HEADER_ROWS header-like rows above its first (_header_like) at no more
    than that space or two lines (a header's cells are taller than the body's at times)."""
    tabular = [n >= 2 for n in runs]
    out: list[tuple[int, int]] = []
    n = 0
    while n < len(rows):
        if not tabular[n]:
            n += 1
            continue
        end = n
        while end + 1 < len(rows) and (tabular[end + 1] or any(tabular[end + 2:end + 4])):
            end += 1
        space = [b.top - a.bottom for a, b in zip(rows[n:end + 1], rows[n + 1:end + 1])]
        # Of a table's one row, the usual space is taken as half its text's height.
        usual = max(float(np.median(space)) if space else 0.5 * _text_height(rows[n].boxes), 1.0)
        left = min(b[0] for k in range(n, end + 1) if tabular[k] for b in rows[k].boxes)
        cuts = sorted({n, end + 1} | {n + 1 + k for k, gap in enumerate(space) if gap > IMPLIED_ROW_PART * usual}
                      # A heading: one line of text from the tables' side or further left.
                      | {c for k in range(n, end + 1) if not tabular[k] and _heading(rows[k], left)
                         for c in (k, k + 1)})
        for lo, hi in zip(cuts, cuts[1:]):
            while lo < hi and not tabular[lo]:
                lo += 1
            while hi > lo and not tabular[hi - 1]:
                hi -= 1
            wide = [k for k in range(lo, hi) if runs[k] >= IMPLIED_ROW_MIN_RUNS]
            # One row of figures alone is a table's end carried over to a page of its own
            # (table 四's one row of values under its header); one row of a label and a value is
            # a table under a row of as many column names (a block of table 二 with one row:
            # 行政许可, 行政事业性收费).
            if not (wide and sum(tabular[lo:hi]) >= 2 or sum(1 for row in rows[lo:hi] if _has_value(row)) >= 2
                    or any(len(rows[k].figures) >= IMPLIED_ROW_MIN_RUNS for k in wide)
                    or any(_has_value(rows[k]) and not rows[k - 1].figures and runs[k - 1] == runs[k]
                           for k in range(lo + 1, hi))
                    or _opens_page(rows, runs, lo) and _has_value(rows[lo])):
                continue
            left = min(b[0] for row in rows[lo:hi] for b in row.boxes)
            first = lo
            while lo - first < IMPLIED_HEADER_ROWS and first > 0 and _header_like(rows[first - 1], left) and \
                    rows[first].top - rows[first - 1].bottom <= max(IMPLIED_ROW_PART * usual,
                                                                     2 * _text_height(rows[first - 1].boxes)):
                first -= 1
            out.append((first, hi))
        n = end + 1
    return out


def vertical_text(ink: list[BBox], cjk: list[bool]) -> list[bool]:
    """Which boxes are characters set one under another: a CJK character alone on its line with
    another such close above or below it (closer than VERTICAL_GAP of its height), centred alike."""
    words = set(_words(ink))
    alone = [k for k, b in enumerate(ink) if cjk[k] and b in words]
    out = [False] * len(ink)
    for i in alone:
        x0, y0, x1, y1 = ink[i]
        h, cx = y1 - y0, (x0 + x1) / 2.0
        for j in alone:
            a0, b0, a1, b1 = ink[j]
            if j != i and abs((a0 + a1) / 2.0 - cx) < 0.3 * h and \
                    (0 <= b0 - y1 < VERTICAL_GAP * h or 0 <= y0 - b1 < VERTICAL_GAP * h):
                out[i] = True
                break
    return out


def _long_lines(rules: list[Span], per_inch: float, tol: float) -> list[Span]:
    """The row rules at least IMPLIED_SIDE_MIN_RULE_IN long, sorted by y, the pieces of one
    broken apart (worn toner, a scan's gap) joined: a heading's large characters print strokes a
    scan's rule finder takes for short rules ("三")."""
    lines: list[list[float]] = []
    for y, x0, x1 in sorted(rules):
        if lines and y - lines[-1][0] <= tol:
            lines[-1][1], lines[-1][2] = min(lines[-1][1], x0), max(lines[-1][2], x1)
        else:
            lines.append([y, x0, x1])
    return [(y, x0, x1) for y, x0, x1 in lines if x1 - x0 >= IMPLIED_SIDE_MIN_RULE_IN * per_inch]


def implied_columns(box: BBox, rules: list[Span], ink: list[BBox], per_inch: float, tol: float,
                    numeric: list[bool] | None = None) -> list[Span]:
    """The column rules, as (x, top, bottom), of an unruled table (`box`, from unruled_tables)
    whose row rules are `rules` and whose text is `ink` (boxes of characters or of ink).

    Rules with a heading between them are two tables (_headings). A table's sides are the ends of
    its rules; a rule that stops short of them stops at a column edge (_rule_ends), and a column
    edge stands where rows leave a gap in their text (_column_edges). Such an edge is drawn down
    every row whose text it crosses nothing of, in runs that hold such a gap: a label over
    several columns (一、本年新收…) runs across it, and the cell stays merged there as it is
    printed; a header centred over columns it leaves empty spans them (_spanned). Where it is
    known which boxes are figures' (`numeric`), two figures further apart than a word space are
    two cells' (_runs)."""
    left, top, right, bottom = box
    ys = [y for y, x0, x1 in _long_lines(rules, per_inch, tol) if top - tol <= y <= bottom + tol
          and x1 > left and x0 < right]
    if len(ys) < 2:
        return []       # rules too short to bound a row (a table of one narrow row)
    # Where rules end: long pieces only (see _long_lines).
    pieces = [r for r in rules if r[2] - r[1] >= IMPLIED_SIDE_MIN_RULE_IN * per_inch]
    bands: list[list[BBox]] = [[] for _ in ys[1:]]
    # Ink on a side is a scan's rule end, not a cell's text.
    inside = [b for b in ink if left + tol < (b[0] + b[2]) / 2.0 < right - tol
              and ys[0] < (b[1] + b[3]) / 2.0 < ys[-1]]
    words = _words(inside)
    for word in words:
        bands[bisect_right(ys, (word[1] + word[3]) / 2.0) - 1].append(word)
    bands = [_without_specks(band) for band in bands]
    # Where figures are known (a table drawn with no rule at all), a row of values is one with
    # figures, and two cells' texts stand as close as their paddings.
    figures = None if numeric is None else _figure_words(words, ink, numeric)
    out: list[Span] = []
    # Rows from implied_rows (figures known) are one table's, parted from headings there.
    cut = [-1] + (_headings(ys, bands, per_inch) if numeric is None else []) + [len(bands)]
    for first, end in zip(cut, cut[1:]):
        first += 1
        # A ruled table of one row is a heading boxed in; one from implied_rows is a row that
        # the table's figures make one (a block's one row carried over to the next page).
        if end - first < (1 if figures is not None else 2):
            continue
        mine, mine_ys = bands[first:end], ys[first:end + 1]
        out += [(left, mine_ys[0], mine_ys[-1]), (right, mine_ys[0], mine_ys[-1])]
        ends = _rule_ends(pieces, mine_ys, left, right, tol)
        # An edge where two rules or more end (one rule ending alone may be a scan's broken rule);
        # any rule's end bounds a header's span.
        shared = [x for x, rows in ends.items() if len(rows) > 2]
        every = sorted(set(_column_edges(mine, left, right, per_inch, shared, list(ends), figures)) | set(shared))
        shut, sides = _spanned(mine, [left] + every + [right], ends, tol, figures)
        gaps = [_gaps(band, _run_gap(figures)) for band in mine]
        for x in every:
            free = [(x, n) not in shut and not any(b[0] < x < b[2] for b in band)
                    for n, band in enumerate(mine)]
            # A row shows this edge where a rule ends on it beside the row, where a header's
            # span ends on it, or where its text leaves a gap round it and round no other edge
            # (a value under a header over two columns leaves a gap over both).
            shows = [n in ends.get(x, ()) or (x, n) in sides or
                     any(a < x < b and not any(a < e < b for e in every if abs(e - x) > tol)
                         for a, b in row) for n, row in enumerate(gaps)]
            start = None
            for n in range(len(mine) + 1):
                if n < len(mine) and free[n]:
                    start = n if start is None else start
                    continue
                if start is not None and any(shows[start:n]):
                    out.append((x, mine_ys[start], mine_ys[n]))
                start = None
        out += _block_edges(gaps, mine_ys, out, tol)
    return out


def _block_edges(gaps: list[list[tuple[float, float]]], ys: list[float], drawn: list[Span], tol: float
                 ) -> list[Span]:
    """The edges of a block of rows whose columns are its own: table 二's blocks print three
    columns or four under one width, and a gap of a three-column block holds two edges of the
    four-column ones, which it shows neither of. Where two or more rows in a row leave a gap
    between their texts in which no edge is drawn, an edge stands in the middle of what they
    leave free."""
    groups: list[tuple[float, float, int, int]] = []     # lo, hi, first row, last row
    for n, row in enumerate(gaps):
        top, bottom = ys[n], ys[n + 1]
        inside = [x for x, y0, y1 in drawn if y0 - tol <= top and bottom <= y1 + tol]
        for a, b in row:
            if any(a < x < b for x in inside):
                continue
            k = next((k for k, g in enumerate(groups) if g[3] == n - 1 and min(g[1], b) > max(g[0], a)), None)
            if k is None:
                groups.append((a, b, n, n))
            else:
                lo, hi, first, _ = groups[k]
                groups[k] = (max(lo, a), min(hi, b), first, n)
    return [((lo + hi) / 2.0, ys[first], ys[last + 1]) for lo, hi, first, last in groups if last > first]


def _rule_ends(rules: list[Span], ys: list[float], left: float, right: float, tol: float
               ) -> dict[float, list[int]]:
    """Where row rules stop short of the table's sides, and for each rule that does, the rows on
    either side of it: where a label spans rows (三、本年度办理结果), its rows' rules begin at its
    right side; where a header spans columns (法人或其他组织), the rule under it ends at theirs."""
    ends: dict[float, list[int]] = {}
    for y, x0, x1 in rules:
        if not ys[0] - tol < y < ys[-1] + tol:
            continue
        at = bisect_right(ys, y + tol) - 1
        for x in (x0, x1):
            if left + tol < x < right - tol:
                near = next((e for e in ends if abs(e - x) <= tol), x)
                ends.setdefault(near, []).append(at)
    return {x: [n for at in ats for n in (at - 1, at) if 0 <= n < len(ys) - 1] for x, ats in ends.items()}


# A header is centred over columns where its middle is within this share of its height of
# theirs (wider spans' middles stand a column's width apart).
CENTRED = 0.6


def _spanned(bands: list[list[BBox]], edges: list[float], ends: dict[float, set[int]], tol: float,
             figures: set | None) -> tuple[set[tuple[float, int]], set[tuple[float, int]]]:
    """(edge, row) pairs where a header spans the edge though its text does not reach it: in a
    row that is not one of values, text centred over columns it leaves empty (行政复议 over its
    five) spans the widest such run of columns whose middle is its own, that no rule's end bounds
    and no other text of the row stands in (in a table with no rule at all, and no span of a row
    above ends inside: 未经复议直接起诉 under 行政诉讼 stays within its ten)."""
    runs = [_runs(band, _run_gap(figures)) for band in bands]
    most = max((len(r) for r in runs), default=0)
    shut: set[tuple[float, int]] = set()
    sides: set[tuple[float, int]] = set()
    for n, (band, mine) in enumerate(zip(bands, runs)):
        if _of_values(mine, most, band, figures):
            continue
        slots = list(zip(edges, edges[1:]))
        inked = [any(b[0] < x1 and b[2] > x0 for b in band) for x0, x1 in slots]
        taken = [False] * len(slots)
        near = max(tol, CENTRED * _text_height(band)) if band else tol
        # With no rule at all, nothing else bounds a span: those of the rows above do. (Under row
        # rules a rule's end does, and a span above guessed too wide would cut one short.)
        bound = {x for x, row in sides if row < n} if figures is not None else set()
        for x0, x1 in mine:
            touched = [k for k, (a, b) in enumerate(slots) if a < x1 and b > x0]
            if not touched:
                continue
            i, j = touched[0], touched[-1]
            best = None
            lo = i
            while True:
                hi = j
                while True:
                    middle = (slots[lo][0] + slots[hi][1]) / 2.0
                    if abs(middle - (x0 + x1) / 2.0) <= near and \
                            (best is None or hi - lo > best[1] - best[0]):
                        best = (lo, hi)
                    if hi + 1 >= len(slots) or inked[hi + 1] or taken[hi + 1] or n in ends.get(edges[hi + 1], ()) \
                            or edges[hi + 1] in bound:
                        break
                    hi += 1
                if lo == 0 or inked[lo - 1] or taken[lo - 1] or n in ends.get(edges[lo], ()) or edges[lo] in bound:
                    break
                lo -= 1
            if best is None:
                continue
            for k in range(best[0], best[1] + 1):
                taken[k] = True
            shut.update((edges[k], n) for k in list(range(best[0] + 1, i + 1)) + list(range(j + 1, best[1] + 1)))
            sides.update({(edges[best[0]], n), (edges[best[1] + 1], n)})
    return shut, sides


def _of_values(runs: list[tuple[float, float]], most: int, band: list[BBox] = (),
               figures: set | None = None) -> bool:
    """Whether a row with these runs of text is a row of values (a label and its values): three
    runs or more, and at least half as many as the row with most; where the figures are known
    (`figures`, the words of `band` that are), two figures or more (a header's many short words
    are none)."""
    if figures is not None:
        return sum(1 for b in band if b in figures) >= 2
    return len(runs) >= max(3, (most + 1) // 2)


# A row holds a heading, not cells, where the space above or below its text is more
# than this many times the rows' usual margin (a paragraph's spacing, not a cell's padding)...
HEADING_MARGIN = 2.5
# ...and more than this (inches).
HEADING_MARGIN_IN = 0.1


def _headings(ys: list[float], bands: list[list[BBox]], per_inch: float) -> list[int]:
    """The rows that hold a heading between two tables: text (四、政府信息公开行政复议…) with a
    paragraph's space above or below it, or no text and that space all through. With
    no column rule, the rules of two tables of one width, one below the other, stand as one
    stack."""
    margins = sorted(m for band, y0, y1 in zip(bands, ys, ys[1:]) if band
                     for m in (min(b[1] for b in band) - y0, y1 - max(b[3] for b in band)))
    if not margins:
        return []
    usual = max(margins[len(margins) // 2], 0.02 * per_inch)
    wide = max(HEADING_MARGIN * usual, HEADING_MARGIN_IN * per_inch)
    out = []
    for n, (band, y0, y1) in enumerate(zip(bands, ys, ys[1:])):
        if not band:
            if y1 - y0 > 2 * wide:
                out.append(n)
        elif max(min(b[1] for b in band) - y0, y1 - max(b[3] for b in band)) > wide:
            out.append(n)
    return out


def _row_stacks(long: list[Span], per_inch: float) -> list[list[Span]]:
    """Runs of three or more long rules (sorted by y), each within UNRULED_MAX_ROW_IN of the last
    and over much of its width."""
    stacks: list[list[Span]] = []
    for rule in long:
        last = stacks[-1][-1] if stacks else None
        if last and rule[0] - last[0] <= UNRULED_MAX_ROW_IN * per_inch and \
                min(rule[2], last[2]) - max(rule[1], last[1]) >= 0.5 * min(rule[2] - rule[1], last[2] - last[1]):
            stacks[-1].append(rule)
        else:
            stacks.append([rule])
    return [s for s in stacks if len(s) >= 3]


# Ink smaller both ways than this share of its row's text height is a speck, a dot or a comma,
# not a value: a dash is as wide as a digit, a "1" as tall.
SPECK_SHARE = 0.6


def _text_height(band: list[BBox]) -> float:
    """Of the taller pieces: a scan's pieces of ink are strokes and radicals as often as whole
    characters."""
    return sorted(b[3] - b[1] for b in band)[(3 * len(band)) // 4]


def _without_specks(band: list[BBox]) -> list[BBox]:
    if not band:
        return band
    small = SPECK_SHARE * _text_height(band)
    return [b for b in band if b[2] - b[0] >= small or b[3] - b[1] >= small]


# Pieces of ink on one line closer than this share of their height are one word: the characters
# of a word stand closer, the texts of two cells further apart.
WORD_GAP = 0.3


def _words(ink: list[BBox]) -> list[BBox]:
    """Pieces of ink (a scan's strokes and radicals, a layer's characters) joined into words
    along their lines. A word stands in one row (a header centred over two rows' worth of a column
    whose rule runs under its neighbours only would fall apart between them), and no edge runs
    between its characters (行政诉讼 centred over ten columns has the middle one's edge between
    its second and third)."""
    words: list[list[float]] = []
    open_words: list[list[float]] = []      # those a piece further right may still join
    reach = WORD_GAP * max((b[3] - b[1] for b in ink), default=0.0)
    for x0, y0, x1, y1 in sorted(ink):
        h = y1 - y0
        open_words = [w for w in open_words if w[2] >= x0 - reach]
        for w in reversed(open_words):
            if w[2] < x0 - WORD_GAP * h or min(w[3], y1) - max(w[1], y0) < 0.5 * h:
                continue
            w[0], w[1], w[2], w[3] = min(w[0], x0), min(w[1], y0), max(w[2], x1), max(w[3], y1)
            break
        else:
            words.append([x0, y0, x1, y1])
            open_words.append(words[-1])
    return [tuple(w) for w in words]


def _run_gap(figures: set | None) -> float:
    """How far apart two cells' texts stand at least: RUN_GAP, SPACED_RUN_GAP where the figures
    are known (a table drawn with no rule at all)."""
    return RUN_GAP if figures is None else SPACED_RUN_GAP


def _figure_words(words: list[BBox], ink: list[BBox], numeric: list[bool]) -> set:
    """The words all of whose boxes are figures'."""
    out = set()
    for word in words:
        inside = [n for b, n in zip(ink, numeric) if word[0] <= (b[0] + b[2]) / 2.0 <= word[2]
                  and word[1] <= (b[1] + b[3]) / 2.0 <= word[3]]
        if inside and all(inside):
            out.add(word)
    return out


def _runs(band: list[BBox], gap: float = RUN_GAP) -> list[tuple[float, float]]:
    """A row's text as runs along x: boxes closer than `gap` of the text's height joined."""
    if not band:
        return []
    height = _text_height(band)
    runs: list[list[float]] = []
    for x0, _, x1, _ in sorted(band):
        if runs and x0 - runs[-1][1] <= gap * height:
            runs[-1][1] = max(runs[-1][1], x1)
        else:
            runs.append([x0, x1])
    return [(a, b) for a, b in runs]


def _gaps(band: list[BBox], gap: float = RUN_GAP) -> list[tuple[float, float]]:
    runs = _runs(band, gap)
    return [(a[1], b[0]) for a, b in zip(runs, runs[1:])]


def _beside_runs_in(bands: list[list[BBox]], lo: float, hi: float, near: float) -> float:
    """Where in the stretch lo..hi (as many rows of values leave a gap all along it) a column edge
    stands: its middle, or where a row's text runs into it from the left up to text that starts
    where the next column's does (at hi, within `near`), the middle of what it leaves free. A
    long value with a note (167(其中38件已公开)) in a left-aligned column runs up to the
    next column's text, past the middle of the gap the other rows leave; the edge drawn there
    crossed it, and the cell held both values. A header wider than its column, or text starting
    inside the stretch (a speck, a value centred under a wide header), moves nothing."""
    middle = (lo + hi) / 2.0
    ends = [x1 for band in bands for x0, _, x1, _ in band if x0 < lo and middle < x1 < hi
            and any(abs(b[0] - hi) <= near for b in band)]
    return (max(ends) + hi) / 2.0 if ends else middle


def _column_edges(bands: list[list[BBox]], left: float, right: float, per_inch: float,
                  known: list[float], anchors: list[float], figures: set | None = None) -> list[float]:
    """The x of each column edge the rows' gaps imply: the middle of each stretch where more rows
    leave a gap than on either side of it. Only rows of values count where the table has them
    (three runs of text or more, and at least half as many as the row with most: a header's
    gap over part of a column's would pull the edge off the middle), and at least two of them
    where it has three (a label spaced apart is one). Of two edges with no text between them in
    any row, the one more rows leave free (values of unequal widths make a gap's count uneven),
    or the one a rule's end marks (`known`, `anchors`: a gap's middle is only near it); an
    anchor (where one rule ends) stands only where a gap puts an edge near it."""
    step = per_inch / COLUMN_STEP_PER_INCH
    n = max(1, int((right - left) / step))
    count = [0] * n
    runs = [_runs(band, _run_gap(figures)) for band in bands]
    most = max((len(mine) for mine in runs), default=0)
    valued = [_of_values(mine, most, band, figures) for band, mine in zip(bands, runs)]
    of_values = [mine for mine, v in zip(runs, valued) if v]
    near = 0.5 * float(np.median([_text_height(band) for band in bands if band] or [0.0]))
    # A table of one row (a block's row carried over to a page of its own) has its gaps alone.
    least = IMPLIED_COLUMN_MIN_ROWS if (len(of_values) >= 3 or not of_values) and len(bands) > 1 else 1
    # With no rule at all, a column left empty in every row (a total column left blank) shows
    # only as a header standing right of every row's values: its edge stands between them.
    last = max((mine[-1][1] for mine in of_values if mine), default=right)
    beyond = [b[0] for band, v in zip(bands, valued) if not v for b in band if b[0] > last + near]
    empty_last = figures is not None and bool(beyond)
    counted = of_values or runs
    if figures is not None and of_values:
        # Rows that print most of their cells empty (blanks left unprinted) leave one gap over
        # several columns: the row of column names, where it holds two runs more than any row
        # of values (one more may be a name spaced apart, 总  计), shows each column and counts
        # as a row.
        names = max((mine for mine, v in zip(runs, valued) if not v), key=len, default=[])
        if len(names) >= max(len(mine) for mine in of_values) + 2:
            counted = of_values + [names]
    for mine in counted:
        gaps = [(a[1], b[0]) for a, b in zip(mine, mine[1:])]
        if empty_last:
            gaps.append((mine[-1][1], min(beyond)))
        for a, b in gaps:
            for i in range(max(0, int((a - left) / step) + 1), min(n, int((b - left) / step))):
                count[i] += 1
    peaks: list[tuple[float, int]] = []
    i = 0
    while i < n:
        j = i
        while j + 1 < n and count[j + 1] == count[i]:
            j += 1
        before = count[i - 1] if i > 0 else 0
        after = count[j + 1] if j + 1 < n else 0
        if count[i] >= least and count[i] > before and count[i] > after:
            # Values centred in a column start up to half a digit's width (a quarter of their
            # height) apart per digit they differ by.
            x = _beside_runs_in(bands, left + i * step, left + (j + 1) * step, max(2 * step, near))
            # An edge one row alone shows must cross no other row of values' text: a header's
            # words stand apart at times inside a column.
            if count[i] >= 2 or not any(a < x < b for mine in of_values for a, b in mine):
                peaks.append((x, count[i]))
        i = j + 1

    def apart(a: float, b: float) -> bool:
        return any(a < x0 and x1 < b for mine in runs for x0, x1 in mine)

    def free_there(x: float) -> int:
        return count[min(n - 1, max(0, int((x - left) / step)))]

    # (x, rank, from a gap): a rule's end outranks a gap's middle; where only one rule ends (a
    # scan's broken rule may end anywhere), only as well inside the gap as the middle is.
    marks = sorted([(x, c, True) for x, c in peaks] + [(x, len(bands) + 2, True) for x in known]
                   + [(x, 0, False) for x in anchors if x not in known])
    edges: list[tuple[float, int, bool]] = []
    for x, rank, seen in marks:
        if not edges or apart(edges[-1][0], x):
            edges.append((x, rank, seen))
            continue
        last = edges[-1]
        anchor, peak = (last, (x, rank, seen)) if not last[2] else ((x, rank, seen), last)
        if not anchor[2] and peak[2] and peak[1] <= len(bands) + 1:
            # An anchor beside a gap's middle: the rule's end where the gap is as free there.
            edges[-1] = (anchor[0], peak[1], True) if free_there(anchor[0]) >= ANCHOR_FREE * peak[1] else peak
        elif rank > last[1]:
            edges[-1] = (x, rank, seen or last[2])
        else:
            edges[-1] = (last[0], last[1], seen or last[2])
    return [x for x, _, seen in edges if seen]
