"""Matching detected grids to the template: which table, which row, which column.

Grids come from any source (vector lattice, scanned image) with their cells' text (text layer or
OCR). The matcher only reads text and geometry, so every reading path shares it.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from . import template as T
from .evidence import ORDER_FLAG, POSITION_FLAG
from .grid import cell_at
from .labels import best_match, has_cjk, norm, similarity, similarity_bound
from .numbers import parse_value
from .types import Grid, GridCell

log = logging.getLogger(__name__)

MIN_LABEL_SCORE = 0.5      # below this a printed label is not taken for a template label
# The review table's data row: the last row where at least this share of the cells read as values.
REVIEW_DATA_SHARE = 0.6
# The template version is told by the rows' value cells alone from this many rows that fit it.
ACTIVE_SHAPE_ROWS = 4
# A table known by the review table's shape alone may have this many of its values unread.
REVIEW_SHAPE_UNREAD = 2


@dataclass
class MatchedCell:
    table: str
    row: str
    column: str
    source: Optional[GridCell]     # None: the document has no cell there
    page: Optional[int]
    problem: str = ""              # why the position of this cell is uncertain, if it is


@dataclass
class Match:
    version: Optional[str]
    split_six: bool
    cells: list[MatchedCell] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # document-level reasons for review
    tables_found: set = field(default_factory=set)


# --- which table a grid belongs to -------------------------------------------------------------

def _labels_of(table: str) -> list[str]:
    out: list[str] = []
    if table == T.TABLE_ACTIVE:
        for blocks in T.ACTIVE_BLOCKS.values():
            for b in blocks:
                out += [b.heading, T.ACTIVE_HEADER_FIRST] + [c.label for c in b.columns]
                out += [r.label for r in b.rows]
    elif table == T.TABLE_APPLICATIONS:
        for r in T.APPLICATION_ROWS_ALL:
            out += [r.label, *r.parents]
        out += [c.label for c in T.APPLICATION_COLUMNS] + [T.APPLICANT_GROUP, T.ORG_GROUP,
                                                          T.APPLICATIONS_CORNER]
    else:
        out += [g for _, g in T.REVIEW_GROUPS] + [o for _, o in T.REVIEW_OUTCOMES] + [T.REVIEW_SUIT_GROUP]
    return sorted({norm(x) for x in out})


_TABLE_LABELS = {t: _labels_of(t) for t in T.TABLES}


def classify_grid(grid: Grid) -> Optional[str]:
    """The template table whose labels this grid's text resembles most, or None."""
    votes = {t: 0.0 for t in T.TABLES}
    for cell in grid.cells:
        text = norm(cell.text)
        if len(text) < 2 or not has_cjk(text):
            continue
        scores = {t: best_match(text, _TABLE_LABELS[t])[1] for t in T.TABLES}
        best = max(scores, key=scores.get)
        if scores[best] >= 0.75:
            # A label shared by two tables (总计, 其他) says little: count only clear winners,
            # and no word that is part of another table's label (其他 of 其他结果).
            others = [s for t, s in scores.items() if t != best]
            if scores[best] - max(others) > 0.05 and not any(
                    text in label for t in T.TABLES if t != best for label in _TABLE_LABELS[t]):
                votes[best] += 1
    best = max(votes, key=votes.get)
    return best if votes[best] >= 2 else None


# --- helpers over grids ------------------------------------------------------------------------

def _starting_at(grid: Grid, row: int) -> list[GridCell]:
    return sorted((c for c in grid.cells if c.row == row), key=lambda c: c.col)


def _covering_rows(grid: Grid, r0: int, r1: int) -> list[GridCell]:
    return sorted((c for c in grid.cells if c.row < r1 and c.row + c.rowspan > r0), key=lambda c: c.col)


def _is_value_text(text: str) -> bool:
    """A value cell prints a number or a blank mark, not a label."""
    t = norm(text)
    if not t:
        return True
    return parse_value(text).kind != "unreadable" or not has_cjk(t) or t in ("无",)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


# --- table `applications` -----------------------------------------------------------------------

@dataclass
class _Band:
    """One printed row of the applications table: its label path and its value cells."""
    grid: Grid
    r0: int
    r1: int
    labels: list[GridCell]
    values: list[GridCell]
    value_col: int = 0            # the grid column of the first value


