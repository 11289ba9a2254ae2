"""Table grids from a prepared page image (the scan path).

The rulings are the runs that survive a morphological opening by a bar 1/40 of the page long
(`find_rulings`: line_scale ~40 so the short sub-column rules of the 15-column review table
survive); a table region is an outline of rulings holding more than four crossings
(`table_regions`) — camelot's lattice method on images, done here with OpenCV alone: importing
camelot costs a scan ~0.8 s of CPU (pandas) for three small functions. We then cluster rule
positions into column and row edges, judge every atomic cell edge open or closed by
how much of it carries ruling ink (robust where camelot's own edge flags are not, on noisy scans),
and resolve merged cells with pipeline.grid.merge_cells — the representation the vector path
produces too.

Bboxes are in PDF points of the PREPARED page (upright, deskewed: pixel * points_per_pixel); map
a bbox to the input page as displayed with PreparedPage.to_original_points.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Optional

import cv2
import numpy as np

from .config import DEFAULT
from .grid import implied_columns, implied_sides, joined_cells, merge_cells, unruled_tables
from .preprocess import PreparedPage, rule_masks, rule_thickness, runs_of
from .types import Grid

log = logging.getLogger(__name__)

# A short row's column rules run between row rules at least this long (inches): a table's row,
# not a stroke of a heading's character (_with_short_rules).
SHORT_ROW_RULE_IN = 1.0
# The longest page the rulings' bar grows with (find_rulings), against its other side: paper
# (A4 1.41, Letter 1.29, two A4 pages side by side 1.41) is within it.
RULE_BAR_ASPECT = 1.5
# A table's outline encloses at least this share of the page (a glyph is far less).
MIN_TABLE_AREA_SHARE = 0.0005
# An atomic cell edge is a ruling when at least this share of its length carries ruling ink.
# Broken or faded rules keep well above it after gap bridging; an open edge has ~0 ink.
EDGE_COVERAGE_CLOSED = 0.2
# Ink closer than this many ruling bands on each side of a worn boundary, together, is one
# line of text flowing over it (a character gap), not two cells' padded contents.
TEXT_FLOW_GAP_BANDS = 6
# Gaps along a rule bridged before the edges are judged, in inches (about 3.5 mm).
RULE_GAP_IN = 0.14
# How far short of a crossing rule a worn rule end may stop and still meet it (inches, ~6 mm):
# worn toner takes table corners first, where a gap and a fade can run together.
WORN_END_IN = 0.25
# ... and such a rule is inked over at least this share of the span between the rules it meets.
WORN_RULE_INKED = 0.6
# A worn edge whose rule is not whole beside it is reopened only where leftovers of the rule
# (any ink within its band) still run along at least this share of it.
WORN_EDGE_LEFTOVERS = 0.5
# A cell that came out non-rectangular is cut along its most inked open edge, if that edge has
# ink along at least this share of it.
CUT_EDGE_MIN_INK = 0.25
# Two rules closer than a cell are one double rule where they run alongside each other over at
# least this share of the shorter one's extent.
DOUBLE_RULE_ALONGSIDE = 0.5
# A side an open-sided table implies is drawn already where rules run along this share of it.
IMPLIED_SIDE_DRAWN = 0.5
# A table's one column rule that runs past its last row rule gives it an open row only when it is
# inked over at least this share of the overrun (a stroke joined onto it across a gap is not).
DRAWN_ALL_THE_WAY = 0.9
# A grid with at least this share of its area inside a larger grid is a part of that table.
NESTED_SHARE = 0.8
# Speckle: where more than this share of the paper within SPECKLE_WINDOW_IN of a pixel is ink, it
# is no rule and no text but a shaded area that a 1-bit scanner's threshold turned to dense dots
# (their chance runs of ink look like rules of both directions: one shaded header row gave a
# table of 61 columns). Such areas, drawn in by SPECKLE_KEEP_IN so that the rules around them
# stay, are left out of the search for rules.
SPECKLE_INK_SHARE = 0.5
# A rule whose ink is darker than FAINT_INK of the page's print (its darkest 1%) along less than
# DARK_SHARE of its length (where rules cross it aside) is no rule of this page: the back page's
# tables showing through thin paper are 0.08-0.2 as dark as print, their lines dark so along
# 0-3% of them. A rule worn pale along part of it is dark along most of the rest (the worn
# rules of scan200-rules and scan200-mixed: 50% and up).
FAINT_INK = 0.25
DARK_SHARE = 0.25
# Fewer pale pixels than this in a rule mask hold no pale rule (rule_masks keeps pieces of at
# least 0.15 inch: 30 pixels at 150 dpi, three quarters of them pale).
PALE_RULE_PIXELS = 22
# A pale piece of rule this close (inches) to a dark rule on its line is a worn part of that rule,
# where that rule is at least WORN_ANCHOR_IN long (a heading's upright stroke is a dark "rule" of
# 0.2 inch, and a ghost line on its line is no part of it).
WORN_REACH_IN = 0.2
WORN_ANCHOR_IN = 0.5
# A band of the page at least this long (inches) across which every rule is pale holds no table:
# the back page's frame, where it lies on the line of this page's frames, carries them across the
# gap between two stacked tables (and joins them) in ink as pale as the rest of the back page.
PALE_BAND_IN = 0.2
# A rule is dark only in runs at least this long (inches): a pale line crossing print is dark
# where each stroke crosses it, a few pixels at a time (a ghost line through a bold heading was
# dark so along 28% of it).
DARK_RUN_IN = 0.05
SPECKLE_WINDOW_IN = 0.1
SPECKLE_KEEP_IN = 0.04


@dataclass
class Segment:
    pos: float        # y of a horizontal rule, x of a vertical one (px)
    start: float      # extent along the rule (px)
    end: float


@dataclass
class RuleCluster:
    """One rule position: the segments (from one or several detections) lying on it."""
    segments: list[Segment] = field(default_factory=list)

    @property
    def pos(self) -> float:
        # The segments' positions weighted by their lengths, in plain Python: the grid finder asks
        # for it in loops over pairs of rules, where numpy's cost per call was a tenth of a page's.
        weights = [s.end - s.start + 1.0 for s in self.segments]
        return sum(s.pos * w for s, w in zip(self.segments, weights)) / sum(weights)

    def covers(self, along: float, tol: float) -> bool:
        return any(s.start - tol <= along <= s.end + tol for s in self.segments)

    @property
    def start(self) -> float:
        return min(s.start for s in self.segments)

    @property
    def end(self) -> float:
        return max(s.end for s in self.segments)


@dataclass
class Tolerances:
    """Pixel tolerances, from the dpi and the measured rule thickness."""
    cluster: float       # rule detections closer than this are one rule
    band: int            # half-width of the strip searched for ruling ink around an edge
    min_cell: float      # an extra row/column narrower than this is not one (cut-off tables)
    worn_end: float      # a rule stopping this short of a crossing rule still meets it


def tolerances(dpi: float, thickness: float) -> Tolerances:
    return Tolerances(cluster=max(2.0 * thickness, 0.03 * dpi),
                      band=int(np.ceil(max(thickness, 0.015 * dpi))),
                      min_cell=0.1 * dpi,
                      worn_end=WORN_END_IN * dpi)


def detect_grids(prepared: PreparedPage, page_number: int,
                 points_per_pixel: Optional[float] = None,
                 line_scale: int = DEFAULT.line_scale) -> list[Grid]:
    """Every ruled table on the prepared page, top to bottom, as a Grid in prepared-page points."""
    ppp = points_per_pixel if points_per_pixel is not None else prepared.points_per_pixel
    dpi = prepared.dpi
    # Worn toner cuts gaps of a few millimetres into rules; no cell is that small, so bridging
    # them joins pieces of one rule, never two rules.
    h_rep, v_rep = rule_masks(without_speckle(prepared.binary, dpi), dpi, gap_in=RULE_GAP_IN)
    dark = dark_ink(prepared)
    h_rep, v_rep = dark_rules(h_rep, v_rep, dark, True, dpi), dark_rules(v_rep, h_rep, dark, False, dpi)
    text_ink = text_ink_mask(prepared.binary, h_rep, v_rep, dpi)
    h_mask, h_segs = find_rulings(h_rep, horizontal=True, line_scale=line_scale)
    v_mask, v_segs = find_rulings(v_rep, horizontal=False, line_scale=line_scale)
    thickness = max(rule_thickness(h_mask, True), rule_thickness(v_mask, False))
    tol = tolerances(dpi, thickness)
    v_mask, v_segs = _with_short_rules(v_mask, v_segs, v_rep, h_segs, dpi, tol, thickness)
    v_mask, v_segs = _with_implied_sides(v_mask, v_segs, h_segs, False, dpi, tol, thickness)
    h_mask, h_segs = _with_implied_sides(h_mask, h_segs, v_segs, True, dpi, tol, thickness)
    v_mask, v_rep, v_segs = _with_implied_columns(v_mask, v_rep, v_segs, h_segs, text_ink, dpi, tol, thickness)
    grids = []
    for region in table_regions(h_mask, v_mask):
        grid = _grid_in_region(region, h_segs, v_segs, prepared.binary, h_rep, v_rep,
                               text_ink, tol, page_number, ppp)
        if grid is not None:
            grids.append(grid)
    grids = _without_nested(grids)
    # In reading order: a grid beside others (two pages to a sheet) after those wholly left of it.
    grids = sorted(grids, key=lambda g: (sum(o.bbox[2] <= g.bbox[0] for o in grids), g.bbox[1], g.bbox[0]))
    log.debug("page %d: %d grid(s) %s", page_number, len(grids),
             [(g.n_rows, g.n_cols) for g in grids])
    return grids


def dark_rules(mask: np.ndarray, across: np.ndarray, dark: np.ndarray, horizontal: bool,
               dpi: float) -> np.ndarray:
    """The rules of a rule mask whose ink is `dark` (dark_ink, 255) along DARK_SHARE of them (in
    runs of DARK_RUN_IN), each whole: a stretch worn pale stays with the rest of its rule. Where rules of the other
    direction (`across`) cross it does not count: a pale line crossing dark rules is dark there.
    A pale piece that continues a dark rule on its line (within WORN_REACH_IN) is a worn part of
    it, cut off by a gap, and stays. Then no rule is kept across a band where all are pale
    (_without_pale_bands)."""
    if cv2.countNonZero(cv2.bitwise_and(mask, cv2.bitwise_not(dark))) < PALE_RULE_PIXELS:
        return mask             # no rule of it could be pale along three quarters of it
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return mask
    xs, ys = cv2.findNonZero(mask)[:, 0].T         # the mask's pixels only: a few % of the page
    rule = labels[ys, xs]
    own = across[ys, xs] == 0
    along = xs if horizontal else ys
    lit = own & (dark[ys, xs] > 0)
    length = _run_lengths(rule[own], along[own], count, 1)
    inked = _run_lengths(rule[lit], along[lit], count, max(2, int(round(DARK_RUN_IN * dpi))))
    pale = inked < DARK_SHARE * np.maximum(length, 1)
    pale[0] = False
    whole = ~pale[rule]                 # pixels of rules dark as a whole
    out = mask.copy()
    if pale.any():
        gone = pale[rule]
        out[ys[gone], xs[gone]] = 0
        extent = stats[:, cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT]
        short = extent[rule] < WORN_ANCHOR_IN * dpi
        anchors = out.copy()
        anchors[ys[short], xs[short]] = 0
        reach, side = int(round(WORN_REACH_IN * dpi)), 2
        for k in np.flatnonzero(pale):
            x, y, w, h = stats[k, :4]
            near = anchors[max(0, y - side):y + h + side, max(0, x - reach):x + w + reach] if horizontal else \
                anchors[max(0, y - reach):y + h + reach, max(0, x - side):x + w + side]
            pale[k] = not near.any()
        back = gone & ~pale[rule]
        out[ys[back], xs[back]] = mask[ys[back], xs[back]]
    return _without_pale_bands(out, ys, xs, own & (out[ys, xs] > 0), whole, dark, horizontal, dpi)


def _run_lengths(rule: np.ndarray, along: np.ndarray, count: int, shortest: int) -> np.ndarray:
    """Per rule (label 0..count-1), how far along it (pixels) its given pixels reach, in runs of
    at least `shortest` consecutive positions."""
    # One key per (rule, position), a gap of at least 2 between rules: runs never join across.
    stride = int(along.max(initial=0)) + 2
    keys = np.unique(rule.astype(np.int64) * stride + along)
    if keys.size == 0:
        return np.zeros(count, np.int64)
    starts = np.flatnonzero(np.diff(keys, prepend=keys[0] - 2) != 1)
    lengths = np.diff(np.append(starts, keys.size))
    long_enough = lengths >= shortest
    owners = keys[starts[long_enough]] // stride
    return np.bincount(owners, weights=lengths[long_enough], minlength=count).astype(np.int64)


def _without_pale_bands(out: np.ndarray, ys: np.ndarray, xs: np.ndarray, kept: np.ndarray,
                        whole: np.ndarray, dark: np.ndarray, horizontal: bool, dpi: float) -> np.ndarray:
    """`out` without the stretches of its dark rules that run through a band (columns for
    horizontal rules, rows for vertical ones) at least PALE_BAND_IN long where rules run and
    none of them is dark: a table's row is bounded by dark rules on some side, even where one
    side is worn (worn stretches fall where they will, not on every rule of a row at once).
    Pieces kept as worn parts of a rule (dark_rules) stay. `kept`: which of the mask's pixels
    (ys, xs) are still rules, off the crossings; `whole`: which are of rules dark as a whole."""
    along = xs if horizontal else ys
    size = out.shape[1] if horizontal else out.shape[0]
    ruled = np.bincount(along[kept], minlength=size) > 0
    inked = np.bincount(along[kept & (dark[ys, xs] > 0)], minlength=size) > 0
    band = np.zeros(size + 1, bool)
    for a, b in runs_of(ruled & ~inked):
        if b - a >= PALE_BAND_IN * dpi:
            band[a:b] = True
    cut = whole & band[along]
    out[ys[cut], xs[cut]] = 0
    return out


def dark_ink(prepared: PreparedPage) -> np.ndarray:
    """Where the page is as dark as print (FAINT_INK of its darkest 1%) with a neighbour at
    least (the edge of a dark stroke is): 255 there, 0 elsewhere."""
    print_darkness = 255.0 - float(np.percentile(prepared.gray[::4, ::4], 1))
    dark = cv2.erode(prepared.gray, np.ones((3, 3), np.uint8)) <= 255.0 - FAINT_INK * print_darkness
    return dark.astype(np.uint8) * 255


def without_speckle(binary: np.ndarray, dpi: float) -> np.ndarray:
    """`binary` with its areas of dense speckle (SPECKLE_INK_SHARE) cleared, less a margin."""
    window = max(3, int(round(SPECKLE_WINDOW_IN * dpi)))
    share = cv2.boxFilter((binary > 0).astype(np.float32), -1, (window, window))
    keep = max(1, int(round(SPECKLE_KEEP_IN * dpi)))
    dense = cv2.erode((share > SPECKLE_INK_SHARE).astype(np.uint8),
                      np.ones((2 * keep + 1, 2 * keep + 1), np.uint8))
    return np.where(dense > 0, np.uint8(0), binary) if dense.any() else binary


def find_rulings(mask: np.ndarray, horizontal: bool, line_scale: int) -> tuple[np.ndarray, list[Segment]]:
    """The rulings of one direction in a mask of rule ink: what an opening by a bar 1/line_scale
    of the page's extent leaves, and each piece of it as a Segment through its middle. The extent
    counts up to RULE_BAR_ASPECT times the page's other one: the bar of a long page (a web picture
    of a whole report, pages stitched into one) would grow past its rows' rules."""
    along, across = (mask.shape[1], mask.shape[0]) if horizontal else (mask.shape[0], mask.shape[1])
    length = max(1, int(min(along, RULE_BAR_ASPECT * across)) // line_scale)
    bar = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1) if horizontal else (1, length))
    rulings = cv2.dilate(cv2.erode(mask, bar), bar)
    contours, _ = cv2.findContours(rulings.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    segments = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        segments.append(Segment(y + h // 2, x, x + w) if horizontal else Segment(x + w // 2, y, y + h))
    return rulings, segments


def _with_short_rules(mask: np.ndarray, segments: list[Segment], rep: np.ndarray, across: list[Segment],
                      dpi: float, tol: Tolerances, thickness: float) -> tuple[np.ndarray, list[Segment]]:
    """The column rules with those of short rows: pieces of rule ink (`rep`) shorter than the
    rulings' bar (find_rulings) that run from one row rule (`across`, at least SHORT_ROW_RULE_IN
    long) to the next. The bar, a fortieth of the page, is taller than a row of 9 pt print with
    little padding (a browser's table) or than a table's last row carried over to a page alone,
    whose column rules then went. A character's stroke stays inside its cell's padding, and a
    big heading's strokes meet only its own."""
    left = cv2.subtract(rep, mask)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(left, connectivity=8)
    c = tol.cluster
    rows = [s for s in across if s.end - s.start >= SHORT_ROW_RULE_IN * dpi]

    def meets(pos: int, at: int) -> bool:
        return any(abs(s.pos - at) <= c and s.start - c <= pos <= s.end + c for s in rows)

    short, added = [], []
    for k in range(1, count):
        x, y, w, h, _ = (int(v) for v in stats[k])
        pos = x + w // 2
        if w <= 2 * thickness + 2 and meets(pos, y) and meets(pos, y + h):     # a thin line between rows
            short.append(k)
            added.append(Segment(pos, y, y + h))
    if not short:
        return mask, segments
    return cv2.bitwise_or(mask, np.where(np.isin(labels, short), np.uint8(255), np.uint8(0))), segments + added


def _with_implied_sides(mask: np.ndarray, segments: list[Segment], across: list[Segment], horizontal: bool,
                        dpi: float, tol: Tolerances, thickness: float) -> tuple[np.ndarray, list[Segment]]:
    """The rulings of one direction with the sides an open-sided table implies (rules `across`
    them ending on one line) where none is drawn, drawn into the mask too: the outline it makes
    is the table's region."""
    implied = []
    for pos, lo, hi in implied_sides([(s.pos, s.start, s.end - 1) for s in across],
                                     [(s.pos, s.start, s.end) for s in segments], dpi, tol.cluster):
        along = [s for s in segments if abs(s.pos - pos) <= tol.cluster]
        drawn = sum(max(0.0, min(s.end, hi) - max(s.start, lo)) for s in along)
        if drawn < IMPLIED_SIDE_DRAWN * (hi - lo):
            implied.append(Segment(int(round(pos)), int(lo), int(hi) + 1))
    if not implied:
        return mask, segments
    mask = mask.copy()
    width = max(1, int(round(thickness)))
    for s in implied:
        ends = ((s.start, s.pos), (s.end - 1, s.pos)) if horizontal else ((s.pos, s.start), (s.pos, s.end - 1))
        cv2.line(mask, ends[0], ends[1], 255, width)
    return mask, segments + implied


# Ink smaller than this (inches) both ways is a speck, not a stroke of text.
SPECK_IN = 0.015


def _with_implied_columns(mask: np.ndarray, rep: np.ndarray, segments: list[Segment], rows: list[Segment],
                          text_ink: np.ndarray, dpi: float, tol: Tolerances, thickness: float
                          ) -> tuple[np.ndarray, np.ndarray, list[Segment]]:
    """The column rulings with those a table drawn with row rules only implies
    (pipeline.grid.implied_columns, from the pieces of its text's ink), drawn into the rulings'
    mask and the rule pixels both: cells are told apart by the rules' pixels."""
    spans = [(s.pos, s.start, s.end - 1) for s in rows]
    boxes = unruled_tables(spans, [(s.pos, s.start, s.end - 1) for s in segments], dpi, tol.cluster)
    if not boxes:
        return mask, rep, segments
    count, _, stats, _ = cv2.connectedComponentsWithStats(text_ink, connectivity=8)
    speck = SPECK_IN * dpi
    ink = [(float(x), float(y), float(x + w), float(y + h)) for x, y, w, h, _ in stats[1:count]
           if max(w, h) >= speck]
    implied = [Segment(int(round(x)), int(y0), int(y1) + 1) for box in boxes
               for x, y0, y1 in implied_columns(box, spans, ink, dpi, tol.cluster)]
    mask, rep = mask.copy(), rep.copy()
    width = max(1, int(round(thickness)))
    for s in implied:
        cv2.line(mask, (s.pos, s.start), (s.pos, s.end - 1), 255, width)
        cv2.line(rep, (s.pos, s.start), (s.pos, s.end - 1), 255, width)
    return mask, rep, segments + implied


def table_regions(h_mask: np.ndarray, v_mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) of every outline the rulings draw that is larger than a glyph (0.05% of
    the page) and holds more than four crossings of a horizontal and a vertical ruling."""
    ink = cv2.bitwise_or(h_mask, v_mask)
    crossings = cv2.bitwise_and(h_mask, v_mask)
    contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    min_area = MIN_TABLE_AREA_SHARE * ink.shape[0] * ink.shape[1]
    regions = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True):
        if cv2.contourArea(contour) < min_area:
            continue
        x, y, w, h = cv2.boundingRect(cv2.approxPolyDP(contour, 3, True))
        joints, _ = cv2.findContours(np.ascontiguousarray(crossings[y:y + h, x:x + w]),
                                     cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        if len(joints) > 4 and (x, y, x + w, y + h) not in regions:
            regions.append((x, y, x + w, y + h))
    return regions


def _without_nested(grids: list[Grid]) -> list[Grid]:
    """Worn rules can split one table's outline into several contours, and each yields a grid of
    the part of the table it spans. A grid lying mostly inside a larger one is such a part; of
    grids of one size lying on each other (a frame drawn round the table, its own contour whose
    rules reach the table's) the first stands for them."""
    def area(b) -> float:
        return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])

    def inside(a: Grid, b: Grid) -> float:
        x0, y0 = max(a.bbox[0], b.bbox[0]), max(a.bbox[1], b.bbox[1])
        x1, y1 = min(a.bbox[2], b.bbox[2]), min(a.bbox[3], b.bbox[3])
        return area((x0, y0, x1, y1)) / max(area(a.bbox), 1e-6)

    return [g for k, g in enumerate(grids)
            if not any(o is not g and inside(g, o) >= NESTED_SHARE
                       and (area(o.bbox) > area(g.bbox) or area(o.bbox) == area(g.bbox) and j < k)
                       for j, o in enumerate(grids))]


def _grid_in_region(region, h_segs, v_segs, binary, h_rep, v_rep, text_ink, tol: Tolerances,
                    page_number: int, ppp: float) -> Optional[Grid]:
    x0, y0, x1, y1 = region
    m = tol.cluster
    hs = [s for s in h_segs if y0 - m <= s.pos <= y1 + m and s.end >= x0 - m and s.start <= x1 + m]
    vs = [s for s in v_segs if x0 - m <= s.pos <= x1 + m and s.end >= y0 - m and s.start <= y1 + m]
    rows = cluster_segments(hs, tol.cluster)
    cols = cluster_segments(vs, tol.cluster)
    rows, cols = keep_crossing_rules(rows, cols, tol)
    if len(rows) < 1 or len(cols) < 2:
        return None
    rows, cols = _without_double_rules(rows, tol), _without_double_rules(cols, tol)
    row_edges = [c.pos for c in rows]
    col_edges = [c.pos for c in cols]
    # A table cut by the page edge (continued on the next page) has rules running past the last
    # rule across them: the open side becomes one more row (column) up to where they end.
    row_edges = _extend_open_sides(row_edges, *_reach(cols, row_edges, col_edges, h_segs, binary, text_ink,
                                                      tol, False), tol)
    col_edges = _extend_open_sides(col_edges, *_reach(rows, col_edges, row_edges, v_segs, binary, text_ink,
                                                      tol, True), tol)
    if len(row_edges) < 2 or len(col_edges) < 2 or (len(row_edges) - 1) * (len(col_edges) - 1) < 2:
        return None
    right_open, bottom_open = edge_openness(row_edges, col_edges, h_rep, v_rep, tol.band)
    close_broken_column_rules(right_open, bottom_open, row_edges, col_edges, binary, text_ink,
                              tol.band)
    close_broken_row_rules(bottom_open, right_open, row_edges, col_edges, binary, text_ink,
                           tol.band)
    make_cells_rectangular(right_open, bottom_open, row_edges, col_edges, binary, text_ink, tol.band)
    return merge_cells(page_number, [x * ppp for x in col_edges], [y * ppp for y in row_edges],
                       right_open, bottom_open)


def _without_double_rules(rules: list[RuleCluster], tol: Tolerances) -> list[RuleCluster]:
    """The rules with each run of rules closer than a cell can be (tol.min_cell: no line of a
    table's text fits between them) made one, the longest of them: a double rule (Word's double
    border, a frame drawn round the table a few points outside its own, each cell framed inside
    its rules as a web page's table is) bounds no cell. Left as a sliver of a column, it took a
    place in the row: each value read one column over. Ink across such a sliver is a cell's
    text cut by a stray stroke taken for a rule (a pen's), which the longer rule outlasts.
    The two run alongside each other: pieces of one rule a few pixels apart, each along its own
    rows (what a photograph's rectification leaves of a bent rule), are two edges still."""
    def alongside(a: RuleCluster, b: RuleCluster) -> bool:
        shared = min(a.end, b.end) - max(a.start, b.start)
        return shared >= DOUBLE_RULE_ALONGSIDE * min(a.end - a.start, b.end - b.start)

    runs: list[list[RuleCluster]] = []
    for rule in rules:
        if runs and rule.pos - runs[-1][-1].pos < tol.min_cell and alongside(rule, runs[-1][-1]):
            runs[-1].append(rule)
        else:
            runs.append([rule])
    return [max(run, key=lambda r: sum(s.end - s.start for s in r.segments)) for run in runs]


def cluster_segments(segments: list[Segment], tol: float) -> list[RuleCluster]:
    """Group segments lying on one rule (positions within tol: thick rules seen twice, a rule
    broken into pieces) into clusters, ordered by position."""
    clusters: list[RuleCluster] = []
    for seg in sorted(segments, key=lambda s: s.pos):
        if clusters and seg.pos - clusters[-1].pos <= tol:
            clusters[-1].segments.append(seg)
        else:
            clusters.append(RuleCluster([seg]))
    return clusters


def keep_crossing_rules(rows: list[RuleCluster], cols: list[RuleCluster],
                        tol: Tolerances) -> tuple[list[RuleCluster], list[RuleCluster]]:
    """Drop rule candidates that cross or touch fewer than two perpendicular rules: a table rule
    always runs between two others, a stray stroke or underline does not. A table without a
    frame leaves its outer rows and columns open: there the rules of a row (a column) end on one
    line that no rule draws, and that shared open end counts as the rule met there."""
    for _ in range(3):
        kept_rows = [r for r in rows if _crossings(r, cols, tol) + _open_ends(r, rows, cols, tol) >= 2]
        kept_cols = [c for c in cols if _crossings(c, kept_rows, tol) + _open_ends(c, cols, kept_rows, tol) >= 2]
        if len(kept_rows) == len(rows) and len(kept_cols) == len(cols):
            break
        rows, cols = kept_rows, kept_cols
    return rows, cols


def _open_ends(rule: RuleCluster, alongside: list[RuleCluster], others: list[RuleCluster],
               tol: Tolerances) -> int:
    """How many of the rule's ends meet no perpendicular rule (`others`) and are shared by at
    least two more rules (`alongside`, its own direction): a frameless table's open side. Only
    for a rule that runs through or up to a perpendicular one: the strokes of a heading's
    characters over a table end together too, on the line of the characters' tops, and stop
    short of the table's first rule."""
    c = tol.cluster
    if not any(rule.covers(o.pos, c) and o.covers(rule.pos, c) for o in others):
        return 0

    def open_and_shared(at: float, side: str) -> bool:
        if any(o.covers(rule.pos, c) and abs(o.pos - at) <= c for o in others):
            return False
        return sum(r is not rule and abs(getattr(r, side) - at) <= c for r in alongside) >= 2

    return open_and_shared(rule.start, "start") + open_and_shared(rule.end, "end")


def _crossings(rule: RuleCluster, others: list[RuleCluster], tol: Tolerances) -> int:
    """How many of `others` this rule meets. Both run through the crossing point; or, at a worn
    table corner, one does and the other stops short of it by no more than a worn end — counted
    only for a rule that meets one other cleanly and is inked over most of its span (a character
    stroke inside a cell is short against the cell it stands in)."""
    c, w = tol.cluster, tol.worn_end
    strict = [o for o in others if rule.covers(o.pos, c) and o.covers(rule.pos, c)]
    met_cleanly = {id(o) for o in strict}
    worn = [o for o in others if id(o) not in met_cleanly
            and ((rule.covers(o.pos, c) and o.covers(rule.pos, w))
                 or (rule.covers(o.pos, w) and o.covers(rule.pos, c)))]
    if not strict or not worn:
        return len(strict)
    met = [o.pos for o in strict + worn]
    lo, hi = min(met), max(met)
    inked = sum(max(0.0, min(s.end, hi) - max(s.start, lo)) for s in rule.segments)
    return len(met) if inked >= WORN_RULE_INKED * (hi - lo) else len(strict)


def _common_start(rules: list[RuleCluster]) -> float:
    """Where most of the rules have begun: a table cut by the page runs all its rules past its
    last crossing rule, a stroke of a heading joined onto one rule only that one."""
    starts = sorted(r.start for r in rules)
    return starts[len(starts) // 2]


def _common_end(rules: list[RuleCluster]) -> float:
    ends = sorted((r.end for r in rules), reverse=True)
    return ends[len(ends) // 2]


def _reach(rules: list[RuleCluster], edges: list[float], across: list[float], page_rules: list[Segment],
           binary: np.ndarray, text_ink: np.ndarray, tol: Tolerances, horizontal: bool) -> tuple[float, float]:
    """Where the table's rows (`horizontal` rules) or columns begin and end: where most of the
    rules along them do, or, where a rule runs further by a row or column's width and text of
    the table stands beside it (between its rules `across`), as far as that rule.

    A table drawn without a frame has no rule round it: its first column is bounded by the rules
    of the rows that reach it (四、结转下年度继续办理 alone, where the rows of 三's blocks begin
    at their own labels), its last row by the column rules that run down to it. A side that some
    rule of the page (`page_rules`, across the rules along) closes within the overrun is no open
    side: the rules run on into rows of their own (blocks drawn as tables of their own inside
    one frame, each found also as a table of its own)."""
    start, end = _common_start(rules), _common_end(rules)
    first, last = min(r.start for r in rules), max(r.end for r in rules)
    lo, hi = across[0], across[-1]
    character = (0.5 * tol.min_cell) ** 2       # ink pixels of one character, about

    def text(a: float, b: float) -> bool:
        box = (a, lo, b, hi) if horizontal else (lo, a, hi, b)
        return _ink(text_ink, *box) >= character

    def open_between(a: float, b: float) -> bool:
        m = tol.cluster
        return not any(a + m < s.pos < b - m and min(s.end, hi) - max(s.start, lo) >= 0.5 * (hi - lo)
                       for s in page_rules)

    # A missing row or column is about as wide as the narrowest there is (half of it at least).
    # Down the table, the column rules of an unframed table run to its end: more than one of
    # them, or, in a block of two columns, its one rule, drawn all the way, with the row's text
    # on either side and none on it (a heading's stroke, joined onto a rule across the gap under
    # the heading, is neither).
    least = 0.5 * min(b - a for a, b in zip(edges, edges[1:])) if len(edges) > 1 else tol.min_cell

    def reaching(at: float, a: float, b: float) -> bool:
        if horizontal:
            return True
        ends = [r for r in rules if abs(r.start - at) <= tol.cluster or abs(r.end - at) <= tol.cluster]
        if len(ends) != 1:
            return len(ends) > 1
        x, pad, mark = ends[0].pos, 0.5 * tol.min_cell, 0.25 * character     # a dash, a digit 1
        return (edge_coverage(binary, x, a, b, tol.band, False) >= DRAWN_ALL_THE_WAY
                and _ink(text_ink, lo, a, x - pad, b) >= mark and _ink(text_ink, x + pad, a, hi, b) >= mark
                and _ink(text_ink, x - pad, a, x + pad, b) < mark)

    if first < min(start, edges[0]) - max(tol.min_cell, least) and reaching(first, first, edges[0]) \
            and text(first, min(start, edges[0])) and open_between(first, edges[0]):
        start = first
    if last > max(end, edges[-1]) + max(tol.min_cell, least) and reaching(last, edges[-1], last) \
            and text(max(end, edges[-1]), last) and open_between(edges[-1], last):
        end = last
    return start, end


def _extend_open_sides(edges: list[float], span_start: float, span_end: float,
                       tol: Tolerances) -> list[float]:
    edges = list(edges)
    if edges[0] - span_start > tol.min_cell:
        edges.insert(0, span_start)
    if span_end - edges[-1] > tol.min_cell:
        edges.append(span_end)
    return edges


def edge_coverage(mask: np.ndarray, pos: float, start: float, end: float, band: int,
                  horizontal: bool) -> float:
    """Share of the edge from start to end (along the rule) with ruling ink within ±band of pos.
    The ends (joints with the crossing rules) are left out: they are inked either way."""
    a, b = int(round(start + band)), int(round(end - band))
    if b <= a:
        a, b = int(round(start)), int(round(end))
    p0, p1 = max(0, int(round(pos)) - band), int(round(pos)) + band + 1
    strip = mask[p0:p1, a:b] if horizontal else mask[a:b, p0:p1].T
    if strip.size == 0:
        return 0.0
    return float((strip > 0).any(axis=0).mean())


def text_ink_mask(binary: np.ndarray, h_rep: np.ndarray, v_rep: np.ndarray, dpi: float) -> np.ndarray:
    """The page's ink less its rulings (and their blurred edges): text, seals' leftovers, marks."""
    reach = max(1, int(round(dpi / 100)))
    rules = cv2.dilate(cv2.bitwise_or(h_rep, v_rep), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
    return cv2.bitwise_and(binary, cv2.bitwise_not(rules))


def close_broken_column_rules(right_open: list[list[bool]], bottom_open: list[list[bool]],
                              row_edges: list[float], col_edges: list[float], binary: np.ndarray,
                              text_ink: np.ndarray, band: int) -> None:
    """A column rule worn away over a whole cell height still separates two cells.

    An open vertical edge is closed again when no text crosses it and text stands on both sides
    of it: a merged cell's text spans its inner boundaries or leaves a side empty; two cells of
    a row each hold their own. Only where the rule is whole just above and below, or a row rule
    under both cells ends the row there (a band spanning the table above, a faded rule down a
    whole block) and leftovers of the rule still show along the edge: the inside of a header
    spanning rows and columns together is left as it is.
    """
    n_rows, n_cols = len(row_edges) - 1, len(col_edges) - 1
    judged = [row[:] for row in right_open]

    def bounded(r: int, c: int, above: bool) -> Optional[str]:
        """How the vertical edge (r, c) is closed off above (below): "rule" when its rule runs on
        in the next row (or the table's border follows), "separated" when a row rule under
        (over) both cells divides it from that row, None when it is not."""
        rr = r - 1 if above else r + 1
        if not 0 <= rr < n_rows:
            return None if above else "rule"
        edge = r - 1 if above else r
        if not judged[rr][c]:
            return "rule"
        return "separated" if not bottom_open[edge][c] and not bottom_open[edge][c + 1] else None

    for c in range(n_cols - 1):
        x = col_edges[c + 1]
        for r in range(1, n_rows):
            if not judged[r][c]:
                continue
            up, down = bounded(r, c, True), bounded(r, c, False)
            if up is None or down is None:
                continue
            y0, y1 = row_edges[r], row_edges[r + 1]
            if "separated" in (up, down) and edge_coverage(
                    binary, x, y0, y1, band, horizontal=False) < WORN_EDGE_LEFTOVERS:
                continue
            left = _ink(text_ink, col_edges[c] + band, y0 + band, x - band, y1 - band)
            right = _ink(text_ink, x + band, y0 + band, col_edges[c + 2] - band, y1 - band)
            min_ink = max(4, band * band)
            if left >= min_ink and right >= min_ink and not _text_crosses(
                    text_ink, x, col_edges[c], col_edges[c + 2], y0 + band, y1 - band, band):
                right_open[r][c] = False


def close_broken_row_rules(bottom_open: list[list[bool]], right_open: list[list[bool]],
                           row_edges: list[float], col_edges: list[float], binary: np.ndarray,
                           text_ink: np.ndarray, band: int) -> None:
    """The same for a row rule worn through over a cell's width (the table transposed): text
    written vertically in a merged cell stands on both sides of its inner boundaries but runs
    over them with no more than a line's gap, and the table's first column is never reopened."""
    bottom_t = [list(col) for col in zip(*bottom_open)]
    right_t = [list(col) for col in zip(*right_open)]
    close_broken_column_rules(bottom_t, right_t, col_edges, row_edges, binary.T, text_ink.T, band)
    for r, row in enumerate(bottom_open):
        for c in range(len(row)):
            row[c] = bottom_t[c][r]


def make_cells_rectangular(right_open: list[list[bool]], bottom_open: list[list[bool]],
                           row_edges: list[float], col_edges: list[float], binary: np.ndarray,
                           text_ink: np.ndarray, band: int) -> None:
    """Table cells are rectangles. Atomic cells joined through open edges into any other shape
    mean some edge in between is a rule worn beyond recognition: close, one at a time, the open
    edge inside such a shape with the most ink along it (leftovers of the rule) that no text
    runs across, until every shape is a rectangle or no such edge is left."""
    n_rows, n_cols = len(row_edges) - 1, len(col_edges) - 1
    for _ in range(n_rows * n_cols):
        best, best_ink = None, CUT_EDGE_MIN_INK
        for members in joined_cells(right_open, bottom_open):
            rs = [r for r, _ in members]
            cs = [c for _, c in members]
            if len(members) == (max(rs) - min(rs) + 1) * (max(cs) - min(cs) + 1):
                continue
            inside = set(members)
            for r, c in members:
                if (r, c + 1) in inside and right_open[r][c]:
                    x, y0, y1 = col_edges[c + 1], row_edges[r], row_edges[r + 1]
                    ink = edge_coverage(binary, x, y0, y1, band, horizontal=False)
                    if ink > best_ink and not _text_crosses(
                            text_ink, x, col_edges[c], col_edges[c + 2], y0 + band, y1 - band, band):
                        best, best_ink = (right_open, r, c), ink
                if (r + 1, c) in inside and bottom_open[r][c]:
                    y, x0, x1 = row_edges[r + 1], col_edges[c], col_edges[c + 1]
                    ink = edge_coverage(binary, y, x0, x1, band, horizontal=True)
                    if ink > best_ink and not _text_crosses(
                            text_ink.T, y, row_edges[r], row_edges[r + 2], x0 + band, x1 - band, band):
                        best, best_ink = (bottom_open, r, c), ink
        if best is None:
            return
        edges, r, c = best
        edges[r][c] = False


def _text_crosses(mask: np.ndarray, x: float, x_left: float, x_right: float, y0: float,
                  y1: float, band: int) -> bool:
    """Whether a piece of ink reaches across the vertical line at x (a glyph or a label running
    over it). Leftovers of the worn rule itself are thin and stay within the band."""
    a, b = max(0, int(round(y0))), max(0, int(round(y1)))
    c, d = max(0, int(round(x_left)) + band), max(0, int(round(x_right)) - band)
    roi = mask[a:b, c:d]
    if roi.size == 0:
        return False
    count, _, stats, _ = cv2.connectedComponentsWithStats((roi > 0).astype(np.uint8), connectivity=8)
    xl = x - c
    for k in range(1, count):
        sx, _, sw, _, _ = stats[k]
        if sx < xl - 2 * band and sx + sw > xl + 2 * band:
            return True
    # A line of text runs over the boundary with its usual gap between two characters there;
    # two cells' contents keep their cells' padding away from it on both sides.
    cols = np.flatnonzero((roi > 0).any(axis=0))
    left, right = cols[cols < xl - band], cols[cols > xl + band]
    if left.size and right.size:
        gap = (right.min() - xl) + (xl - left.max())
        return gap < TEXT_FLOW_GAP_BANDS * band
    return False


def _ink(mask: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> int:
    a, b = max(0, int(round(y0))), max(0, int(round(y1)))
    c, d = max(0, int(round(x0))), max(0, int(round(x1)))
    if b <= a or d <= c:
        return 0
    return int(np.count_nonzero(mask[a:b, c:d]))


def edge_openness(row_edges: list[float], col_edges: list[float], h_rep: np.ndarray,
                  v_rep: np.ndarray, band: int) -> tuple[list[list[bool]], list[list[bool]]]:
    n_rows, n_cols = len(row_edges) - 1, len(col_edges) - 1
    right_open = [[False] * n_cols for _ in range(n_rows)]
    bottom_open = [[False] * n_cols for _ in range(n_rows)]
    for r in range(n_rows):
        for c in range(n_cols):
            if c + 1 < n_cols:
                cov = edge_coverage(v_rep, col_edges[c + 1], row_edges[r], row_edges[r + 1], band, False)
                right_open[r][c] = cov < EDGE_COVERAGE_CLOSED
            if r + 1 < n_rows:
                cov = edge_coverage(h_rep, row_edges[r + 1], col_edges[c], col_edges[c + 1], band, True)
                bottom_open[r][c] = cov < EDGE_COVERAGE_CLOSED
    return right_open, bottom_open
