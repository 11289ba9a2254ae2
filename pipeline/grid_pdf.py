"""Ruled tables of a born-digital page read from its own drawing: the rulings from the page's
path objects (pdfium), each cell's text from the text layer's characters.

This gives the Grids camelot's lattice reader (vector engine) gave, without its cost: camelot
re-parses the page in Python (~0.1 s a page) and importing it loads pandas (~0.8 s of CPU). The
grouping follows camelot 2.0's vector lattice so that tables, shapes and spans stay the same:
collinear pieces of a rule joined, tables as the connected sets of rules that cross, row and
column edges at the crossings, a cell's edge closed where rules run along most of it, a grid
that is almost all empty cells dropped as no table. Where camelot errs, this does not follow
it: a cell's text is its own characters (camelot gives a pdfminer text line to one cell, also
one running into the next cell), and a rule keeps its own place (camelot moves two tables'
column rules that are nearly in line to their mean, by up to 1.5 pt).

Boxes are in points of the page as displayed (after /Rotate, from the CropBox's corner), origin
top-left — where the page's render shows them.
"""
from __future__ import annotations

import ctypes
import logging
import math
from bisect import bisect_right
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from . import pdf as pdfio
from .grid import implied_columns, implied_rows, implied_sides, merge_cells, unruled_tables, vertical_text
from .labels import has_cjk
from .numbers import BLANK_MARKS, UNITS, normalize_numeric_text
from .types import Grid

log = logging.getLogger(__name__)

# A segment is horizontal (vertical) when its ends differ by at most this much in y (x).
AXIS_TOL = 0.5
# Pieces of one rule drawn apart, and rules that stop short of each other at a corner, still
# join within this distance (camelot's coalesce and joint tolerances).
JOIN_TOL = 2.0
# Row and column edges closer than this are one edge (camelot's line_tol).
LINE_TOL = 2.0
# Rules closer than this (points) bound no row or column: no line of a table's text fits
# between them. They are one double rule (see _single_rules); pipeline.grid_image's min_cell.
MIN_CELL = 7.2
# ... where they run alongside each other over at least this share of the shorter one's extent.
DOUBLE_RULE_ALONGSIDE = 0.5
# A filled rectangle at most this thick, and longer than RULE_MIN_LENGTH the other way, is a rule
# drawn as a bar; a larger filled rectangle is shading, and its edges are no rules.
THIN_RULE = 2.0
RULE_MIN_LENGTH = 4.0
# A control point this close to the chord makes a Bezier segment a straight line.
CURVE_FLAT = 0.5
# Paint at least this light in every channel is white: no rule on paper.
WHITE = 250
# An edge of a cell is closed where rules run along at least this share of it.
EDGE_COVERED = 0.5
# camelot drops a ruled grid whose cells are this share empty or more: page frames, form rules.
EMPTY_SHARE = 0.9
# Characters on one line: centres closer in height than this share of the taller box.
SAME_LINE = 0.5
# pdfminer's word margin, which camelot's text follows: a gap wider than this share of the
# next character's size is a space.
WORD_GAP = 0.1
# A cell's padding on one side, at most (points): a browser's or a word processor's is 1-5.
WRAP_PADDING = 6.0
# Characters one under another, this many character sizes apart at most, are one vertical line.
STACK_GAP = 1.5
# Nesting of Form XObjects followed; deeper ones are drawn by no report.
MAX_FORM_DEPTH = 8
# The characters of the units a value may print after its figures (6276.10元).
VALUE_UNITS = frozenset("".join(UNITS))

Matrix = tuple[float, float, float, float, float, float]    # a, b, c, d, e, f as in PDF


@dataclass(slots=True)
class Ruling:
    """A horizontal or vertical rule: at `pos` (y of a horizontal one, x of a vertical one), from
    `lo` to `hi` along it, `width` thick; displayed points, top-left origin."""
    horizontal: bool
    pos: float
    lo: float
    hi: float
    width: float = 0.0


@dataclass(slots=True)
class Char:
    """One character of the text layer: its box in displayed points (top-left origin) and the
    direction its line runs as displayed (0: left to right; 90, 180, 270: turned that many
    degrees counter-clockwise as seen)."""
    text: str
    box: tuple[float, float, float, float]
    angle: int = 0


@dataclass
class Table:
    """A connected set of crossing rulings: its box and the row and column edges at the
    crossings (displayed points, top-left origin; rows top to bottom)."""
    bbox: tuple[float, float, float, float]
    row_edges: list[float]
    col_edges: list[float]


# --- the page's frame ----------------------------------------------------------------------------