def _application_bands(grid: Grid, n_values: int = 7) -> list[_Band]:
    # Columns on the right where no cell of their own prints anything are none of the table's:
    # an edge that a mark beyond it drew (a speck, the page's border in a scan; a header centred
    # over the columns spans it too), which would shift every value one column, counted from
    # the right.
    end = max((c.col + 1 for c in grid.cells if c.colspan == 1 and c.text.strip()), default=grid.n_cols)
    anchors = [c for c in grid.cells if c.col < end <= c.col + c.colspan]
    anchors.sort(key=lambda c: c.row)
    # The first value column: where the last n_values distinct cells of a printed row begin.
    # Only rows that print values vote: header rows have other cells in those places.
    starts: dict[int, int] = {}
    for a in anchors:
        inside = sorted((c for c in _covering_rows(grid, a.row, a.row + a.rowspan)
                         if c.row >= a.row and c.row + c.rowspan <= a.row + a.rowspan and c.col < end),
                        key=lambda c: c.col)
        if len(inside) > n_values and all(_is_value_text(c.text) for c in inside[-n_values:]):
            col = inside[-n_values].col
            starts[col] = starts.get(col, 0) + 1
    if not starts:
        return []
    vc0 = max(starts, key=starts.get)
    bands = []
    for a in anchors:
        cells = _covering_rows(grid, a.row, a.row + a.rowspan)
        labels = [c for c in cells if c.col < vc0]
        values = [c for c in cells if vc0 <= c.col < end and c.row >= a.row
                  and c.row + c.rowspan <= a.row + a.rowspan]
        bands.append(_Band(grid, a.row, a.row + a.rowspan, labels, values, vc0))
    return bands


def _is_header_band(band: _Band) -> bool:
    """Header rows print labels where data rows print values. A stray mark in one value cell (a
    seal's character, a misread digit) does not make a data row a header: most cells must be
    labels."""
    texts = [norm(c.text) for c in band.values]
    labels = sum(has_cjk(t) and parse_value(t).kind == "unreadable" and t != "无" for t in texts)
    if texts and labels * 2 >= len(texts):
        return True
    label = norm("".join(c.text for c in band.labels))
    return any(k in label for k in ("勾稽", "本列数据", "申请人情况"))


def _label_texts(band: _Band) -> tuple[list[str], str]:
    """A printed row's own label texts, left to right, and its whole label path.

    A row's label is the text of its label cells, however they are merged: an empty label cell
    (（七）总计 printed in the second label column with an empty, unmerged cell beside it)
    contributes nothing, and a label split over two cells is their texts joined. Own cells lie
    within the row; cells spanning beyond it are its parent blocks, part of the path only.
    """
    own = [c.text for c in band.labels
           if c.row >= band.r0 and c.row + c.rowspan <= band.r1 and _flat(c.text)]
    path = "".join(c.text for c in band.labels if _flat(c.text))
    if not own and band.labels and _flat(band.labels[-1].text):
        own = [band.labels[-1].text]       # a label cell taller than its row of values
    return own, path


def _score_row(band: _Band, row: T.Row) -> float:
    """How well a printed row's labels name a template row (0.0 where it surely stays under
    MIN_LABEL_SCORE: a pairing the alignment never makes)."""
    own, path = _label_texts(band)
    if not own:
        return 0.0
    # The row's own label is the end of its own cells: where a block's label is printed (not
    # merged) in the first row of the block only, that row's cells hold both.
    owns = ["".join(own[k:]) for k in range(len(own))]
    full_path = "".join((*row.parents, row.label))
    # Most pairings are far apart: their upper bounds settle them without the full comparison.
    b_own = max(similarity_bound(text, row.label) for text in owns)
    if max(b_own, 0.6 * b_own + 0.4 * similarity_bound(path, full_path)) < MIN_LABEL_SCORE:
        return 0.0
    s_own = max(similarity(text, row.label) for text in owns)
    s_path = similarity(path, full_path)
    return max(s_own, 0.6 * s_own + 0.4 * s_path)


def _align(bands: list[_Band], rows: tuple[T.Row, ...]) -> tuple[float, list[Optional[int]]]:
    """Order-preserving alignment of printed rows to template rows (rows may be added or omitted).

    Returns the total gain and, per template row, the index of the band matched to it.
    """
    n, m = len(bands), len(rows)
    skip = -0.05
    score = [[_score_row(b, r) for r in rows] for b in bands]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]     # 1 match, 2 skip band, 3 skip row
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            options = []
            if i and j and score[i - 1][j - 1] >= MIN_LABEL_SCORE:
                options.append((best[i - 1][j - 1] + score[i - 1][j - 1], 1))
            if i:
                options.append((best[i - 1][j] + skip, 2))
            if j:
                options.append((best[i][j - 1] + skip, 3))
            best[i][j], move[i][j] = max(options)
    assigned: list[Optional[int]] = [None] * m
    i, j = n, m
    while i or j:
        mv = move[i][j]
        if mv == 1:
            assigned[j - 1] = i - 1
            i, j = i - 1, j - 1
        elif mv == 2:
            i -= 1
        else:
            j -= 1
    return best[n][m], assigned


def _rows_between(bands: list[_Band], rows: tuple[T.Row, ...], assigned: list[Optional[int]]) -> dict[str, str]:
    """Template rows not found whose places the printed rows, their labels misread, hold: the
    rows of values left between the rows found before and after them, where those print as many
    template rows between them as there are printed rows (a block's label read into the row's,
    "提供行制作旧心用" for 2.没有现成信息需要另行制作; a coarse scan's labels too blurred to read),
    each in its order. Each such row is assigned in `assigned`; returns, per row id, the flag its
    cells carry (ORDER_FLAG: its values' place is for a person to confirm)."""
    out: dict[str, str] = {}
    found = [k for k, a in enumerate(assigned) if a is not None]
    for i, j in zip(found, found[1:]):
        a, b = assigned[i], assigned[j]
        if j - i < 2 or b - a != j - i \
                or any(len(bands[k].values) != len(T.APPLICATION_COLUMNS) for k in range(a + 1, b)):
            continue
        for step in range(1, j - i):
            assigned[i + step] = a + step
            label = _flat("".join(c.text for c in bands[a + step].labels))[:40]
            out[rows[i + step].id] = (f"{ORDER_FLAG}: between rows {rows[i].id} and {rows[j].id}, "
                                      f"its label read {label!r}")
    return out


def _bands_under(grid: Grid, above: Grid, value_col: int, n_values: int = 7) -> list[_Band]:
    """The rows of `grid`, a part of the table carried over with no header, in the value columns
    of `above`, the part before it: a table drawn with no rule whose blanks are printed empty (or
    whose total column is left blank) shows on a page of its own fewer columns than it has, and
    no row of it fills them all. Each cell goes to the column of `above` its middle stands in,
    where the table starts at the same left on both pages; an empty place is an empty cell there.
    [] where the parts do not line up, or two cells of a row stand in one column."""
    edges = above.col_edges[value_col:]
    if not grid.cells or len(edges) != n_values + 1 or not all(c.placed_by_spacing for c in grid.cells) \
            or abs(grid.col_edges[0] - above.col_edges[0]) > min(b - a for a, b in zip(edges, edges[1:])):
        return []
    # Labels shorter on this page leave the first column's figures further left.
    first = edges[0] - (edges[1] - edges[0])
    bands = []
    for r in range(grid.n_rows):
        placed: list[Optional[GridCell]] = [None] * n_values
        for c in (c for c in grid.cells if c.row == r and c.text.strip()):
            x = (c.bbox[0] + c.bbox[2]) / 2
            if x < edges[0] and not (x >= first and _printed(c)):
                continue
            k = next((k for k in range(n_values) if edges[k] <= x < edges[k + 1]), 0 if x < edges[0] else None)
            if k is None or placed[k] is not None:
                return []
            placed[k] = c
        if not any(placed):
            continue
        labels = [c for c in _covering_rows(grid, r, r + 1)
                  if (c.bbox[0] + c.bbox[2]) / 2 < edges[0] and all(c is not p for p in placed)]
        y0, y1 = grid.row_edges[r], grid.row_edges[r + 1]
        values = [c or GridCell(r, -1, 1, 1, (edges[k], y0, edges[k + 1], y1), "", placed_by_spacing=True)
                  for k, c in enumerate(placed)]
        bands.append(_Band(grid, r, r + 1, labels, values, value_col))
    return bands


def _headers_elsewhere(grid: Grid, data: list[_Band]) -> str:
    """Why the value columns of a table drawn with no rule may not be the template's, or "": a
    column's name printed in the header over another column than the one its values were given
    (a speck of noise taken for a dash adds a column, and the values, counted from the right,
    shift by one). The spacing alone placed them, and a row of zeros and blanks holds its
    identities shifted as it does in place. A name not read, or over two columns, says nothing.
    `data`: the grid's rows of values, the rows above the first of them its header."""
    if not all(c.placed_by_spacing for c in grid.cells):
        return ""
    value_col, first = data[0].value_col, min(b.r0 for b in data)
    texts: dict[int, str] = {}
    for cell in sorted(grid.cells, key=lambda c: c.row):
        if cell.row + cell.rowspan <= first and cell.colspan == 1:
            texts[cell.col] = texts.get(cell.col, "") + cell.text
    labels = [c.label for c in T.APPLICATION_COLUMNS]
    for k, label in enumerate(labels):
        over = [col for col, text in texts.items() if label in _labels_within(text, labels)]
        if over and value_col + k not in over:
            return f"{POSITION_FLAG}: the header prints {label} over other values than its column's"
    return ""


def _lines_up(grid: Grid, value_col: int, above: Grid, above_col: int) -> bool:
    """Whether the value columns of `grid` stand where those of `above` do, to a quarter of the
    narrowest: the edges between them (where the labels end and where the last column does, the
    spacing puts by the widths of the texts there, which differ from page to page)."""
    mine, theirs = grid.col_edges[value_col:], above.col_edges[above_col:]
    if len(mine) != len(theirs):
        return False
    tol = 0.25 * min(b - a for a, b in zip(theirs, theirs[1:]))
    return all(abs(a - b) <= tol for a, b in zip(mine[1:-1], theirs[1:-1]))