def display_matrix(page: pdfium.PdfPage) -> Matrix:
    """User space → displayed points with the origin top-left (/Rotate and CropBox applied)."""
    frame = pdfio.display_frame(page)
    return (frame.a, frame.b, frame.c, frame.d, frame.e, frame.f)


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    """The matrix that applies `inner`, then `outer`."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


# --- rulings ---------------------------------------------------------------------------------------

def page_rulings(page: pdfium.PdfPage, to_display: Matrix | None = None) -> list[Ruling]:
    """Every horizontal and vertical rule the page draws (Form XObjects included), as drawn:
    pieces of one rule are not joined here."""
    out: list[Ruling] = []
    _walk(page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject,
          to_display or display_matrix(page), out, 0, _Scratch())
    return out


@dataclass
class _Scratch:
    """The out-parameters of pdfium's calls, made once for a page (ctypes makes them slowly)."""
    x: ctypes.c_float = field(default_factory=ctypes.c_float)
    y: ctypes.c_float = field(default_factory=ctypes.c_float)
    rgba: tuple = field(default_factory=lambda: tuple(ctypes.c_uint() for _ in range(4)))
    fill_mode: ctypes.c_int = field(default_factory=ctypes.c_int)
    stroke: ctypes.c_int = field(default_factory=ctypes.c_int)
    matrix: pdfium_c.FS_MATRIX = field(default_factory=pdfium_c.FS_MATRIX)
    bounds: tuple = field(default_factory=lambda: tuple(ctypes.c_float() for _ in range(4)))

    def __post_init__(self) -> None:
        self.px, self.py = ctypes.byref(self.x), ctypes.byref(self.y)
        self.rgba_refs = tuple(ctypes.byref(v) for v in self.rgba)
        self.bounds_refs = tuple(ctypes.byref(v) for v in self.bounds)


def _walk(parent, count, get, to_display: Matrix, out: list[Ruling], depth: int,
          scratch: _Scratch) -> None:
    get_type, path, form = pdfium_c.FPDFPageObj_GetType, pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
    for i in range(count(parent)):
        obj = get(parent, i)
        kind = get_type(obj)
        if kind == path:
            _path_rulings(obj, to_display, out, scratch)
        elif kind == form and depth < MAX_FORM_DEPTH:
            # What a form holds is placed relative to the form.
            _walk(obj, pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject,
                  _compose(_object_matrix(obj, scratch), to_display), out, depth + 1, scratch)


def _object_matrix(obj, scratch: _Scratch) -> Matrix:
    m = scratch.matrix
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _visible(getter, obj, scratch: _Scratch) -> bool:
    if not getter(obj, *scratch.rgba_refs):
        return True         # a pattern or a colour pdfium cannot tell: taken as ink
    r, g, b, a = (v.value for v in scratch.rgba)
    return a > 0 and min(r, g, b) < WHITE


def _path_rulings(obj, parent: Matrix, out: list[Ruling], scratch: _Scratch) -> None:
    """The rulings one path object draws; `parent` places its parent's space on the page."""
    if not pdfium_c.FPDFPath_GetDrawMode(obj, scratch.fill_mode, scratch.stroke):
        return
    stroked = bool(scratch.stroke.value) and _visible(pdfium_c.FPDFPageObj_GetStrokeColor, obj, scratch)
    filled = scratch.fill_mode.value != pdfium_c.FPDF_FILLMODE_NONE and \
        _visible(pdfium_c.FPDFPageObj_GetFillColor, obj, scratch)
    if not (stroked or filled):
        return              # a clip, an invisible or a white path
    if not stroked and pdfium_c.FPDFPath_CountSegments(obj) <= 5 and _thick(obj, parent, scratch):
        return              # one filled box, no rule: shading, whose segments need not be read
    m = _compose(_object_matrix(obj, scratch), parent)
    subpaths = _subpaths(obj, m, scratch)
    if stroked:
        w = scratch.x
        width = w.value if pdfium_c.FPDFPageObj_GetStrokeWidth(obj, scratch.px) else 1.0
        width *= math.sqrt(abs(m[0] * m[3] - m[1] * m[2]))
        for points in subpaths:
            x0, y0 = points[0]
            for x1, y1 in points[1:]:
                if x0 is not None and x1 is not None:        # else a curve between them
                    dx, dy = abs(x1 - x0), abs(y1 - y0)
                    if dy <= AXIS_TOL and dx > 0 and dx >= dy:
                        out.append(Ruling(True, (y0 + y1) / 2.0, min(x0, x1), max(x0, x1), width))
                    elif dx <= AXIS_TOL and dy > 0:
                        out.append(Ruling(False, (x0 + x1) / 2.0, min(y0, y1), max(y0, y1), width))
                x0, y0 = x1, y1
    else:
        for points in subpaths:
            ruling = _bar_ruling(points)
            if ruling:
                out.append(ruling)