def match_applications(grids: list[Grid], match: Match) -> None:
    bands: list[_Band] = []
    above: Optional[tuple[Grid, int]] = None     # the last part whose rows fill its columns
    misplaced: dict[int, str] = {}                # id(grid): why its columns' places are in doubt
    for grid in grids:
        found = _application_bands(grid)
        if above and not any(_is_header_band(b) for b in found) \
                and not (found and _lines_up(grid, found[0].value_col, *above)):
            found = _bands_under(grid, *above) or found
        elif found:
            above = (grid, found[0].value_col)
        data = [band for band in found if not _is_header_band(band)]
        bands += data
        if data and (doubt := _headers_elsewhere(grid, data)):
            misplaced[id(grid)] = doubt
    if not bands:
        match.problems.append("applications: no data rows found")
        return
    results = []
    for split in (True, False):
        rows = T.APPLICATION_ROWS_SPLIT if split else T.APPLICATION_ROWS_UNSPLIT
        gain, assigned = _align(bands, rows)
        results.append((gain, split, rows, assigned))
    gain, split, rows, assigned = max(results, key=lambda r: r[0])
    match.split_six = split
    by_order = _rows_between(bands, rows, assigned)
    used = {a for a in assigned if a is not None}
    for k, band in enumerate(bands):
        if k not in used:
            label = _flat("".join(c.text for c in band.labels))[:40]
            match.problems.append(f"applications: printed row not in the template: {label!r}")
    cols = [c.id for c in T.APPLICATION_COLUMNS]
    for row, a in zip(rows, assigned):
        if a is None:
            match.problems.append(f"applications: row {row.id} ({row.label}) not found")
            continue
        band = bands[a]
        values = band.values
        if len(values) == len(cols):
            for col, src in zip(cols, values):
                match.cells.append(MatchedCell(T.TABLE_APPLICATIONS, row.id, col, src, band.grid.page,
                                               misplaced.get(id(band.grid)) or by_order.get(row.id, "")))
            continue
        problem = f"row has {len(values)} value cells, the template {len(cols)}"
        match.problems.append(f"applications: row {row.id}: {problem}")
        # Cells merged by a worn rule: where the grid still has one column per template
        # column, the single cells keep their place; the merged ones are lost, and flagged.
        by_col = {c.col: c for c in values if c.colspan == 1 and c.rowspan == band.r1 - band.r0}
        aligned = band.grid.n_cols - band.value_col == len(cols)
        for k, col in enumerate(cols):
            src = by_col.get(band.value_col + k) if aligned else None
            match.cells.append(MatchedCell(T.TABLE_APPLICATIONS, row.id, col, src, band.grid.page,
                                           "" if src else problem))
    match.tables_found.add(T.TABLE_APPLICATIONS)


# --- table `active` -----------------------------------------------------------------------------

_BLOCK_RE = re.compile(r"第二十条.*?第?（([一二三四五六七八九十]+)）项")
_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def _block_number(text: str) -> Optional[int]:
    m = _BLOCK_RE.search(norm(text))
    return _CN_NUM.get(m.group(1)) if m else None


def _detect_active_version(header_texts: list[str]) -> Optional[str]:
    votes = {v: 0.0 for v in T.VERSIONS}
    for text in header_texts:
        for v in T.VERSIONS:
            labels = [c.label for b in T.ACTIVE_BLOCKS[v] for c in b.columns]
            other = [c.label for b in T.ACTIVE_BLOCKS[[x for x in T.VERSIONS if x != v][0]]
                     for c in b.columns]
            s, so = best_match(text, labels)[1], best_match(text, other)[1]
            if s >= 0.7 and s > so + 0.05:
                votes[v] += 1
    if not any(votes.values()):
        return None
    return max(votes, key=votes.get)


def match_active(grids: list[Grid], match: Match, version_hint: Optional[str]) -> Optional[str]:
    """Matches table `active`; returns the template version its headers show."""
    # Collect printed rows in order, remembering block headings and header rows.
    printed: list[tuple[str, Grid, list[GridCell]]] = []   # kind, grid, cells
    header_texts: list[str] = []
    for grid in grids:
        for r in range(grid.n_rows):
            cells = _starting_at(grid, r)
            if not cells:
                continue
            joined = "".join(c.text for c in cells)
            if _block_number(joined):
                printed.append(("heading", grid, cells))
            elif similarity(cells[0].text, T.ACTIVE_HEADER_FIRST) >= 0.75:
                printed.append(("header", grid, cells))
                header_texts += [c.text for c in cells[1:]]
            else:
                printed.append(("data", grid, cells))
    version = _detect_active_version(header_texts) or version_hint
    if version is None and any(_block_number("".join(c.text for c in cells)) == 9
                               for kind, _, cells in printed if kind == "heading"):
        version = "2019"            # only the 2019 template has 第二十条第（九）项
    if version is None and (version := _active_version_by_shape(printed)):
        match.problems.append("active: template version told by its rows' value cells alone (no header read)")
    if version is None:
        match.problems.append("active: template version not recognised")
        return None
    blocks = {int(_block_number(b.heading)): b for b in T.ACTIVE_BLOCKS[version]}
    all_rows = {r.id: (n, r) for n, b in blocks.items() for r in b.rows}
    block: Optional[T.Block] = None
    header: Optional[list[GridCell]] = None
    found: dict[str, tuple[Grid, list[GridCell], Optional[list[GridCell]], T.Block]] = {}
    for kind, grid, cells in printed:
        if kind == "heading":
            block = blocks.get(_block_number("".join(c.text for c in cells)))
            header = None
            continue
        if kind == "header":
            header = cells[1:]
            continue
        # Any row of the version may come next (a heading can be lost at a page break); rows of
        # the current block are preferred when labels are alike.
        candidates = [r for _, r in all_rows.values()]
        scores = [similarity(cells[0].text, r.label) + (0.1 if block and r in block.rows else 0.0)
                  for r in candidates]
        i = max(range(len(candidates)), key=scores.__getitem__)
        s = similarity(cells[0].text, candidates[i].label)
        if s < MIN_LABEL_SCORE:
            text = _flat(cells[0].text)
            if text and has_cjk(text):
                match.problems.append(f"active: printed row not in the template: {text[:30]!r}")
            continue
        row = candidates[i]
        row_block = blocks[all_rows[row.id][0]]
        found[row.id] = (grid, cells[1:], header, row_block)

    for b in T.ACTIVE_BLOCKS[version]:
        for row in b.rows:
            if row.id not in found:
                match.problems.append(f"active: row {row.id} ({row.label}) not found")
                continue
            grid, values, header, row_block = found[row.id]
            for col, src, problem in _assign_active_columns(row_block, values, header):
                match.cells.append(MatchedCell(T.TABLE_ACTIVE, row.id, col, src, grid.page, problem))
                if problem:
                    match.problems.append(f"active: row {row.id} column {col}: {problem}")
    match.tables_found.add(T.TABLE_ACTIVE)
    return version


def _active_version_by_shape(printed: list[tuple[str, Grid, list[GridCell]]]) -> Optional[str]:
    """The template version whose rows the printed rows fit, where no header could be read (a
    heavy 1-bit scan turns shaded header rows to speckle): each row read by its label prints as
    many value cells as its block has columns (2021: one for 行政许可, 行政处罚, 行政强制 and
    行政事业性收费; 2019: two or three). Only one version may fit, with at least
    ACTIVE_SHAPE_ROWS rows and none against it."""
    fitting = []
    for version, blocks in T.ACTIVE_BLOCKS.items():
        width = {r.label: len(b.columns) for b in blocks for r in b.rows}
        labels = list(width)
        fit = misfit = 0
        for kind, _, cells in printed:
            if kind != "data" or len(cells) < 2:
                continue
            i, score = best_match(cells[0].text, labels)
            if i < 0 or score < MIN_LABEL_SCORE:
                continue
            if len(cells) - 1 == width[labels[i]]:
                fit += 1
            else:
                misfit += 1
        if fit >= ACTIVE_SHAPE_ROWS and not misfit:
            fitting.append(version)
    return fitting[0] if len(fitting) == 1 else None


def _assign_active_columns(block: T.Block, values: list[GridCell], header: Optional[list[GridCell]]):
    """(column id, value cell, problem) for each column of the block."""
    cols = list(block.columns)
    if header:
        # Each header cell names a column; a value cell belongs to the header cell above it.
        named: list[tuple[GridCell, T.Column]] = []
        for h in header:
            i, s = best_match(h.text, [c.label for c in cols])
            if i >= 0 and s >= MIN_LABEL_SCORE:
                named.append((h, cols[i]))
        if len(named) == len(cols) and len({c.id for _, c in named}) == len(cols):
            out = []
            for h, col in named:
                over = [v for v in values if _x_overlap(v.bbox, h.bbox) > 0.5]
                if len(over) > 1:
                    # Of the cells under a header wider than its value (columns a table drawn
                    # without rules keeps from its other blocks), the one that prints something.
                    over = [v for v in over if v.text.strip()]
                if len(over) == 1:
                    out.append((col.id, over[0], ""))
                else:
                    out.append((col.id, None, "no single value cell under its header"))
            return out
    if len(values) == len(cols):
        return [(c.id, v, "") for c, v in zip(cols, values)]
    return [(c.id, None, f"{len(values)} value cells for {len(cols)} columns") for c in cols]


def _x_overlap(a, b) -> float:
    """Fraction of the narrower box's width that the two boxes share horizontally."""
    inter = min(a[2], b[2]) - max(a[0], b[0])
    width = min(a[2] - a[0], b[2] - b[0])
    return inter / width if width > 0 else 0.0


# --- table `review` -----------------------------------------------------------------------------