def _thick(obj, parent: Matrix, scratch: _Scratch) -> bool:
    """Whether the object's bounds are wider and taller than any rule, as displayed."""
    r = scratch.bounds
    if not pdfium_c.FPDFPageObj_GetBounds(obj, *scratch.bounds_refs):
        return False
    xs, ys = [], []
    for u, v in ((r[0].value, r[1].value), (r[2].value, r[3].value), (r[0].value, r[3].value)):
        x, y = _apply(parent, u, v)
        xs.append(x)
        ys.append(y)
    # Two corners and a third give the box under a turn by quarters (the display, a form's place).
    return max(xs) - min(xs) > THIN_RULE + 1 and max(ys) - min(ys) > THIN_RULE + 1


def _subpaths(obj, m: Matrix, scratch: _Scratch) -> list[list[tuple]]:
    """The path's subpaths as lists of displayed points; (None, None) stands where a true curve
    broke the straight run (a flat Bezier counts as its chord). A subpath's close flag is not
    read: pdfium closes a subpath with a point of its own, back at its start."""
    a, b, c, d, e, f = m
    x, y, px, py = scratch.x, scratch.y, scratch.px, scratch.py
    get_segment, get_point = pdfium_c.FPDFPath_GetPathSegment, pdfium_c.FPDFPathSegment_GetPoint
    get_type = pdfium_c.FPDFPathSegment_GetType
    moveto, bezier = pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_SEGMENT_BEZIERTO
    subpaths: list[list[tuple]] = []
    points: list[tuple] = []
    curve: list[tuple] = []         # a Bezier's points so far: two controls, then its end
    for k in range(pdfium_c.FPDFPath_CountSegments(obj)):
        seg = get_segment(obj, k)
        kind = get_type(seg)
        get_point(seg, px, py)
        u, v = x.value, y.value
        p = (a * u + c * v + e, b * u + d * v + f)
        if kind == moveto:
            if len(points) > 1:
                subpaths.append(points)
            points, curve = [p], []
            continue
        if kind == bezier:
            curve.append(p)
            if len(curve) < 3:
                continue
            start = points[-1] if points and points[-1][0] is not None else None
            if start is not None and _off_chord(start, p, curve[0]) <= CURVE_FLAT \
                    and _off_chord(start, p, curve[1]) <= CURVE_FLAT:
                points.append(p)
            else:
                points += [(None, None), p]
            curve = []
        else:
            points.append(p)
    if len(points) > 1:
        subpaths.append(points)
    return subpaths


def _off_chord(a, b, q) -> float:
    """How far q lies from the segment a-b."""
    (ax, ay), (bx, by), (qx, qy) = a, b, q
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return math.hypot(qx - ax, qy - ay)
    t = max(0.0, min(1.0, ((qx - ax) * dx + (qy - ay) * dy) / length2))
    return math.hypot(qx - ax - t * dx, qy - ay - t * dy)


def _bar_ruling(points: list[tuple]) -> Ruling | None:
    """A filled subpath that is a thin axis-aligned rectangle, as the rule it draws."""
    if any(p[0] is None for p in points):
        return None
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    # Every corner of a rectangle lies on two of its sides.
    for px, py in points:
        if min(abs(px - x0), abs(px - x1)) > AXIS_TOL or min(abs(py - y0), abs(py - y1)) > AXIS_TOL:
            return None
    w, h = x1 - x0, y1 - y0
    if min(w, h) > THIN_RULE or max(w, h) <= RULE_MIN_LENGTH:
        return None
    if w >= h:
        return Ruling(True, (y0 + y1) / 2.0, x0, x1, h)
    return Ruling(False, (x0 + x1) / 2.0, y0, y1, w)


def join_collinear(rulings: list[Ruling]) -> list[Ruling]:
    """Pieces of one rule as one ruling: rulings of one direction whose positions chain within
    JOIN_TOL and whose extents overlap or lie within JOIN_TOL of each other are joined, at their
    mean position (camelot's coalesce_collinear_lines, except that camelot gives every ruling of
    a chain of positions that one mean, also rules far apart: two tables' column rules half a
    point apart, one above the other, each keep their own place here)."""
    out: list[Ruling] = []
    for horizontal in (True, False):
        group = sorted((r for r in rulings if r.horizontal == horizontal),
                       key=lambda r: (r.pos, r.lo, r.hi))
        clusters: list[list[Ruling]] = []
        for r in group:
            if clusters and r.pos - clusters[-1][-1].pos <= JOIN_TOL:
                clusters[-1].append(r)
            else:
                clusters.append([r])
        for cluster in clusters:
            pieces = sorted(cluster, key=lambda r: (r.lo, r.hi))
            joined, hi = [pieces[0]], pieces[0].hi
            for r in pieces[1:]:
                if r.lo > hi + JOIN_TOL:
                    out.append(_joined(horizontal, joined))
                    joined, hi = [r], r.hi
                else:
                    joined.append(r)
                    hi = max(hi, r.hi)
            out.append(_joined(horizontal, joined))
    return out