def match_review(grids: list[Grid], match: Match) -> None:
    """One data row under a two- or three-level header: the group (行政复议, 未经复议直接起诉,
    复议后起诉) from the header cells above each value, the outcome from its own header cell —
    or, in a group of five, from the template's order when a header cell is unreadable."""
    ids = [c.id for c in T.REVIEW_COLUMNS]
    if spaced := _figures_in_order(grids):
        for col, (cell, grid) in zip(ids, spaced):
            match.cells.append(MatchedCell(T.TABLE_REVIEW, "all", col, cell, grid.page))
        match.tables_found.add(T.TABLE_REVIEW)
        return
    by_group: dict[str, list[tuple[GridCell, Grid, list[str]]]] = {}
    unplaced: list[tuple[GridCell, Grid]] = []
    for grid in grids:
        data_row = None
        for r in range(grid.n_rows - 1, -1, -1):
            cells = _starting_at(grid, r)
            # The last row of values; a cell or two of it may be unreadable (a seal over it).
            values = sum(_is_value_text(c.text) for c in cells)
            if len(cells) >= 3 and values >= REVIEW_DATA_SHARE * len(cells):
                data_row = r
                break
        if data_row is None:
            continue
        shared: dict[tuple[str, ...], list[tuple[GridCell, Grid, list[str]]]] = {}
        for cell in _starting_at(grid, data_row):
            path = _header_path(grid, cell, data_row)
            groups = _review_groups(path)
            if len(groups) == 1:
                by_group.setdefault(groups[0], []).append((cell, grid, path))
            elif groups:
                shared.setdefault(tuple(groups), []).append((cell, grid, path))
            else:
                unplaced.append((cell, grid))
        # A rule worn away between two group headers joins them into one cell naming both:
        # its columns are the groups' columns in the printed order, five each.
        for groups, members in shared.items():
            if len(members) != len(groups) * len(T.REVIEW_OUTCOMES):
                unplaced += [(cell, grid) for cell, grid, _ in members]
                continue
            members.sort(key=lambda m: m[0].bbox[0])
            for k, group in enumerate(groups):
                n = len(T.REVIEW_OUTCOMES)
                by_group.setdefault(group, []).extend(members[k * n:(k + 1) * n])
            match.problems.append(f"review: one header cell names {', '.join(groups)}; "
                                  "its columns taken in the printed order")
    assigned: dict[str, tuple[GridCell, Grid]] = {}
    outcomes = [o for o, _ in T.REVIEW_OUTCOMES]
    labels = [label for _, label in T.REVIEW_OUTCOMES]
    for group, members in by_group.items():
        members.sort(key=lambda m: m[0].bbox[0])
        read = [best_match(path[-1], labels) if path else (-1, 0.0) for _, _, path in members]
        if len(members) == len(outcomes):
            # Every readable outcome label must agree with the template's order.
            # A header cell run across two columns (a table drawn without rules) names both
            # labels: it clashes only if neither is the one expected.
            clash = [k for k, (i, s) in enumerate(read) if s >= 0.75 and i != k
                     and labels[k] not in _labels_within(members[k][2][-1] if members[k][2] else "", labels)]
            if clash:
                match.problems.append(f"review: {group} outcome headers out of the template's order")
            for k, (cell, grid, _) in enumerate(members):
                assigned[f"{group}.{outcomes[k]}"] = (cell, grid)
        else:
            if len(members) > len(outcomes):
                # More columns under a group than it has: the header is not understood.
                match.problems.append(f"review: {len(members)} columns under {group}")
                continue
            for (cell, grid, header), (i, s) in zip(members, read):
                # A value missing from the group (its cell merged away): the others are placed
                # by their column under the group's header cell, else by their own label.
                offset = _offset_under_group(grid, cell, group)
                if offset is not None:
                    i, s = offset, 1.0
                key = f"{group}.{outcomes[i]}" if i >= 0 and s >= MIN_LABEL_SCORE else None
                if key and key not in assigned:
                    assigned[key] = (cell, grid)
                    named = _labels_within(header[-1], labels) if header else []
                    if len(named) > 1:
                        # The rule between two columns lost from header to data: the cell
                        # under the header naming both may hold both values, or either.
                        match.problems.append(f"review: column {key}: its header cell names "
                                              f"{', '.join(named)}")
    if not assigned and not unplaced:
        match.problems.append("review: no data row found")
        return
    if len(assigned) != len(ids) and not by_group and len(unplaced) == len(ids):
        assigned = dict(zip(ids, unplaced))
        match.problems.append("review: header not understood; columns taken in template order")
    elif len(assigned) != len(ids):
        _place_by_order(assigned, by_group, unplaced, ids, match)
    for col in ids:
        if col in assigned:
            cell, grid = assigned[col]
            match.cells.append(MatchedCell(T.TABLE_REVIEW, "all", col, cell, grid.page))
        else:
            match.cells.append(MatchedCell(T.TABLE_REVIEW, "all", col, None, None, "column not found"))
            match.problems.append(f"review: column {col} not found")
    match.tables_found.add(T.TABLE_REVIEW)


def _figures_in_order(grids: list[Grid]) -> Optional[list[tuple[GridCell, Grid]]]:
    """The review table drawn without rules, where its row of values prints one figure for each
    of the template's fifteen columns and nothing else: the figures left to right, each with its
    grid, are the columns in the template's order, whatever columns the spacing gave the header.
    A header's words run together across its columns and its cells span rows (outcomes centred
    beside the groups' two lines), while figures stand apart; placed_by_order settles the same
    row the same way. None where no grid, or more than one, prints such a row."""
    rows = []
    for grid in grids:
        last = max((c.row for c in grid.cells if _printed(c)), default=None)
        if last is None:
            continue
        # An empty cell of the row is a column the spacing drew from the header's words alone:
        # beside fifteen figures, no value is left for it.
        cells = sorted((c for c in _starting_at(grid, last) if c.text.strip()), key=lambda c: c.bbox[0])
        if all(c.placed_by_spacing and _printed(c) for c in cells):
            rows.append([(c, grid) for c in cells])
    if len(rows) == 1 and len(rows[0]) == len(T.REVIEW_COLUMNS):
        return rows[0]
    return None


def _labels_within(text: str, labels: list[str]) -> list[str]:
    """The labels whose every character a header cell's text holds (two labels side by side in
    one cell read as their lines interleaved: "尚未  总" / "审结   计")."""
    have = Counter(_flat(text))
    return [label for label in labels if not Counter(label) - have]