def join_double_rules(rulings: list[Ruling]) -> list[Ruling]:
    """Rulings of one direction closer than MIN_CELL that run alongside each other
    (DOUBLE_RULE_ALONGSIDE) as one, at their mean position over both extents: they bound no row
    or column. A web page's table (HTML's cellspacing, CSS border-collapse: separate) boxes each
    cell on its own, a few points from the next: no box's rule crossed another's, and the page
    held no table."""
    out: list[Ruling] = []
    for horizontal in (True, False):
        group = sorted((r for r in rulings if r.horizontal == horizontal), key=lambda r: r.pos)
        taken = [False] * len(group)
        for i, rule in enumerate(group):
            if taken[i]:
                continue
            pair = [rule]
            for j in range(i + 1, len(group)):
                other = group[j]
                if other.pos - rule.pos >= MIN_CELL:
                    break
                shared = min(rule.hi, other.hi) - max(rule.lo, other.lo)
                if not taken[j] and shared >= DOUBLE_RULE_ALONGSIDE * min(rule.hi - rule.lo, other.hi - other.lo):
                    pair.append(other)
                    taken[j] = True
                    break
            out.append(_joined(horizontal, pair) if len(pair) > 1 else rule)
    return out


def with_implied_sides(rulings: list[Ruling]) -> list[Ruling]:
    """The rulings and the side rules an open-sided table implies where none is drawn."""
    out = list(rulings)
    for horizontal in (True, False):
        across = sorted((r for r in rulings if r.horizontal != horizontal), key=lambda r: r.lo)
        rules = [(r.pos, r.lo, r.hi) for r in rulings if r.horizontal == horizontal]
        for pos, lo, hi in implied_sides(rules, [(r.pos, r.lo, r.hi) for r in across], 72.0, JOIN_TOL):
            if not _covered([r for r in across if abs(r.pos - pos) <= JOIN_TOL], lo, hi):
                out.append(Ruling(not horizontal, pos, lo, hi))
    return out


def with_open_rows(rulings: list[Ruling]) -> list[Ruling]:
    """The rulings and the row rules a table drawn without a frame implies: where two or more
    column rules end on one line that no row rule draws, across the rows they cross.

    Tables drawn with inside borders only leave their top and bottom open. A block of table 二
    printed as a table of its own then ran on, past the end of its column rules, into the next
    block's heading row (its last value read with that heading); two rows of table 三 carried
    over to a page of their own had one row rule between them, too few for a table."""
    rows = [r for r in rulings if r.horizontal]
    columns = [r for r in rulings if not r.horizontal]
    out = list(rulings)
    for end in ("lo", "hi"):
        groups: list[list[Ruling]] = []
        for rule in sorted(columns, key=lambda r: getattr(r, end)):
            if groups and getattr(rule, end) - getattr(groups[-1][-1], end) <= JOIN_TOL:
                groups[-1].append(rule)
            else:
                groups.append([rule])
        for group in groups:
            if len(group) < 2:
                continue
            at = sum(getattr(r, end) for r in group) / len(group)
            left, right = min(r.pos for r in group), max(r.pos for r in group)
            if _covered(sorted((r for r in rows if abs(r.pos - at) <= JOIN_TOL), key=lambda r: r.lo), left, right):
                continue
            crossed = [h for h in rows if any(_crossing(h, v) for v in group)]
            if crossed:
                out.append(Ruling(True, at, min(h.lo for h in crossed), max(h.hi for h in crossed)))
    return out


def implied_columns_of(rulings: list[Ruling], chars_in) -> list[Ruling]:
    """The column rules that tables drawn with row rules only imply (pipeline.grid.implied_columns),
    from the characters `chars_in(boxes)` gives inside them."""
    rows = [(r.pos, r.lo, r.hi) for r in rulings if r.horizontal]
    boxes = unruled_tables(rows, [(r.pos, r.lo, r.hi) for r in rulings if not r.horizontal], 72.0, JOIN_TOL)
    if not boxes:
        return []
    ink = [c.box for c in chars_in(boxes)]
    return [Ruling(False, x, y0, y1) for box in boxes
            for x, y0, y1 in implied_columns(box, rows, ink, 72.0, JOIN_TOL)]