def _place_by_order(assigned: dict, by_group: dict, unplaced: list, ids: list[str], match: Match) -> None:
    """Part of the header unreadable (a heavy 1-bit scan fills its strokes in): where the data row
    holds exactly the template's columns and every column placed by its header stands at its
    template position, the others are taken in the template's order, each named in a problem (its
    position is for a person to confirm)."""
    row = {id(cell): (cell, grid) for members in by_group.values() for cell, grid, _ in members}
    row.update({id(cell): (cell, grid) for cell, grid in unplaced})
    if len(row) != len(ids) or len({id(grid) for _, grid in row.values()}) != 1:
        return
    ordered = sorted(row.values(), key=lambda m: m[0].bbox[0])
    position = {id(cell): k for k, (cell, _) in enumerate(ordered)}
    if not assigned or any(position[id(cell)] != ids.index(col) for col, (cell, _) in assigned.items()):
        return
    n = len(T.REVIEW_OUTCOMES)
    labels = [label for _, label in T.REVIEW_OUTCOMES]
    for k, col in enumerate(ids):
        if col not in assigned:
            assigned[col] = ordered[k]
            cell, grid = ordered[k]
            path = _header_path(grid, cell, cell.row)
            group, outcome = col.split(".")[0], labels[k % n]
            i, s = best_match(path[-1], labels) if path else (-1, 0.0)
            members = by_group.get(group, [])
            # Its place is read, not only counted, where its header names its outcome (alone, or
            # with a neighbour's where header cells ran together: a table drawn without rules)
            # and a header over a column of its block of five names its group.
            named = i == k % n and s >= 0.75 or (bool(path) and outcome in _labels_within(path[-1], labels))
            if named and any(position[id(m)] // n == k // n for m, _, _ in members):
                continue
            match.problems.append(f"review: column {col} placed by the template's order (its header unread)")


def _header_path(grid: Grid, cell: GridCell, data_row: int) -> list[str]:
    """Texts of the header cells above `cell`, top to bottom."""
    x = (cell.bbox[0] + cell.bbox[2]) / 2
    col = next((c for c in range(grid.n_cols) if grid.col_edges[c] <= x < grid.col_edges[c + 1]),
               cell.col)
    path, r = [], 0
    while r < data_row:
        h = cell_at(grid, r, col)
        if h is None:
            r += 1
            continue
        if h.text.strip():
            path.append(h.text)
        r = h.row + h.rowspan
    return path


def _offset_under_group(grid: Grid, cell: GridCell, group: str) -> Optional[int]:
    """The column of `cell` counted from the left of the header cell that names its group and
    spans one column per outcome; None where there is no such header cell."""
    for r in range(cell.row):
        h = cell_at(grid, r, cell.col)
        if (h is not None and h.colspan == len(T.REVIEW_OUTCOMES)
                and _review_groups([h.text]) == [group]):
            return cell.col - h.col
    return None


def _review_groups(path: list[str]) -> list[str]:
    """The groups (行政复议, 未经复议直接起诉, 复议后起诉) that the header cells above a value name,
    in printed order: the lowest header cell naming any decides. One group, or several where a
    worn rule joined their header cells."""
    for text in reversed(path):
        joined = norm(text)
        found: dict[str, int] = {}
        for marker, group in (("复议后", "suit_after_review"), ("未经复议", "suit_direct"),
                              ("直接起诉", "suit_direct"), ("行政复议", "review")):
            at = joined.find(marker)
            if at >= 0:
                found[group] = min(at, found.get(group, at))
        if found:
            return sorted(found, key=found.get)
    return ["review"] if "复议" in norm("".join(path)) else []


# --- whole document ---------------------------------------------------------------------------

def _continues(prev: Grid, grid: Grid, grids: list[Grid]) -> bool:
    """Whether `grid` is the first table on the page after `prev`'s, where a break carries a
    table over."""
    first_on_page = min((g for g in grids if g.page == grid.page), key=lambda g: g.bbox[1])
    last_on_prev = max((g for g in grids if g.page == prev.page), key=lambda g: g.bbox[3])
    return grid.page == prev.page + 1 and first_on_page is grid and last_on_prev is prev


def _review_shaped(grid: Grid) -> bool:
    """The review table's shape where none of its labels could be read (a heavy 1-bit scan turns
    its shaded header cells to speckle): header rows over one last row of exactly its fifteen
    columns, one cell each, nearly all read as numbers. No other table of either template prints
    fifteen values in a row."""
    n = len(T.REVIEW_COLUMNS)
    last = _starting_at(grid, grid.n_rows - 1)
    return (grid.n_rows >= 2 and grid.n_cols == n and len(last) == n
            and all(c.colspan == 1 and c.rowspan == 1 for c in last)
            and sum(parse_value(c.text).kind == "number" for c in last) >= n - REVIEW_SHAPE_UNREAD)


def match_document(grids: list[Grid], version_hint: Optional[str] = None) -> Match:
    """Grids in reading order → template cells. Version from table `active` (or the hint)."""
    by_table: dict[str, list[Grid]] = {t: [] for t in T.TABLES}
    previous: Optional[tuple[str, Grid]] = None
    shaped: list[Grid] = []
    for grid in grids:
        table = classify_grid(grid)
        if table is None and _review_shaped(grid):
            shaped.append(grid)
            continue
        if table is None and previous and _continues(previous[1], grid, grids):
            table = previous[0]         # a table continued on the next page, few labels of its own
        if table:
            by_table[table].append(grid)
            previous = (table, grid)
    match = Match(version=None, split_six=True)
    if not by_table[T.TABLE_REVIEW] and len(shaped) == 1:
        by_table[T.TABLE_REVIEW] = shaped
        match.problems.append("review: table known by its shape alone (none of its labels read)")
    match.version = match_active(by_table[T.TABLE_ACTIVE], match, version_hint) \
        if by_table[T.TABLE_ACTIVE] else version_hint
    if not by_table[T.TABLE_ACTIVE]:
        match.problems.append("active: table not found")
    if by_table[T.TABLE_APPLICATIONS]:
        match_applications(by_table[T.TABLE_APPLICATIONS], match)
    else:
        match.problems.append("applications: table not found")
    if by_table[T.TABLE_REVIEW]:
        match_review(by_table[T.TABLE_REVIEW], match)
    else:
        match.problems.append("review: table not found")
    return match


# --- tables drawn without rules -----------------------------------------------------------------

def placed_by_order(match: Match, grids: list[Grid]) -> set[tuple[str, str, str]]:
    """Cells of a table drawn without rules whose place the spacing did not have to guess: the
    row's line prints one figure for each of the template row's columns and no other, so the
    figures, left to right, are its columns in order whichever way the gaps between them went.
    A row with a blank printed empty (its figures fewer than its columns) is not one of them:
    which column the blank is in, only the spacing says."""
    row_of: dict[int, tuple[int, int]] = {}
    for k, grid in enumerate(grids):
        for cell in grid.cells:
            row_of[id(cell)] = (k, cell.row)
    order = {key: i for i, key in enumerate(T.cell_keys(match.version or T.VERSIONS[0], match.split_six))}
    rows: dict[tuple[str, str], list[MatchedCell]] = {}
    for m in match.cells:
        rows.setdefault((m.table, m.row), []).append(m)
    placed: set[tuple[str, str, str]] = set()
    for members in rows.values():
        sources = [m.source for m in members]
        if not all(s is not None and s.placed_by_spacing and _printed(s) and id(s) in row_of
                   for s in sources) or len({id(s) for s in sources}) != len(sources):
            continue
        lines = {row_of[id(s)] for s in sources}
        if len(lines) != 1:
            continue
        (k, line), = lines
        taken = {id(s) for s in sources}
        if any(c.row == line and id(c) not in taken and _printed(c) for c in grids[k].cells):
            continue        # a figure or mark of the line went to no column: it prints more than them
        by_x = sorted(members, key=lambda m: m.source.bbox[0])
        if by_x == sorted(members, key=lambda m: order.get((m.table, m.row, m.column), -1)):
            placed |= {(m.table, m.row, m.column) for m in members}
    return placed


def _printed(cell: GridCell) -> bool:
    """The cell prints a figure or a blank's mark ("/", "—"): a value, not a label's words."""
    return bool(cell.text.strip()) and parse_value(cell.text).kind != "unreadable"