def spaced_rulings(chars: list[Char]) -> list[Ruling]:
    """The rules of tables drawn with no rule at all, from the page's characters: their rows'
    (pipeline.grid.implied_rows; characters set one under another, a label down a merged cell
    as 三、本年度办理结果, part no rows) and their columns' (pipeline.grid.implied_columns), table
    by table."""
    level = [c for c in chars if c.angle == 0]
    down = vertical_text([c.box for c in level], [has_cjk(c.text) for c in level])
    level = [c for c, v in zip(level, down) if not v]
    figure = _figures(chars)
    out: list[Ruling] = []
    for rows in implied_rows([c.box for c in level], [figure[id(c)] for c in level], 72.0, JOIN_TOL):
        box = (min(r[1] for r in rows), rows[0][0], max(r[2] for r in rows), rows[-1][0])
        inside = [c for c in chars if box[0] <= (c.box[0] + c.box[2]) / 2.0 <= box[2]
                  and box[1] <= (c.box[1] + c.box[3]) / 2.0 <= box[3]]
        out += [Ruling(True, y, x0, x1) for y, x0, x1 in rows]
        out += [Ruling(False, x, y0, y1) for x, y0, y1 in implied_columns(
            box, rows, [c.box for c in inside], 72.0, JOIN_TOL, [figure[id(c)] for c in inside])]
    return out


def _figures(chars: list[Char]) -> dict[int, bool]:
    """By id of each character, whether it is a value's: a figure's (_is_figure), or a unit
    set right after one (6276.10元, 12万元), which the value's cell prints with it."""
    out: dict[int, bool] = {}
    last = None
    for c in chars:
        h = c.box[3] - c.box[1]
        out[id(c)] = _is_figure(c.text) or (
            c.text in VALUE_UNITS and last is not None and out[id(last)]
            and min(last.box[3], c.box[3]) > max(last.box[1], c.box[1])
            and -0.1 * h <= c.box[0] - last.box[2] <= 0.3 * h)
        last = c
    return out


def _is_figure(text: str) -> bool:
    """A character of a value: a digit, a point or separator, or a blank mark (无 among them)."""
    return text.isdigit() or text in ".,．，" or (text in BLANK_MARKS and text not in ("", "、"))


def _joined(horizontal: bool, pieces: list[Ruling]) -> Ruling:
    return Ruling(horizontal, sum(r.pos for r in pieces) / len(pieces), min(r.lo for r in pieces),
                  max(r.hi for r in pieces), max(r.width for r in pieces))


# --- tables --------------------------------------------------------------------------------------

def _crossing(h: Ruling, v: Ruling) -> tuple[float, float] | None:
    # A thick rule reaches half its width past its centre line.
    tol = JOIN_TOL + max(0.0, max(h.width, v.width) / 2.0 - JOIN_TOL)
    if h.lo - tol <= v.pos <= h.hi + tol and v.lo - tol <= h.pos <= v.hi + tol:
        return v.pos, h.pos
    return None


def find_tables(rulings: list[Ruling]) -> list[Table]:
    """The tables that joined rulings make: each connected set of crossing horizontal and
    vertical rulings with at least two of each and more than four crossings (camelot's minimum:
    a lone box is a frame, not a table), with its row and column edges."""
    hs = [r for r in rulings if r.horizontal]
    vs = [r for r in rulings if not r.horizontal]
    parent = list(range(len(hs) + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    crossings: list[tuple[int, tuple[float, float]]] = []
    for hi, h in enumerate(hs):
        for vi, v in enumerate(vs):
            pt = _crossing(h, v)
            if pt is not None:
                a, b = find(hi), find(len(hs) + vi)
                if a != b:
                    parent[a] = b
                crossings.append((hi, pt))
    joints: dict[int, list[tuple[float, float]]] = {}
    for hi, pt in crossings:
        joints.setdefault(find(hi), []).append(pt)
    members: dict[int, tuple[list[Ruling], list[Ruling]]] = {}
    for i, h in enumerate(hs):
        members.setdefault(find(i), ([], []))[0].append(h)
    for i, v in enumerate(vs):
        members.setdefault(find(len(hs) + i), ([], []))[1].append(v)
    tables = []
    for root, pts in joints.items():
        h_members, v_members = members[root]
        if len(pts) <= 4 or len(h_members) < 2 or len(v_members) < 2:
            continue
        xs = [x for h in h_members for x in (h.lo, h.hi)] + [v.pos for v in v_members]
        ys = [y for v in v_members for y in (v.lo, v.hi)] + [h.pos for h in h_members]
        bbox = (min(xs), min(ys), max(xs), max(ys))
        cols = _single_rules(_merge_close(sorted([p[0] for p in pts] + [bbox[0], bbox[2]])), v_members)
        rows = _single_rules(_merge_close(sorted([p[1] for p in pts] + [bbox[1], bbox[3]])), h_members)
        if len(cols) > 1 and len(rows) > 1:
            tables.append(Table(bbox, rows, cols))
    tables.sort(key=lambda t: (t.bbox[1], t.bbox[0]))
    return tables


def _single_rules(edges: list[float], rulings: list[Ruling]) -> list[float]:
    """Edges with each run of them closer than MIN_CELL made one, where the longest rulings run:
    a double rule (Word's double border, each cell framed inside its rules as a web page's
    table is) bounds no cell. Left as a sliver of a column, it took a place in the row: each
    value read one column over. The two rules run alongside each other (DOUBLE_RULE_ALONGSIDE):
    a column's rule drawn a few points over from one row to the next (cells sized by hand) is
    two edges still."""
    def along(edge: float) -> list[Ruling]:
        return [r for r in rulings if abs(r.pos - edge) <= JOIN_TOL]

    def drawn(edge: float) -> float:
        return sum(r.hi - r.lo for r in along(edge))

    def alongside(a: float, b: float) -> bool:
        ra, rb = along(a), along(b)
        if not ra or not rb:
            return True         # a table's box edge or a crossing without a rule of its own
        lo_a, hi_a = min(r.lo for r in ra), max(r.hi for r in ra)
        lo_b, hi_b = min(r.lo for r in rb), max(r.hi for r in rb)
        shared = min(hi_a, hi_b) - max(lo_a, lo_b)
        return shared >= DOUBLE_RULE_ALONGSIDE * min(hi_a - lo_a, hi_b - lo_b)

    runs: list[list[float]] = []
    for edge in edges:
        if runs and edge - runs[-1][-1] < MIN_CELL and alongside(runs[-1][-1], edge):
            runs[-1].append(edge)
        else:
            runs.append([edge])
    return [max(run, key=drawn) for run in runs]


def _merge_close(values: list[float]) -> list[float]:
    """Edges within LINE_TOL of the last kept one merge into it by a running mean, as camelot's
    merge_close_lines does: where a rule's pieces stand apart, the edge lands where camelot put
    it."""
    out: list[float] = []
    for v in values:
        if out and abs(out[-1] - v) <= LINE_TOL:
            out[-1] = (out[-1] + v) / 2.0
        else:
            out.append(v)
    return out


def _covered(rulings: list[Ruling], lo: float, hi: float) -> bool:
    """Whether the rulings (all along one edge) run along most of lo..hi."""
    covered, reach = 0.0, lo
    for r in rulings:           # sorted by r.lo
        a, b = max(r.lo, reach), min(r.hi, hi)
        if b > a:
            covered += b - a
            reach = b
    return covered >= EDGE_COVERED * (hi - lo)


def table_grid(table: Table, rulings: list[Ruling], page: int) -> Grid:
    """The table's Grid (no text yet): atomic cells joined where no rule parts them. The rulings
    that close an edge are all those inside the table's box (camelot's segments_in_bbox)."""
    x0, y0, x1, y1 = table.bbox
    rows, cols = table.row_edges, table.col_edges
    n_rows, n_cols = len(rows) - 1, len(cols) - 1
    along_col: list[list[Ruling]] = [[] for _ in cols]
    along_row: list[list[Ruling]] = [[] for _ in rows]
    for r in sorted(rulings, key=lambda r: r.lo):
        if r.horizontal:
            if r.lo > x0 - JOIN_TOL and r.hi < x1 + JOIN_TOL and y0 - JOIN_TOL <= r.pos <= y1 + JOIN_TOL:
                for i, y in enumerate(rows):
                    if abs(r.pos - y) <= JOIN_TOL:
                        along_row[i].append(r)
        elif r.lo > y0 - JOIN_TOL and r.hi < y1 + JOIN_TOL and x0 - JOIN_TOL <= r.pos <= x1 + JOIN_TOL:
            for i, x in enumerate(cols):
                if abs(r.pos - x) <= JOIN_TOL:
                    along_col[i].append(r)
    right_open = [[c + 1 < n_cols and not _covered(along_col[c + 1], rows[r], rows[r + 1])
                   for c in range(n_cols)] for r in range(n_rows)]
    bottom_open = [[r + 1 < n_rows and not _covered(along_row[r + 1], cols[c], cols[c + 1])
                    for c in range(n_cols)] for r in range(n_rows)]
    return merge_cells(page, cols, rows, right_open, bottom_open)


# --- text ----------------------------------------------------------------------------------------

def page_chars(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, to_display: Matrix,
               within: list[tuple[float, float, float, float]] | None = None) -> list[Char]:
    """The text layer's printable characters, each with its box as the font sets it (advance by
    ascent-descent, the way pdfminer boxes them), in displayed points; only those whose centre
    lies inside one of the boxes `within`, where given."""
    raw = textpage.raw
    rotation = page.get_rotation()
    get_box, get_angle = pdfium_c.FPDFText_GetLooseCharBox, pdfium_c.FPDFText_GetCharAngle
    a, b, c, d, e, f = to_display
    rect = pdfium_c.FS_RECTF()
    rect_ref = ctypes.byref(rect)
    n = pdfium_c.FPDFText_CountChars(raw)
    # The codes of all characters in one call: pdfium gives one UTF-16 unit per character (the
    # halves of a character beyond the BMP count as two); one by one where it did not.
    units = (ctypes.c_ushort * (n + 1))()
    if pdfium_c.FPDFText_GetText(raw, 0, n, units) == n + 1:
        codes = units[:n]
    else:
        codes = [pdfium_c.FPDFText_GetUnicode(raw, i) for i in range(n)]
    quarter = math.pi / 2
    chars: list[Char] = []
    for i, code in enumerate(codes):
        if code <= 32:
            continue
        if 0xD800 <= code <= 0xDFFF:
            if code >= 0xDC00:
                # The low half of a character beyond the BMP, which pdfium counts as two.
                if chars and len(chars[-1].text) == 1 and 0xD800 <= ord(chars[-1].text) <= 0xDBFF:
                    pair = chars[-1].text + chr(code)
                    chars[-1].text = pair.encode("utf-16", "surrogatepass").decode("utf-16")
                continue
            ch = chr(code)
        else:
            ch = chr(code)
            # Spaces (the layer's and those pdfium adds) are told from the gaps, as pdfminer does.
            if ch.isspace() or not ch.isprintable():
                continue
        if not get_box(raw, i, rect_ref):
            continue
        u0, v0, u1, v1 = rect.left, rect.top, rect.right, rect.bottom
        xa, ya = a * u0 + c * v0 + e, b * u0 + d * v0 + f
        xb, yb = a * u1 + c * v1 + e, b * u1 + d * v1 + f
        if xa > xb:
            xa, xb = xb, xa
        if ya > yb:
            ya, yb = yb, ya
        if xb <= xa and yb <= ya:
            continue
        if within is not None:
            cx, cy = (xa + xb) / 2.0, (ya + yb) / 2.0
            for x0, y0, x1, y1 in within:
                if x0 < cx < x1 and y0 < cy < y1:
                    break
            else:
                continue
        if pdfio.is_overlay(raw, i):
            continue
        angle = get_angle(raw, i)
        # pdfium measures the angle clockwise; turns are counted counter-clockwise here.
        turned = 0 if angle < 0 else (-round(angle / quarter) * 90 - rotation) % 360
        chars.append(Char(ch, (xa, ya, xb, yb), turned))
    return chars


def _reading_box(char: Char) -> tuple[float, float, float, float]:
    """The char's box turned so that its line runs left to right, lines following downwards."""
    x0, y0, x1, y1 = char.box
    if char.angle == 90:        # reads upwards, lines follow to the right
        return -y1, x0, -y0, x1
    if char.angle == 180:
        return -x1, -y1, -x0, -y0
    if char.angle == 270:       # reads downwards, lines follow to the left
        return y0, -x1, y1, -x0
    return char.box


def cell_text(chars: list[Char]) -> str:
    """A cell's characters as text: lines top to bottom joined by newlines, each line left to
    right with a space where a gap is wider than a word's spacing (as pdfminer spaces camelot's
    text). Characters set one under another (vertical writing, a label stacked one character a
    line) are one line, top to bottom, as pdfminer reads them; digits and Latin letters are not
    stacked so (two values one above the other stay two lines)."""
    out: list[str] = []
    for angle in sorted({c.angle for c in chars}):
        boxes = [(c.box if angle == 0 else _reading_box(c), c.text) for c in chars if c.angle == angle]
        boxes.sort(key=lambda bc: bc[0][1] + bc[0][3])
        lines: list[list] = []
        line_mid = line_h = 0.0
        for bc in boxes:
            box = bc[0]
            mid, h = (box[1] + box[3]) / 2.0, box[3] - box[1]
            if lines and abs(mid - line_mid) <= SAME_LINE * (h if h > line_h else line_h):
                lines[-1].append(bc)
                if h > line_h:
                    line_h = h
            else:
                lines.append([bc])
                line_mid, line_h = mid, h
        stack: list = []
        for line in lines:
            if len(line) == 1 and not line[0][1].isascii():
                if stack and _stacked(stack[-1][0], line[0][0]):
                    stack.append(line[0])
                    continue
                if stack:
                    out.append("".join(text for _, text in stack))
                stack = [line[0]]
                continue
            if stack:
                out.append("".join(text for _, text in stack))
                stack = []
            line.sort(key=lambda bc: bc[0][0])
            out.append(_spaced(line))
        if stack:
            out.append("".join(text for _, text in stack))
    return "\n".join(out)


def _stacked(above: tuple, below: tuple) -> bool:
    """Whether the box `below` continues a vertical line that ends with `above`: the two stand in
    one column, less than a character and a half apart."""
    overlap = min(above[2], below[2]) - max(above[0], below[0])
    size = max(above[2] - above[0], below[2] - below[0], above[3] - above[1], below[3] - below[1])
    return overlap > 0.5 * min(above[2] - above[0], below[2] - below[0]) and \
        below[1] - above[3] < STACK_GAP * size


def _spaced(line: list) -> str:
    """A line's characters left to right, a space where the gap between two is wider than a
    word's spacing (pdfminer's word margin)."""
    parts = [line[0][1]]
    prev = line[0][0]
    for box, text in line[1:]:
        if box[0] - prev[2] > WORD_GAP * max(box[2] - box[0], box[3] - box[1]):
            parts.append(" ")
        parts.append(text)
        prev = box
    return "".join(parts)


def fill_text(grid: Grid, chars: list[Char]) -> None:
    """Each cell's text: the characters whose centre lies inside it."""
    rows, cols = grid.row_edges, grid.col_edges
    top, bottom, left, right = rows[0], rows[-1], cols[0], cols[-1]
    owner = [[0] * grid.n_cols for _ in range(grid.n_rows)]
    for k, cell in enumerate(grid.cells):
        for r in range(cell.row, cell.row + cell.rowspan):
            for c in range(cell.col, cell.col + cell.colspan):
                owner[r][c] = k
    found: dict[int, list[Char]] = {}
    for char in chars:
        x0, y0, x1, y1 = char.box
        cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        if left < cx < right and top < cy < bottom:
            k = owner[bisect_right(rows, cy) - 1][bisect_right(cols, cx) - 1]
            found.setdefault(k, []).append(char)
    for k, cell in enumerate(grid.cells):
        cell.text = (wrapped_number(found[k], cell.bbox) or cell_text(found[k])) if k in found else ""


def wrapped_number(chars: list[Char], bbox: tuple[float, float, float, float]) -> str | None:
    """The number a cell too narrow for it wrapped over lines, as one; None for any other text.
    Digits typed full-width break like Chinese characters, and a narrow column's long number
    breaks anywhere: "１２" over "６" came out as two numbers, unreadable. A line wrapped where
    the next character would not have fitted beside it in the cell (within WRAP_PADDING a side);
    numbers set one under another on purpose leave room."""
    if not chars or any(c.angle or not normalize_numeric_text(c.text).isdigit() for c in chars):
        return None
    lines: list[list[Char]] = []
    for char in sorted(chars, key=lambda c: c.box[1] + c.box[3]):
        mid, height = (char.box[1] + char.box[3]) / 2.0, char.box[3] - char.box[1]
        last = lines[-1][-1].box if lines else None
        if last and abs(mid - (last[1] + last[3]) / 2.0) <= SAME_LINE * max(height, last[3] - last[1]):
            lines[-1].append(char)
        else:
            lines.append([char])
    if len(lines) < 2:
        return None
    room = bbox[2] - bbox[0] - 2 * WRAP_PADDING
    for line, following in zip(lines, lines[1:]):
        line.sort(key=lambda c: c.box[0])
        following.sort(key=lambda c: c.box[0])
        width = line[-1].box[2] - line[0].box[0]
        if width + following[0].box[2] - following[0].box[0] <= room:
            return None
    return "".join(c.text for line in lines for c in line)


def read_page_grids(pdf: pdfium.PdfDocument, index: int, by_spacing: bool = False) -> list[Grid]:
    """The ruled tables of page `index` (0-based) as Grids, each cell with the layer's text in it,
    top to bottom; with `by_spacing`, where none is ruled, those the text's spacing draws (a
    table drawn with no rule at all: its cells GridCell.placed_by_spacing)."""
    page = pdf[index]
    try:
        to_display = display_matrix(page)
        rulings = with_implied_sides(join_double_rules(join_collinear(page_rulings(page, to_display))))
        textpages = []      # opened only for a page with a table

        def chars_in(boxes: list) -> list[Char]:
            if not textpages:
                textpages.append(page.get_textpage())
            return page_chars(page, textpages[0], to_display, boxes)

        try:
            rulings += implied_columns_of(rulings, chars_in)
            rulings = with_open_rows(rulings)
            tables = find_tables(rulings)
            by_spacing = by_spacing and not tables
            if by_spacing:
                # No table drawn with rules: one drawn with none is sought in the text's spacing.
                w, h = page.get_size()
                if spaced := spaced_rulings(chars_in([(0.0, 0.0, w + h, w + h)])):
                    rulings = spaced
                    tables = find_tables(rulings)
            if not tables:
                return []
            chars = chars_in([t.bbox for t in tables])
        finally:
            for textpage in textpages:
                textpage.close()
        grids = []
        for table in tables:
            grid = table_grid(table, rulings, index + 1)
            fill_text(grid, chars)
            cells = grid.n_rows * grid.n_cols
            if cells - sum(1 for c in grid.cells if c.text) >= EMPTY_SHARE * cells:
                continue
            for cell in grid.cells:
                cell.placed_by_spacing = by_spacing
            grids.append(grid)
        log.debug("page %d: %d rulings, %d ruled grids, %d with text: %s", index + 1, len(rulings),
                  len(tables), len(grids), [(g.n_rows, g.n_cols) for g in grids])
        return grids
    finally:
        page.close()
