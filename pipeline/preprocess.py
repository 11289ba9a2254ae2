"""Page preparation for the scan path: upright, deskewed, seal-free, evenly lit page images.

Everything here works on a page image rendered (or scanned) at a known dpi; every size is derived
from the dpi or measured on the page (rule thickness, character size), never a pixel constant, so
that scans from other scanners and resolutions behave alike.

Conventions (shared with pipeline.grid_image and the output contract):
- `rotation` is how many degrees CLOCKWISE we turned the input image to make the page upright
  (0, 90, 180, 270). A page lying on its side with its top at the left gives 90.
- `skew` is the residual angle of the content in degrees, positive when the content is turned
  counter-clockwise as displayed; we rotate it by -skew to straighten it. It is measured in the
  upright frame (a 90° turn does not change the sign of a small rotation).
- `to_original` is the 3x3 matrix mapping pixel coordinates of the prepared (upright,
  deskewed) image to pixel coordinates of the input image: affine, or a homography where the page
  was rectified (`keystone`); `PreparedPage.original_of` applies it. Multiply by 72/dpi to get PDF
  points of the page as displayed when the input image is the page rendered as displayed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, NamedTuple, Optional

import cv2
import numpy as np

from .grid import UNRULED_MAX_ROW_IN
from .types import BBox

log = logging.getLogger(__name__)

# Line images -> a reading confidence for each (the upright ones read with more confidence).
UprightScore = Callable[[list[np.ndarray]], list[float]]
# The upright test reads this many lines first, and the others only when the mean confidences
# upright and turned differ by no more than UPRIGHT_SETTLED.
UPRIGHT_FIRST_LINES = 2
UPRIGHT_SETTLED = 0.3
# Lines that read below this mean confidence both ways up are not text (a shaded cell that a
# 1-bit scanner turned to speckle smears into long blobs): the marks in them are no punctuation.
UPRIGHT_UNREAD = 0.1
# Which way the lines of text run is measured at no more than this resolution (dpi): on 84 pages
# of 1-bit 300 dpi, turned and plain 200 dpi scans, every page's turn was decided as at full
# resolution, and deciding took 58% of the time.
LAYOUT_DPI = 150

# Skews up to this are measured and undone: a sheet fed askew, a page photographed by hand (at
# 4-8 degrees 48% of the cells were lost when skew was sought only to 5). A corner cell's
# diagonal leans 20 and more; a turned page's lines run across.
MAX_SKEW_DEG = 12.0
# Ruling segments refined by a line fit to measure skew (the longest first).
SKEW_SEGMENTS = 40
SKEW_SEARCH_DPI = 100
# Rules that run this far in all (inches) measure the skew; less may be strokes of a line of
# bold text lined up (one segment of an inch at 2.3 degrees, on a page whose only table is drawn
# with no rule), and the text lines measure it instead.
SKEW_MIN_RULE_INCHES = 2.0
SKEW_FIT_POINTS = 500
# A page that did not lie flat (a curled sheet, a book's page, a photograph) draws its rules
# converging: where their angles differ by this much across the page, it is rectified by the
# homography that makes each family parallel again, not only turned. A flat scan's rules agree
# to a few hundredths of a degree.
KEYSTONE_MIN_DEG = 0.15
# Rules of each direction needed to tell where they converge, spread over this share of the page;
# rules of one direction, and how much better their meeting point explains their angles than one
# direction does (length-weighted RMS), for the page to be taken as not flat: that gain in one
# direction, or half of it in both. Flat scans' rules show gains of 1.0-1.3 where six or more tell.
KEYSTONE_MIN_RULES = 3
KEYSTONE_MIN_SPREAD = 0.3
KEYSTONE_SURE_RULES = 6
KEYSTONE_GAIN = 4.0
# A pixel's largest channel minus its next: coloured ink (a seal's red, a stamp's blue) above
# this; beside such ink, above the second.
COLOUR_DOMINANCE = 40
COLOUR_DOMINANCE_NEAR = 15
# Share of a page's pixels in a green or blue ink before it is taken out (a 42 mm stamp's ring
# and text at 200 dpi: about 1%).
COLOUR_INK_SHARE = 0.001
# Margin (inches) around coloured ink whose pixels are read in their brightest channel too.
SEAL_FRINGE_IN = 0.015
# A seal or a stamp (coloured_print): strokes this close (inches) are one, spanning this much
# (inches) each way (a government seal is 42 mm across); print set in colour is in lines.
COLOUR_GROUP_IN = 0.05
COLOUR_SEAL_IN = (0.6, 3.0)
# The scanner's own background where the paper does not cover the glass (dark bands along the
# image's edges, square to the image while the paper lies skewed): dark (below this share of the
# paper's level), thicker than any stroke or rule (inches), and reaching the image's edge; sought
# at BED_DPI.
BED_DARK = 0.5
BED_THICK_IN = 0.08
BED_DPI = 50
# A sheet photographed on a desk shows its four edges against it: where they meet at corners
# further than this (degrees) from square, the sheet is seen in perspective, and the page is
# rectified by them (a table drawn with no rule has no rule to tell it). Each edge is fitted to
# where the sheet meets the desk along the middle PAPER_EDGE_SHARE of its length (the corners
# are rounded by the mask's grain) and must show along at least PAPER_EDGE_MIN of the image's
# size (a flat scan's sheet reaching the image's border shows a few rows of an edge there).
PAPER_SQUARE_DEG = 0.3
# An edge square to the image to this many degrees is no sheet's edge but a scanner's frame
# (dark bands along the image's borders, around a sheet lying skewed on the glass).
PAPER_FRAME_DEG = 0.05
PAPER_EDGE_SHARE = 0.8
PAPER_EDGE_MIN = 0.5
# Print is the page's pixels at least INK_AT_LEAST grey levels below the paper. Where the darkest
# tenth of them is less than PALE_PRINT below it, the print is darkened to PRINT_DARKNESS, by at
# most MAX_PRINT_GAIN (black print on the corpus's scans: 126-255, below 150 only on blurred
# pages of grey paper; a pale toner's, 100-135).
INK_AT_LEAST = 40
PALE_PRINT = 150.0
PRINT_DARKNESS = 210.0
MAX_PRINT_GAIN = 3.0
# A faint layer over the print: a watermark ("仅供参考" in light grey across the page) or the
# other side's print showing through. Pixels at least FAINT_FLOOR and at most FAINT_SHARE of the
# print's darkness (PRINT_QUANTILE of the ink), further than FAINT_APART_IN from any print
# (darker than PRINT_SHARE of it), in strokes FAINT_STROKE_IN long or more, over FAINT_AREA of
# the page, are one. Print's own anti-aliased edges touch the print; noise is under the floor
# and in short pieces: such strokes cover under 1% of the bench's plain scans' pages, 1.6% of a
# photographed one's (one of its 37 pages, 4%, is lifted to the same readings), a watermark 4-6%.
FAINT_FLOOR = 0.1
FAINT_SHARE = 0.3
PRINT_SHARE = 0.6
PRINT_QUANTILE = 98
FAINT_APART_IN = 0.02
FAINT_STROKE_IN = 0.2
FAINT_AREA = 0.02
# A scanner's streak: a line of dirt on the glass draws a dark line along the whole image, the
# way the paper moved: image columns (or rows) darker than STREAK_DARK of the paper's level along
# STREAK_SHARE of their length, no wider than STREAK_MAX_IN. A table's rules stop at its edges
# and never cross the page's margins.
STREAK_DARK = 0.85
STREAK_SHARE = 0.9
STREAK_MAX_IN = 0.04
# A dark fill printed with light text (a table style's header: white on dark blue, or on an
# accent colour). Sought on a copy at FILL_DPI: an area inside the page (a scanner's bed reaches
# its edge) whose level, a median over FILL_LEVEL_IN that strokes do not sway, is under FILL_DARK
# of the paper's and FILL_DARK_CONTRAST below it. At full resolution, the fill is where that
# level is its commonest grey's (a histogram's peak over FILL_LEVEL_SPREAD levels) within
# FILL_LIGHT_CONTRAST: closed over FILL_LABEL_IN (dense two-line labels sway the median to their
# ink), at least FILL_MIN_IN thick and FILL_MIN_WIDE_IN long (a seal's ring, a watermark's stroke
# are thinner). On the page smoothed over FILL_GRAIN_IN (a 1-bit scan's fill is a stipple finer
# than any stroke) and FILL_EDGE_IN inside its edge, it is a plain field: FILL_EVEN of it within
# FILL_EVEN_TOLERANCE of its level, at most FILL_DARK_PRINT of it FILL_DARK_CONTRAST darker (its
# rules); its light print, FILL_LIGHT_CONTRAST lighter, is enclosed by it (FILL_ENCLOSED), and
# glyphs (pieces FILL_GLYPH_IN long) cover FILL_TEXT_SHARE of it. On a 1-bit scan (or its copy in
# grey: under FILL_GREYS of the area FILL_DARK_CONTRAST from both black and white) FILL_STROKES of
# the print FILL_DARK_CONTRAST lighter is in pieces FILL_STROKE_MIN_IN long (a light shade's
# stipple under black print is dots), and its outline is drawn as a rule FILL_BORDER_IN thick.
# Lighting falls off smoothly and holds nothing lighter than itself.
FILL_DPI = 50
FILL_LEVEL_IN = 0.1
FILL_DARK = 0.8
FILL_LEVEL_SPREAD = 9
FILL_LABEL_IN = 0.2
FILL_MIN_IN = 0.12
FILL_MIN_WIDE_IN = 0.5
FILL_GRAIN_IN = 0.004
FILL_EVEN = 0.6
FILL_EVEN_TOLERANCE = 25
FILL_DARK_PRINT = 0.1
FILL_DARK_CONTRAST = 60
FILL_LIGHT_CONTRAST = 30
FILL_ENCLOSED = 0.5
FILL_GLYPH_IN = 0.03
FILL_TEXT_SHARE = 0.01
FILL_STROKES = 0.5
FILL_GREYS = 0.5
FILL_STROKE_MIN_IN = 0.02
FILL_EDGE_IN = 0.01
FILL_BORDER_IN = 0.005


@dataclass
class PreparedPage:
    gray: np.ndarray            # uint8, upright, deskewed, seal removed, lighting flattened (OCR)
    binary: np.ndarray          # uint8 0/255, ink = 255, same frame as gray (line detection)
    rotation: int               # clockwise degrees applied to the input to make it upright
    skew: float                 # degrees, content counter-clockwise positive, corrected
    dpi: float
    to_original: np.ndarray     # 3x3: prepared pixel (x, y, 1) -> input image pixel (homogeneous)
    original_size: tuple[int, int]    # (width, height) of the input image in pixels
    orientation_source: str = "geometry"   # geometry | upright_score | punctuation | default | measured before
    # Pixels of the input per inch of the page as its PDF declares it, where that is not `dpi`
    # (a scan wrapped at a wrong resolution, pipeline.scan.paper_scale): the prepared page's
    # points are the paper's, `to_original_points` gives the PDF's.
    page_dpi: Optional[float] = None

    @property
    def points_per_pixel(self) -> float:
        return 72.0 / self.dpi

    def original_of(self, points: np.ndarray) -> np.ndarray:
        """Pixels (N x 2) of the prepared page -> pixels of the input image."""
        return apply_homography(self.to_original, points)

    def to_original_points(self, bbox: BBox) -> BBox:
        """A bbox in PDF points of the prepared page -> PDF points of the input page as displayed.

        The corners are mapped through `to_original` and the axis-aligned box around them is
        returned (a deskewed rectangle is slightly tilted on the input page).
        """
        ppp = self.points_per_pixel
        x0, y0, x1, y1 = (v / ppp for v in bbox)
        mapped = self.original_of(np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=np.float64))
        page_ppp = 72.0 / (self.page_dpi or self.dpi)
        return (float(mapped[:, 0].min() * page_ppp), float(mapped[:, 1].min() * page_ppp),
                float(mapped[:, 0].max() * page_ppp), float(mapped[:, 1].max() * page_ppp))


# ---------------------------------------------------------------- colour and lighting

def without_coloured_ink(image_bgr: np.ndarray, dpi: float,
                         print_mask: Optional[np.ndarray] = None) -> np.ndarray:
    """Grayscale page in which coloured ink (a red seal, a blue stamp or pen) is gone but black
    ink under it stays dark.

    Where a pixel is coloured, the channel of the page's coloured ink (the red one, the blue one,
    or the brighter of them where both inks are on the page) is taken as its gray value:
    coloured ink is bright in its own colour's channel, while black ink printed under it stays
    dark in every channel. Print is black or grey; ink is coloured
    where one channel stands above both others by more than COLOUR_DOMINANCE (yellowed paper,
    and the colour fringes JPEG leaves along black print, stand out less). Coloured print
    (`print_mask`: a table's coloured fills; glyphs set in colour, coloured_print) is no ink.
    """
    gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    b, g, r = cv2.split(image_bgr)
    # How far each channel stands above both others (saturating: 0 where it does not). Red is
    # a seal's, always taken out; green or blue only where a stamp's worth of it is on the page
    # (COLOUR_INK_SHARE): JPEG leaves fringes of every hue along black print, and lifting those
    # changed readings of a sealed scan's cells.
    dominance, bright = cv2.subtract(r, cv2.max(g, b)), r
    if print_mask is not None:
        dominance[print_mask] = 0
    for channel, others in ((g, cv2.max(r, b)), (b, cv2.max(r, g))):
        own = cv2.subtract(channel, others)
        if print_mask is not None:
            own[print_mask] = 0
        if np.count_nonzero(own > COLOUR_DOMINANCE) >= COLOUR_INK_SHARE * own.size:
            dominance, bright = cv2.max(dominance, own), cv2.max(bright, channel)
    # A chroma difference, not a brightness: independent of exposure.
    strong = (dominance > COLOUR_DOMINANCE).astype(np.uint8)
    if not strong.any():
        return gray
    in_print = coloured_print(strong, dpi)
    if in_print is not None:
        strong[in_print] = 0
        if not strong.any():
            return gray
    # Thin or starved strokes of the seal lose most of their colour to blur and to JPEG's
    # half-resolution chroma, and would stay behind as grey lines: beside clearly coloured ink,
    # a trace of colour is enough (hysteresis), and the strokes' fringes are taken in by a
    # dilation. Black ink inside that margin is safe: it is dark in every channel.
    near = cv2.dilate(strong, np.ones((7, 7), np.uint8)) > 0
    coloured = (strong > 0) | ((dominance > COLOUR_DOMINANCE_NEAR) & near)
    side = 2 * max(1, int(round(SEAL_FRINGE_IN * dpi))) + 1
    coloured = cv2.dilate(coloured.astype(np.uint8), np.ones((side, side), np.uint8)) > 0
    if in_print is not None:
        coloured &= ~in_print
    # Coloured ink is not quite white in its own channel: scale so that the ink's own level (the
    # median of its pixels' brightest channel) becomes the paper's level around it, and darker
    # ink under it stays dark. Lifting to pure white instead would leave white blots on grey paper.
    ink_level = float(np.median(bright[strong > 0]))
    ys, xs = np.nonzero(coloured)
    box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    around = gray[box][~coloured[box]]
    paper = float(np.percentile(around, 75)) if around.size else 255.0
    out = gray.copy()
    lifted = bright[coloured].astype(np.float32) * (paper / max(ink_level, 1.0))
    out[coloured] = np.maximum(gray[coloured], np.clip(np.minimum(lifted, paper), 0, 255).astype(np.uint8))
    return out


def coloured_print(strong: np.ndarray, dpi: float) -> Optional[np.ndarray]:
    """Where coloured ink (`strong`, uint8) is print set in colour (a value, a note in red or
    blue), a mask, or None: all of it but seals and stamps. A seal's ring or a stamp's frame,
    its strokes within COLOUR_GROUP_IN of each other, spans COLOUR_SEAL_IN each way, and all the
    coloured ink inside it (its text, its star) is its own. Lifted as a seal's ink, red values
    read as blank cells, and blanks summed to blanks confirmed them."""
    side = _odd(COLOUR_GROUP_IN * dpi)
    _, _, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(strong, np.ones((side, side), np.uint8)),
                                                     connectivity=8)
    in_print = strong > 0
    low, high = (v * dpi + side for v in COLOUR_SEAL_IN)
    for x, y, w, h, _ in stats[1:]:
        if low <= min(w, h) and max(w, h) <= high:
            in_print[y:y + h, x:x + w] = False
    return in_print if in_print.any() else None


def without_streaks(gray: np.ndarray, dpi: float) -> np.ndarray:
    """The page with its scanner streaks lifted: dirt on the glass dims the paper along the
    streak as a filter would, so each of its lines across is brightened by what dims it there
    (the paper's level over the line's own paper, measured along its whole length). A glyph
    crossing it keeps its strokes, even one that lies under it (a 0's side, a table's rule):
    painting the streak over with what lies beside it took such a stroke away."""
    paper = float(np.percentile(gray[::4, ::4], 90))
    widest = max(1, int(round(STREAK_MAX_IN * dpi)))
    out = gray
    for axis in (0, 1):
        # Along every fourth line across: a streak runs the whole length.
        share = (gray[::4] if axis == 0 else gray[:, ::4]) < STREAK_DARK * paper
        share = share.mean(axis=axis)
        for start, end in runs_of(share >= STREAK_SHARE):
            if end - start > widest:
                continue
            if out is gray:
                out = gray.copy()
            view = out if axis == 0 else out.T
            # Its blurred fringe too, a line either side.
            lines = slice(max(0, start - 1), min(view.shape[1], end + 1))
            level = np.percentile(view[:, lines], 90, axis=0).astype(np.float32)   # its paper, as `paper`
            gain = np.maximum(1.0, paper / np.maximum(level, 1.0))[None, :]
            view[:, lines] = np.clip(np.round(view[:, lines] * gain), 0, 255).astype(gray.dtype)
    if out is not gray:
        log.debug("scanner streaks lifted")
    return out


def runs_of(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of the runs of True in a 1-D array, end exclusive."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def scanner_bed(gray: np.ndarray, dpi: float) -> Optional[np.ndarray]:
    """Where the scanner's dark bed shows around the paper (a mask of the page's pixels, out to
    the band's soft edge), or None.

    Where the paper does not cover the glass, a scan holds dark bands along its edges. Their
    long straight borders are square to the image, not to the skewed paper: they would outvote
    the rules in the skew measure and be taken for rules and ink. Such a band is dark ground
    thicker than any stroke that reaches the image's edge, found on a copy at BED_DPI.
    """
    scale = min(1.0, BED_DPI / dpi)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    paper = float(np.percentile(small, 90))
    dark = (small < BED_DARK * paper).astype(np.uint8)
    side = _odd(BED_THICK_IN * dpi * scale)
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((side, side), np.uint8))
    if not (dark[0].any() or dark[-1].any() or dark[:, 0].any() or dark[:, -1].any()):
        return None
    _, labels = cv2.connectedComponents(dark, connectivity=8)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    bed = np.isin(labels, edge[edge > 0]).astype(np.uint8)
    bed = cv2.dilate(bed, np.ones((3, 3), np.uint8))
    return cv2.resize(bed, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_NEAREST) > 0


class DarkFill(NamedTuple):
    box: tuple[slice, slice]    # rows, columns of the page image
    mask: np.ndarray            # bool, the box's pixels of the fill (its light print in it)
    edge: Optional[np.ndarray]  # bool, the box's pixels of the fill's outline, drawn on a 1-bit scan
    level: float                # the fill's grey level
    smoothed: np.ndarray        # the box's grey, smoothed over FILL_GRAIN_IN


def dark_fills(gray: np.ndarray, dpi: float) -> list[DarkFill]:
    """The page's dark fills printed with light text: see FILL_DARK. Flattened as lighting,
    such a fill turned white and its text whiter than white: gone."""
    scale = min(1.0, FILL_DPI / dpi)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    level = cv2.medianBlur(small, max(3, _odd(FILL_LEVEL_IN * dpi * scale)))
    paper = float(np.percentile(small, 90))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (level < FILL_DARK * paper).astype(np.uint8), connectivity=4)
    h, w = small.shape
    smallest = (FILL_MIN_IN * dpi, FILL_MIN_WIDE_IN * dpi)
    fills = []
    for k in range(1, count):
        x, y, bw, bh, _ = stats[k]
        if x == 0 or y == 0 or x + bw == w or y + bh == h \
                or min(bw, bh) < smallest[0] * scale or max(bw, bh) < smallest[1] * scale:
            continue
        # The dark area at full resolution, a pixel of the copy wider each way (the copy draws
        # its edge coarsely), and its shape grown by half such a pixel.
        y0, x0 = max(0, int((y - 1) / scale)), max(0, int((x - 1) / scale))
        y1 = min(gray.shape[0], int((y + bh + 1) / scale) + 1)
        x1 = min(gray.shape[1], int((x + bw + 1) / scale) + 1)
        raw = gray[y0:y1, x0:x1]
        box = cv2.GaussianBlur(raw, (0, 0), max(0.5, FILL_GRAIN_IN * dpi))
        inside = cv2.resize((labels[max(0, y - 1):y + bh + 1, max(0, x - 1):x + bw + 1] == k).astype(np.uint8),
                            (box.shape[1], box.shape[0]), interpolation=cv2.INTER_NEAREST)
        inside = cv2.dilate(inside, np.ones((3, 3), np.uint8), iterations=max(1, int(0.5 / scale)))
        # A fill is a plain field: its level is the commonest grey of the area (the reduced copy
        # joins rules dense round white cells to it, which are no plain field).
        counts = np.bincount(box[inside > 0], minlength=256)
        fill = float(np.argmax(np.convolve(counts, np.ones(FILL_LEVEL_SPREAD), mode="same")))
        if fill >= FILL_DARK * paper or fill > paper - FILL_DARK_CONTRAST:
            continue        # paper between dense print, or a shade too light to print light on
        # A 1-bit scan's, or its copy in grey: black and white, hardly a grey between.
        greys = raw[inside > 0]
        one_bit = np.count_nonzero((greys > FILL_DARK_CONTRAST) & (greys < 255 - FILL_DARK_CONTRAST)) \
            < FILL_GREYS * greys.size
        # Where the page's level is the fill's, strokes aside (a median keeps a straight edge
        # where it is, and leaves out white cells and the paper between close rules); closed over
        # a label's width, where dense two-line labels swayed the median to their ink, but not
        # beyond the dark area (a label in a white cell beside it is no part of it). A cell's
        # fill is as thick as a row; a seal's ring or a watermark's stroke is not.
        local = cv2.medianBlur(raw, max(3, _odd(FILL_LEVEL_IN * dpi)))
        level_mask = (np.abs(local.astype(np.int16) - fill) <= FILL_LIGHT_CONTRAST).astype(np.uint8)
        side = _odd(FILL_LABEL_IN * dpi)
        padded = cv2.copyMakeBorder(level_mask, side, side, side, side, cv2.BORDER_CONSTANT, value=0)
        thick = cv2.morphologyEx(padded, cv2.MORPH_CLOSE, np.ones((side, side), np.uint8))[side:-side, side:-side]
        thick = cv2.morphologyEx(thick & inside, cv2.MORPH_OPEN, np.ones((_odd(smallest[0]),) * 2, np.uint8))
        outlines, _ = cv2.findContours(thick, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for outline in outlines:
            _, _, pw, ph = cv2.boundingRect(outline)
            if min(pw, ph) < smallest[0] or max(pw, ph) < smallest[1]:
                continue
            mask = cv2.drawContours(np.zeros_like(level_mask), [outline], -1, 1, thickness=cv2.FILLED)
            core = cv2.erode(mask, np.ones((_odd(FILL_EDGE_IN * dpi),) * 2, np.uint8)) > 0
            if not _prints_light(box, core, fill, dpi, one_bit):
                continue
            edge = None
            if one_bit:
                edge = cv2.drawContours(np.zeros_like(mask), [outline], -1, 1,
                                        thickness=max(1, int(round(FILL_BORDER_IN * dpi)))) & mask > 0
            fills.append(DarkFill((slice(y0, y1), slice(x0, x1)), mask > 0, edge, fill, box))
    if fills:
        log.debug("%d dark fill(s) with light print", len(fills))
    return fills


def _prints_light(box: np.ndarray, core: np.ndarray, fill: float, dpi: float, one_bit: bool) -> bool:
    """Whether a dark area (`core` of `box`, at grey `fill`) is a fill printed light: a plain
    field, printed with light glyphs it encloses and little dark but its rules. Blurred print
    (a watermark's broad strokes, a stamp's mottled ink, dense type) is no plain field; the
    paper between the strokes of a line of bold type runs out to the paper round the line; a
    1-bit scan's light shade is a stipple under black print, its light dots, not strokes."""
    area = np.count_nonzero(core)
    even = np.count_nonzero((np.abs(box.astype(np.int16) - fill) <= FILL_EVEN_TOLERANCE) & core)
    if not area or even < FILL_EVEN * area:
        return False
    if np.count_nonzero((box < fill - FILL_DARK_CONTRAST) & core) > FILL_DARK_PRINT * area:
        return False
    light = (box > fill + FILL_LIGHT_CONTRAST).astype(np.uint8)
    _, parts, sizes, _ = cv2.connectedComponentsWithStats(light, connectivity=8)
    outer = np.unique(np.concatenate([parts[0], parts[-1], parts[:, 0], parts[:, -1]]))
    enclosed = (parts > 0) & ~np.isin(parts, outer) & core
    glyphs = np.flatnonzero(np.maximum(sizes[:, 2], sizes[:, 3]) >= FILL_GLYPH_IN * dpi)
    if np.count_nonzero(enclosed) < FILL_ENCLOSED * np.count_nonzero(light.astype(bool) & core) \
            or np.count_nonzero(enclosed & np.isin(parts, glyphs[glyphs > 0])) < FILL_TEXT_SHARE * area:
        return False
    if one_bit:
        light = (box > fill + FILL_DARK_CONTRAST).astype(np.uint8)
        _, parts, sizes, _ = cv2.connectedComponentsWithStats(light, connectivity=8)
        strokes = np.flatnonzero(np.maximum(sizes[:, 2], sizes[:, 3]) >= FILL_STROKE_MIN_IN * dpi)
        return np.count_nonzero(core & np.isin(parts, strokes[strokes > 0])) \
            >= FILL_STROKES * np.count_nonzero(core & (parts > 0))
    return True


def without_dark_fills(gray: np.ndarray, fills: list[DarkFill]) -> np.ndarray:
    """The page with each dark fill turned into paper and whatever departs from its level,
    lighter (its text) or darker (the rules drawn over it), into dark print: the page then reads
    as every other does. On a 1-bit scan the fill's edge is drawn as a rule: a rule along it is
    black on black there, and the table lost it (a grey scan shows what rules there are)."""
    if not fills:
        return gray
    out = gray.copy()
    for fill in fills:
        # Each way as dark as it departs from the level, of all it could: white text and a black
        # rule both come out black (a black fill's grain, on a 1-bit scan, no darker than noise).
        shade = fill.smoothed.astype(np.float32) - fill.level
        departure = np.where(shade > 0, shade / max(255.0 - fill.level, FILL_DARK_CONTRAST),
                             -shade / max(fill.level, FILL_DARK_CONTRAST))
        unfilled = 255.0 - np.clip(departure * 255.0, 0, 255)
        region = fill.mask
        if fill.edge is not None:
            unfilled[fill.edge] = 0
        else:
            # Across the fill's edge the page passes from its level to the paper's: no print, but
            # a line along the edge, where no rule need be (a table without side rules). A rule
            # there is darker than the fill, its blurred edge too: kept.
            mask = fill.mask.astype(np.uint8)
            across = (cv2.dilate(mask, np.ones((5, 5), np.uint8)) > 0) \
                & (cv2.erode(mask, np.ones((5, 5), np.uint8)) == 0)
            unfilled[across & (fill.smoothed >= fill.level)] = 255
            region = region | across
        out[fill.box][region] = unfilled.astype(np.uint8)[region]
    return out


def fills_mask(shape: tuple[int, int], fills: list[DarkFill]) -> Optional[np.ndarray]:
    """The page's pixels (bool) of these fills, or None without any."""
    if not fills:
        return None
    mask = np.zeros(shape, bool)
    for fill in fills:
        mask[fill.box] |= fill.mask
    return mask


def flatten_lighting(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Divide the page by its estimated paper background so that the paper becomes uniformly white.

    Background: closing (max filter) wider than any text stroke or rule erases the ink, then a
    median over about half an inch smooths it; both work on a reduced copy for speed.
    """
    if not np.any((gray > 0) & (gray < 255)):
        # Black and white only (a 1-bit scan at its own resolution): dividing by any background
        # leaves every pixel as it is, and the division costs a 300 dpi page half a second.
        return gray
    scale = min(1.0, 50.0 / dpi)     # background varies slowly: 50 dpi is plenty
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    sdpi = dpi * scale
    close_k = _odd(0.12 * sdpi)        # wider than bold strokes and shaded bands are not: fine
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE,
                          cv2.getStructuringElement(cv2.MORPH_RECT, (close_k, close_k)))
    bg = cv2.medianBlur(bg, _odd(0.5 * sdpi))
    bg = cv2.resize(bg, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    bg = np.maximum(bg.astype(np.float32), 1.0)
    flat = gray.astype(np.float32) * (255.0 / bg)
    return np.clip(flat, 0, 255).astype(np.uint8)


def without_faint_layer(gray: np.ndarray, dpi: float) -> np.ndarray:
    """The page with a faint layer over its print (FAINT_SHARE) lifted off: pixels no darker
    than the layer's own (its 95th percentile) are paper, the rest as they were. The recognizer
    reads a cell's grey crop, watermark strokes through its digits included ("0" read "177"),
    and a cell holding only a watermark's stroke reads as a value. Pages without one as they are.
    A lift that reaches into the print (scaling the rest to keep its darkest) erased thin
    strokes of digits into confident blanks: the layer's level is capped at FAINT_SHARE."""
    step = 2 if dpi >= 150 else 1       # measured on every other pixel: ample for a page's layers
    dark = 255 - gray[::step, ::step].astype(np.int16)
    ink = dark[dark >= INK_AT_LEAST]
    if ink.size < 50:
        return gray
    darkest = float(np.percentile(ink, PRINT_QUANTILE))
    near_print = cv2.dilate((dark >= PRINT_SHARE * darkest).astype(np.uint8),
                            np.ones((_odd(2 * FAINT_APART_IN * dpi / step),) * 2, np.uint8)) > 0
    faint = (dark >= FAINT_FLOOR * darkest) & (dark <= FAINT_SHARE * darkest) & ~near_print
    if faint.mean() < FAINT_AREA:
        return gray
    # The layer's strokes run on (a watermark's glyph, a letter showing through); a blurred
    # scan's halos and noise leave short pieces.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(faint.astype(np.uint8), connectivity=8)
    long = np.flatnonzero(np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
                          >= FAINT_STROKE_IN * dpi / step)
    faint = np.isin(labels, long[long > 0])
    share = float(faint.mean())
    if share < FAINT_AREA:
        return gray
    floor = min(FAINT_SHARE * darkest, float(np.percentile(dark[faint], 95)) + 5.0)
    log.debug("faint layer lifted: %.1f%% of the page, darkness up to %.0f of the print's %.0f",
              100 * share, floor, darkest)
    out = gray.copy()
    out[gray >= 255 - floor] = 255
    return out


def with_print_darkened(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """A page whose print is pale (toner running out, a light photocopy) with its darkness
    scaled up to PRINT_DARKNESS, and the gain: the recognizer reads pale digits with little
    confidence. Other pages as they are, gain 1."""
    sample = gray[::2, ::2]
    ink = sample[sample < 255 - INK_AT_LEAST]
    if ink.size < 50:
        return gray, 1.0
    darkness = 255.0 - float(np.percentile(ink, 10))
    if darkness >= PALE_PRINT:
        return gray, 1.0
    gain = min(MAX_PRINT_GAIN, PRINT_DARKNESS / darkness)
    out = 255.0 - (255.0 - gray.astype(np.float32)) * gain
    return np.clip(out, 0, 255).astype(np.uint8), gain


def noise_sigma(gray: np.ndarray) -> float:
    """Robust estimate of pixel noise on the paper: MAD of the residual to a 3x3 median, on pixels
    whose neighbourhood is paper (bright, not clipped at white). Measure it before flattening:
    division by the background clips half the noise of white paper at 255."""
    h, w = gray.shape
    # A central window of a few hundred thousand pixels is enough and keeps it cheap.
    side = int(min(h, w, 700))
    y0, x0 = (h - side) // 2, (w - side) // 2
    g = gray[y0:y0 + side, x0:x0 + side]
    local = cv2.medianBlur(g, 5)
    paper = (local >= np.percentile(local, 60)) & (local < 250)
    if paper.sum() < 1000:
        paper = local >= np.percentile(local, 60)
    resid = g.astype(np.float32) - cv2.medianBlur(g, 3).astype(np.float32)
    return float(1.4826 * np.median(np.abs(resid[paper])))


def binarize(gray: np.ndarray, dpi: float, sigma: Optional[float] = None) -> np.ndarray:
    """Ink mask (255 = ink) friendly to rulings: local threshold with a noise-scaled margin.
    `sigma`: the page's noise (noise_sigma of the unflattened page); measured here if not given."""
    if sigma is None:
        sigma = noise_sigma(gray)
    src = gray
    if sigma > 2.5:
        # Speckle would otherwise survive as dotted texture; the smallest median keeps 1-px rules.
        src = cv2.medianBlur(gray, 3)
    block = _odd(0.08 * dpi)
    c = max(10.0, 4.0 * sigma)
    inv = 255 - src
    binary = cv2.adaptiveThreshold(inv, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY,
                                   block, -c)
    # Inside big dark areas the local threshold is meaningless; paper never reads below 50%.
    binary[src < 128] = 255
    return binary


# ---------------------------------------------------------------- rulings

def rule_masks(binary: np.ndarray, dpi: float, min_len_in: float = 0.15,
               gap_in: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical ruling masks with small gaps along each rule bridged.

    Pieces shorter than `min_len_in` inches (longer than a stroke of table-size text) are dropped
    first, so that bridging (a closing along the rule of `gap_in` inches) joins pieces of broken
    rules and never character strokes.
    """
    min_len = max(3, int(round(min_len_in * dpi)))
    gap = max(2, int(round(gap_in * dpi)))
    h = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (min_len, 1)))
    h = cv2.morphologyEx(h, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1)))
    v = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, min_len)))
    v = cv2.morphologyEx(v, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, gap)))
    return h, v


def rule_thickness(mask: np.ndarray, horizontal: bool) -> float:
    """Median thickness in pixels of the rules in a ruling mask (area / length of each piece)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats((mask > 0).astype(np.uint8), connectivity=8)
    if n <= 1:
        return 1.0
    length = stats[1:, cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT].astype(np.float64)
    area = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    return float(max(1.0, np.median(area / np.maximum(length, 1))))


def has_ruled_table(image: np.ndarray, dpi: float) -> bool:
    """Cheap test: does this page image (gray or BGR, any orientation, skew up to 11°) hold a
    ruled table? True when horizontal and vertical rules cross at several points, or three long
    rules of one direction stand close (a table ruled by rows only).

    Works on a 100-dpi copy; rules are sought as pieces of ~0.2 inch, which survive a 5° skew
    (a 1-pixel rule stays within its row for ~11 pixels at 5°, so pieces are joined by a short
    closing first); a page that shows none is looked at again turned 6° either way (a sheet fed
    askew leans 8° and more: a table without a frame, all its rules thin, showed none).
    """
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    scale = min(1.0, 100.0 / dpi)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    sdpi = dpi * scale
    binary = binarize(flatten_lighting(small, sdpi), sdpi, noise_sigma(small))
    if _holds_ruled_table(binary, sdpi):
        return True
    # Turned only where some ink runs on as far as a table's rules do (not on a page of prose).
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if not (np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]) >= 1.5 * sdpi).any():
        return False
    h, w = binary.shape
    return any(_holds_ruled_table(cv2.warpAffine(binary, cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0),
                                                 (w, h), borderValue=0), sdpi)
               for angle in (-TABLE_TEST_TURN_DEG, TABLE_TEST_TURN_DEG))


# has_ruled_table looks again at a page turned this far (degrees) either way.
TABLE_TEST_TURN_DEG = 6.0


def _holds_ruled_table(binary: np.ndarray, sdpi: float) -> bool:
    binary = cv2.dilate(binary, np.ones((3, 3), np.uint8))   # thicken so a skewed rule stays connected
    h, v = rule_masks(binary, sdpi, min_len_in=0.3, gap_in=0.05)
    joints = cv2.dilate(h, np.ones((3, 3), np.uint8)) & cv2.dilate(v, np.ones((3, 3), np.uint8))
    # Table rules span the table: keep crossings on rules at least 1.5 inch long, so that the
    # strokes of a bold title (十, 中 ...) never look like a table. A table's long rules are its
    # row rules, horizontal on an upright page and vertical on a page turned on its side.
    for rules, extent in ((h, cv2.CC_STAT_WIDTH), (v, cv2.CC_STAT_HEIGHT)):
        n, labels, stats, _ = cv2.connectedComponentsWithStats((rules > 0).astype(np.uint8), connectivity=8)
        long_rule = np.zeros(n, bool)
        long_rule[1:] = stats[1:, extent] >= 1.5 * sdpi
        if long_rule.sum() < 2:
            continue
        on_long = (joints > 0) & long_rule[labels]
        n_joints, _ = cv2.connectedComponents(on_long.astype(np.uint8))
        # A ruled table has at least 2x3 rule crossings.
        if n_joints - 1 >= 6:
            return True
        # A table ruled by rows only (pipeline.grid.unruled_tables) has no crossing: three long
        # rules close together stand for one.
        across = cv2.CC_STAT_TOP if extent == cv2.CC_STAT_WIDTH else cv2.CC_STAT_LEFT
        at = np.sort(stats[1:, across][long_rule[1:]])
        if any(at[i + 2] - at[i] <= 2 * UNRULED_MAX_ROW_IN * sdpi for i in range(len(at) - 2)):
            return True
    return False


# ---------------------------------------------------------------- skew

class RulingLine(NamedTuple):
    x: float                # px, the middle of the segment
    y: float
    angle: float            # degrees, visual counter-clockwise
    length: float           # px
    longest: bool           # among the SKEW_SEGMENTS longest of the page, whatever their direction


def skew_of(lines: list[RulingLine], dpi: float) -> Optional[float]:
    """Skew in degrees (content counter-clockwise positive): the length-weighted median angle,
    modulo 90°, of the longest ruling lines (a few dozen outvote any stray one; the shorter ones,
    mostly vertical, measure it less well); None without SKEW_MIN_RULE_INCHES of rules."""
    longest = [line for line in lines if line.longest]
    if sum(line.length for line in longest) < SKEW_MIN_RULE_INCHES * dpi:
        return None
    angles = np.array([(line.angle + 45.0) % 90.0 - 45.0 for line in longest])
    return _weighted_median(angles, np.array([line.length for line in longest]))


def ruling_lines(binary: np.ndarray, dpi: float) -> list[RulingLine]:
    """Long ruling segments: the longest of the page, and the longest of each direction.

    Hough segments give candidates; each is refined by a least-squares fit of the ink pixels
    along it, so that the angle is good to a few hundredths of a degree. Rules of either
    direction count (a vertical rule tilted the same way gives the same angle modulo 90°).
    """
    # Candidates are found on a copy at the working resolution (Hough's time grows with pixels);
    # the fit along each one, at full resolution, gives the precision.
    scale = min(1.0, SKEW_SEARCH_DPI / dpi)
    small = binary if scale == 1.0 else (
        cv2.resize(binary, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) >= 64).astype(np.uint8) * 255
    sdpi = dpi * scale
    min_len = int(round(1.0 * sdpi))             # an inch of straight ink: a rule, not text
    max_gap = max(2, int(0.02 * sdpi))
    # Hough's time grows with its ink: only shapes that long, their pieces taken together across
    # the gaps a segment may jump, can hold such a segment. The text goes: on 119 pages of
    # twelve scan variants the search took 15.5 s instead of 28.4, every angle within 0.022°.
    joined = cv2.dilate(small, np.ones((max_gap + 1, max_gap + 1), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    long_shape = np.zeros(n, np.uint8)
    long_shape[1:] = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]) >= min_len
    if not long_shape.any():
        return []
    small = np.where(long_shape[labels] > 0, small, np.uint8(0))
    segs = cv2.HoughLinesP(small, 1, np.pi / 720, threshold=min_len // 2,
                           minLineLength=min_len, maxLineGap=max_gap)
    if segs is None:
        return []
    lines = []
    segs = np.round(segs[:, 0, :] / scale).astype(np.int64)
    # The longest segments measure the angle best; those of each direction tell where a page's
    # rules of that direction meet (its vertical ones are shorter than its horizontal ones).
    lengths = np.hypot(segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1])
    across = np.abs(segs[:, 2] - segs[:, 0]) >= np.abs(segs[:, 3] - segs[:, 1])
    longest = set(np.argsort(-lengths)[:SKEW_SEGMENTS].tolist())
    chosen = set(longest)
    for direction in (across, ~across):
        members = np.flatnonzero(direction)
        chosen.update(members[np.argsort(-lengths[members])[:SKEW_SEGMENTS]].tolist())
    for k in sorted(chosen, key=lambda k: -lengths[k]):
        x1, y1, x2, y2 = segs[k]
        length = float(np.hypot(x2 - x1, y2 - y1))
        a = np.degrees(np.arctan2(-(y2 - y1), x2 - x1))   # visual CCW angle
        a_mod = (a + 45.0) % 90.0 - 45.0                # vertical rules count too
        if abs(a_mod) > MAX_SKEW_DEG:
            continue
        refined = _refine_segment_angle(binary, (x1, y1, x2, y2), a, dpi)
        if refined is None:
            continue
        lines.append(RulingLine((x1 + x2) / 2.0, (y1 + y2) / 2.0, refined, length, k in longest))
    return lines


def keystone(lines: list[RulingLine], size: tuple[int, int]) -> Optional[np.ndarray]:
    """The 3x3 homography (input px -> output px, on a canvas holding the whole page) that makes
    the page's horizontal rules horizontal and its vertical rules vertical, where the rules of one
    direction plainly converge (KEYSTONE_SURE_RULES of them, by KEYSTONE_MIN_DEG across the page,
    KEYSTONE_GAIN), or those of both less plainly; None where they do not, as on a flat scan (a
    turn straightens its rules). The other direction's
    rules meet where they point, or at infinity where they do not tell a point (too few, or
    parallel)."""
    w, h = size
    norm = max(w, h)
    # Coordinates centred and scaled to about one, for a well-conditioned fit.
    to_norm = np.array([[1.0 / norm, 0, -w / 2 / norm], [0, 1.0 / norm, -h / 2 / norm], [0, 0, 1]])
    families = {True: [], False: []}        # horizontal?: (line a, b, c; weight; middle)
    for x, y, angle, length, _ in lines:
        horizontal = abs(((angle + 90.0) % 180.0) - 90.0) < 45.0
        t = np.radians(angle)
        normal = np.array([np.sin(t), np.cos(t)])     # of the direction (cos, -sin), y down
        if normal[1 if horizontal else 0] < 0:        # one sense per family (a median is taken)
            normal = -normal
        middle = (to_norm @ (x, y, 1.0))[:2]
        families[horizontal].append((np.array([*normal, -(normal @ middle)]), length / norm, middle))
    vanishing, evidence = {}, []
    for horizontal, members in families.items():
        # Horizontal rules lie apart down the page, vertical ones across it.
        found = _vanishing_point(members, 1 if horizontal else 0, (h if horizontal else w) / norm)
        if found is None:
            vanishing[horizontal] = None
            continue
        vp, kept = found
        ends = [(0.0, -0.5 * h / norm), (0.0, 0.5 * h / norm)] if horizontal else \
            [(-0.5 * w / norm, 0.0), (0.5 * w / norm, 0.0)]
        angles = [np.degrees(np.arctan2(vp[1] - ey * vp[2], vp[0] - ex * vp[2])) % 180.0 for ex, ey in ends]
        spread = abs((angles[0] - angles[1] + 90.0) % 180.0 - 90.0)
        normal = np.median([line[:2] for line, _, _ in kept], axis=0)
        direction = np.array([normal[1], -normal[0]]) / np.linalg.norm(normal)
        # How much better the point explains the lines than one direction does: a short rule's
        # angle errs by a tenth of a degree, and a few of them may seem to meet anywhere.
        gain = _misfit(kept, direction=direction) / max(_misfit(kept, vp=vp), 1e-9)
        # The page is not flat where one direction's rules, enough of them, plainly converge, or
        # both directions' rules do less plainly; a direction whose rules do not is taken as
        # parallel (they meet at infinity).
        sure = spread >= KEYSTONE_MIN_DEG and len(kept) >= KEYSTONE_SURE_RULES
        evidence.append(gain if sure else 0.0)
        if gain < KEYSTONE_GAIN / 2:
            vp = np.array([*direction, 0.0])
        vanishing[horizontal] = vp
    if not evidence or (max(evidence) < KEYSTONE_GAIN and
                        (len(evidence) < 2 or min(evidence) < KEYSTONE_GAIN / 2)):
        return None
    for horizontal in (True, False):
        if vanishing[horizontal] is None:
            # Too few rules of this direction: square to the other one at the page's middle.
            other = vanishing[not horizontal]
            along = other[:2] / np.linalg.norm(other[:2]) if abs(other[2]) < 1e-12 else -other[:2] / other[2]
            along = along / np.linalg.norm(along)
            vanishing[horizontal] = np.array([-along[1], along[0], 0.0])
    h_vp, v_vp = (vanishing[k] / np.linalg.norm(vanishing[k]) for k in (True, False))
    # Rows of the rectifying map: the first vanishes on where the verticals meet, the second on
    # where the horizontals meet, the third on both (the line through them goes to infinity).
    r1 = np.array([1.0, 0, 0]) - v_vp[0] * v_vp
    r2 = np.array([0, 1.0, 0]) - h_vp[1] * h_vp
    r3 = np.cross(h_vp, v_vp)
    rect = np.vstack([r1, r2, r3])
    if rect[2] @ (0, 0, 1.0) < 0:
        rect = -rect
    m = np.linalg.inv(to_norm) @ rect @ to_norm
    m = m / m[2, 2]
    # Scale 1 at the page's middle.
    m[:2] /= np.sqrt(abs(np.linalg.det(affine_at(m, w / 2.0, h / 2.0)[:2, :2])))
    return _on_canvas(m, w, h)


def _on_canvas(m: np.ndarray, w: int, h: int) -> np.ndarray:
    """The homography `m` of a w x h image, shifted so that its canvas holds every corner."""
    corners = apply_homography(m, np.array([[0, 0], [w, 0], [w, h], [0, h]], float))
    return np.array([[1.0, 0, -corners[:, 0].min()], [0, 1.0, -corners[:, 1].min()], [0, 0, 1]]) @ m


def paper_keystone(bed: np.ndarray) -> Optional[np.ndarray]:
    """The 3x3 homography (input px -> output px, on a canvas holding the whole image) that takes
    a sheet photographed on a desk (`bed`: where the desk shows, scanner_bed) to an upright
    rectangle of its own size, where its four edges show and meet out of square
    (PAPER_SQUARE_DEG); None elsewhere (a flat scan's sheet turned on the glass is square: its
    skew is measured as any page's)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats((~bed).astype(np.uint8), connectivity=4)
    if count < 2:
        return None
    paper = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    h, w = paper.shape
    # Where the sheet begins, seen from each side: per row from the left and right, per column
    # from the top and bottom; where it reaches the image's border, that edge does not show.
    across, down = paper.any(axis=1), paper.any(axis=0)
    edges = {"left": (paper.argmax(axis=1), across, w, True),
             "right": (w - 1 - paper[:, ::-1].argmax(axis=1), across, w, True),
             "top": (paper.argmax(axis=0), down, h, False),
             "bottom": (h - 1 - paper[::-1].argmax(axis=0), down, h, False)}
    lines = {}
    for name, (at, present, limit, vertical) in edges.items():
        along = np.flatnonzero(present & (at > 0) & (at < limit - 1))
        if len(along) < PAPER_EDGE_MIN * len(present):
            return None
        trim = (1.0 - PAPER_EDGE_SHARE) / 2.0 * (along[-1] - along[0])
        along = along[(along >= along[0] + trim) & (along <= along[-1] - trim)]
        points = np.column_stack([at[along], along] if vertical else [along, at[along]]).astype(np.float32)
        vx, vy, x0, y0 = cv2.fitLine(points, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        if np.degrees(abs(vx if vertical else vy)) < PAPER_FRAME_DEG:
            return None     # square to the image: a scanner's frame around a sheet on the glass
        lines[name] = np.cross([x0, y0, 1.0], [x0 + vx, y0 + vy, 1.0])
    corners = []
    for a, b in (("top", "left"), ("top", "right"), ("bottom", "right"), ("bottom", "left")):
        meet = np.cross(lines[a], lines[b])
        if abs(meet[2]) < 1e-9:
            return None
        corners.append(meet[:2] / meet[2])
    quad = np.array(corners)
    sides = [quad[(k + 1) % 4] - quad[k] for k in range(4)]
    turns = [np.degrees(np.arctan2(u[0] * v[1] - u[1] * v[0], np.dot(u, v)))
             for u, v in zip(sides, sides[1:] + sides[:1])]
    if max(abs(abs(t) - 90.0) for t in turns) < PAPER_SQUARE_DEG:
        return None
    width = (np.linalg.norm(sides[0]) + np.linalg.norm(sides[2])) / 2.0
    height = (np.linalg.norm(sides[1]) + np.linalg.norm(sides[3])) / 2.0
    cx, cy = quad.mean(axis=0)
    square = np.array([[cx - width / 2, cy - height / 2], [cx + width / 2, cy - height / 2],
                       [cx + width / 2, cy + height / 2], [cx - width / 2, cy + height / 2]])
    return _on_canvas(cv2.getPerspectiveTransform(quad.astype(np.float32), square.astype(np.float32)).astype(float),
                      w, h)


def _vanishing_point(members: list, axis: int, extent: float) -> Optional[tuple[np.ndarray, list]]:
    """Where lines of one direction meet (homogeneous), by least squares over the lines that
    agree with it, and those lines: a stroke that is no rule (a corner cell's diagonal, a few
    degrees off) is left out. None where fewer than KEYSTONE_MIN_RULES agree, or where they lie
    too close together to tell (less than KEYSTONE_MIN_SPREAD of the page's `extent` apart along
    `axis`)."""
    kept = members
    for _ in range(3):
        if len(kept) < KEYSTONE_MIN_RULES:
            return None
        vp = np.linalg.svd(np.array([line * weight for line, weight, _ in kept]))[2][-1]
        # Each line's angle off the direction from its middle to the point.
        residual = []
        for line, _, middle in members:
            toward = vp[:2] - middle * vp[2]
            residual.append(abs(line[:2] @ toward) / max(np.linalg.norm(toward), 1e-12))
        residual = np.array(residual)
        limit = max(np.sin(np.radians(0.05)), 3 * np.median(residual))
        agree = [m for m, r in zip(members, residual) if r <= limit]
        if len(agree) == len(kept):
            break
        kept = agree
    if len(kept) < KEYSTONE_MIN_RULES:
        return None
    if np.ptp([middle[axis] for _, _, middle in kept]) < KEYSTONE_MIN_SPREAD * extent:
        return None
    return vp, kept


def _misfit(members: list, vp: Optional[np.ndarray] = None, direction: Optional[np.ndarray] = None) -> float:
    """Length-weighted RMS of the sines of the lines' angles off the direction from each line's
    middle to `vp`, or off one `direction`."""
    offs, weights = [], []
    for line, weight, middle in members:
        toward = direction if vp is None else vp[:2] - middle * vp[2]
        offs.append(line[:2] @ toward / max(np.linalg.norm(toward), 1e-12))
        weights.append(weight)
    return float(np.sqrt(np.average(np.square(offs), weights=weights)))


def apply_homography(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points (N x 2) through a 3x3 matrix, affine or projective."""
    mapped = np.column_stack([points, np.ones(len(points))]) @ m.T
    return mapped[:, :2] / mapped[:, 2:3]


def affine_at(m: np.ndarray, x: float, y: float) -> np.ndarray:
    """The 3x3 affine matrix that maps like `m` around (x, y): m itself where it is affine."""
    u, v, s = m @ (x, y, 1.0)
    jac = np.array([[m[0, 0] * s - u * m[2, 0], m[0, 1] * s - u * m[2, 1]],
                    [m[1, 0] * s - v * m[2, 0], m[1, 1] * s - v * m[2, 1]]]) / (s * s)
    offset = np.array([u / s, v / s]) - jac @ (x, y)
    return np.vstack([np.column_stack([jac, offset]), [0.0, 0.0, 1.0]])


def _refine_segment_angle(binary, seg, angle_deg, dpi) -> Optional[float]:
    x1, y1, x2, y2 = seg
    band = max(2, int(round(0.015 * dpi)))
    x0, xa = sorted((x1, x2)); y0, ya = sorted((y1, y2))
    pad = band + 1
    roi = binary[max(0, y0 - pad):ya + pad + 1, max(0, x0 - pad):xa + pad + 1]
    ry, rx = np.nonzero(roi)
    if len(rx) < 20:
        return None
    px = rx + max(0, x0 - pad); py = ry + max(0, y0 - pad)
    # Keep pixels within `band` of the Hough segment, then fit a line through them.
    dx, dy = x2 - x1, y2 - y1
    norm = np.hypot(dx, dy)
    dist = np.abs((px - x1) * dy - (py - y1) * dx) / norm
    keep = np.flatnonzero(dist <= band)
    if len(keep) < 20:
        return None
    # An evenly spread share of a long rule's pixels fits the same line (the fit's time grows
    # with its points: a rule across a 300 dpi page holds tens of thousands).
    keep = keep[::max(1, len(keep) // SKEW_FIT_POINTS)]
    vx, vy, _, _ = cv2.fitLine(np.column_stack([px[keep], py[keep]]).astype(np.float32),
                               cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    a = np.degrees(np.arctan2(-vy, vx))
    # fitLine's direction is unsigned: bring it near the Hough angle.
    while a - angle_deg > 90:
        a -= 180
    while angle_deg - a > 90:
        a += 180
    return float(a)


def estimate_skew_from_text(binary: np.ndarray, dpi: float) -> float:
    """Skew from text lines when the page has no rules: the angle whose row projection of the
    ink is the most peaked (text lines and gaps line up), searched coarse to fine on ~60 dpi."""
    scale = min(1.0, 60.0 / dpi)
    small = cv2.resize(binary, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = small.shape
    center = (w / 2, h / 2)

    def sharpness(angle: float) -> float:
        m = cv2.getRotationMatrix2D(center, -angle, 1.0)
        rot = cv2.warpAffine(small, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
        prof = rot.sum(axis=1, dtype=np.float64)
        return float(np.sum(np.diff(prof) ** 2))

    best = max(np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 1e-9, 0.5), key=sharpness)
    best = max(np.arange(best - 0.5, best + 0.5 + 1e-9, 0.125), key=sharpness)
    best = max(np.arange(best - 0.125, best + 0.125 + 1e-9, 0.025), key=sharpness)
    return float(best)


def rotation_matrix(size: tuple[int, int], skew: float) -> tuple[np.ndarray, tuple[int, int]]:
    """3x3 matrix (input px -> output px) turning content by -skew, on a canvas enlarged to keep
    every corner of the page, and the output size (w, h)."""
    w, h = size
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -skew, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(np.ceil(w * cos + h * sin)), int(np.ceil(w * sin + h * cos))
    m[0, 2] += (nw - w) / 2
    m[1, 2] += (nh - h) / 2
    return np.vstack([m, [0, 0, 1]]), (nw, nh)


# ---------------------------------------------------------------- orientation

@dataclass
class TextLayout:
    char_size: float            # px, typical character height
    h_lines: list[tuple[int, int, int, int]]   # x, y, w, h of horizontal text-line blobs
    h_score: float              # total length of horizontal text lines
    v_score: float              # total length of vertical text lines


def text_layout(binary: np.ndarray, dpi: float) -> TextLayout:
    """Measure text-line direction. Rules are removed; characters are smeared along each axis by
    ~0.4 of the character size (bridges the gap between characters of a line but not the gap
    between lines); elongated blobs along an axis are text lines in that direction."""
    h_rules, v_rules = rule_masks(binary, dpi, min_len_in=0.3)
    text = binary & ~cv2.dilate(h_rules | v_rules, np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(text, connectivity=8)
    sizes = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])
    # Under 0.05 in is a speck, a dot of punctuation or the smallest piece of a character: the
    # toner dust of a copied page that holds one small table weighs more than its characters.
    plausible = (sizes >= 0.05 * dpi) & (sizes <= 0.6 * dpi)
    if plausible.sum() < 10:
        return TextLayout(0.0, [], 0.0, 0.0)
    # The size that holds half the ink: a shaded cell that a 1-bit scanner turned into speckle
    # gives thousands of small clumps, which outnumber the characters but hold little ink.
    char = _weighted_median(sizes[plausible], stats[1:, cv2.CC_STAT_AREA][plausible])
    keep = np.zeros(n, bool)
    keep[1:] = (sizes <= 1.5 * char)
    text = (keep[labels] * 255).astype(np.uint8)
    gap = max(2, int(round(0.45 * char)))
    scores, h_lines = [], []
    for horizontal in (True, False):
        kernel = (gap, 1) if horizontal else (1, gap)
        smeared = cv2.morphologyEx(text, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
        _, _, st, _ = cv2.connectedComponentsWithStats(smeared, connectivity=8)
        along = st[1:, cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT]
        across = st[1:, cv2.CC_STAT_HEIGHT if horizontal else cv2.CC_STAT_WIDTH]
        lines = (along >= 2.5 * across) & (along >= 2.5 * char) & (across >= 0.3 * char) & (across <= 2.0 * char)
        scores.append(float(along[lines].sum()))
        if horizontal:
            h_lines = [tuple(int(v) for v in s[:4]) for s in st[1:][lines]]
    return TextLayout(char, h_lines, scores[0], scores[1])


def text_layout_coarse(binary: np.ndarray, dpi: float) -> TextLayout:
    """text_layout measured on a copy at no more than LAYOUT_DPI, in the pixels of `binary`:
    lines of print are as plain there, in a quarter of a 300 dpi page's pixels. A pixel
    of the copy is ink where a quarter of what it covers was: a 1-bit scan's thin strokes stay."""
    scale = LAYOUT_DPI / dpi
    if scale >= 1.0:
        return text_layout(binary, dpi)
    small = cv2.resize(binary, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    layout = text_layout(((small >= 64) * 255).astype(np.uint8), LAYOUT_DPI)
    lines = [(int(x / scale), int(y / scale), int(np.ceil(w / scale)), int(np.ceil(h / scale)))
             for x, y, w, h in layout.h_lines]
    return TextLayout(layout.char_size / scale, lines, layout.h_score / scale, layout.v_score / scale)


def punctuation_flip_vote(binary: np.ndarray, layout: TextLayout) -> tuple[int, int]:
    """(bottom, top): how many isolated small marks sit in the lower / upper part of horizontal
    text lines. Chinese full-width punctuation (，。、；：) sits low in its character cell, so an
    upright page votes bottom and a page turned 180° votes top. Only marks with no other ink above
    or below them within the line count (the top dot of 文/主/六 has its character under it)."""
    bottom = top = 0
    for x, y, w, h in layout.h_lines:
        band = binary[y:y + h, x:x + w]
        n, labels, st, _ = cv2.connectedComponentsWithStats(band, connectivity=8)
        for i in range(1, n):
            cx, cy, cw, ch = st[i, :4]
            if max(cw, ch) > 0.35 * h or max(cw, ch) < 0.06 * h:
                continue
            column = labels[:, max(0, cx - 1):cx + cw + 1]
            others = (column > 0) & (column != i)
            if others.any():
                continue
            centre = (cy + ch / 2) / h
            if centre > 0.62:
                bottom += 1
            elif centre < 0.38:
                top += 1
    return bottom, top


def _line_crops(gray: np.ndarray, layout: TextLayout, limit: int = 6) -> list[np.ndarray]:
    """A few horizontal text-line images (the longest lines, some margin), for a reader to score."""
    lines = sorted(layout.h_lines, key=lambda b: -b[2])[:limit]
    crops = []
    for x, y, w, h in lines:
        m = int(0.25 * h)
        # Six characters tell upright from turned, and fit the recognizer's narrowest input (its
        # time grows with width).
        w = min(w, 6 * h)
        crops.append(gray[max(0, y - m):y + h + m, max(0, x - m):x + w + m].copy())
    return crops


def decide_orientation(gray: np.ndarray, binary: np.ndarray, dpi: float,
                       upright_score: Optional[UprightScore]) -> tuple[int, str]:
    """Clockwise rotation (0/90/180/270) that makes the page upright, and what decided the flip."""
    layout = text_layout_coarse(binary, dpi)
    turn = 0
    if layout.v_score > 1.5 * max(layout.h_score, 1.0):
        # Text runs vertically: the page lies on its side. 90 vs 270 is decided like 0 vs 180.
        turn = 90
        gray = cv2.rotate(gray, cv2.ROTATE_90_CLOCKWISE)
        binary = cv2.rotate(binary, cv2.ROTATE_90_CLOCKWISE)
        layout = text_layout_coarse(binary, dpi)
    log.debug("text lines: horizontal %.0f px, vertical %.0f px", layout.h_score, layout.v_score)
    flipped, source = _is_upside_down(gray, binary, layout, upright_score)
    return (turn + (180 if flipped else 0)) % 360, source


def _is_upside_down(gray, binary, layout: TextLayout,
                    upright_score: Optional[UprightScore]) -> tuple[bool, str]:
    if upright_score is not None:
        crops = _line_crops(gray, layout)
        ups: list[float] = []
        downs: list[float] = []
        # The first lines, then the rest only when those did not settle it: text reads far
        # better upright than turned (by 0.34-1.0 in mean confidence on every scan of the corpus,
        # 1-bit and 100 dpi included), so two lines mostly suffice.
        for part in (crops[:UPRIGHT_FIRST_LINES], crops[UPRIGHT_FIRST_LINES:]):
            if not part:
                continue
            scores = upright_score(part + [cv2.rotate(c, cv2.ROTATE_180) for c in part])
            ups += scores[:len(part)]
            downs += scores[len(part):]
            s_up, s_down = float(np.mean(ups)), float(np.mean(downs))
            log.debug("upright score %.3f, turned %.3f (%d lines)", s_up, s_down, len(ups))
            if abs(s_up - s_down) > UPRIGHT_SETTLED:
                break
        if ups and abs(s_up - s_down) > 0.02:
            return s_down > s_up, "upright_score"
        if ups and max(s_up, s_down) < UPRIGHT_UNREAD:
            return False, "default"
    bottom, top = punctuation_flip_vote(binary, layout)
    log.debug("punctuation marks low %d, high %d", bottom, top)
    # Needs a clear majority of enough marks; otherwise keep the page as it is (most scans are upright).
    if bottom + top >= 4 and max(bottom, top) >= 1.5 * min(bottom, top):
        return top > bottom, "punctuation"
    return False, "default"


_ROTATE_CODES = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def rotate_quarter_matrix(size: tuple[int, int], rotation: int) -> np.ndarray:
    """3x3 matrix mapping pixels of an image of `size` (w, h) to the image turned clockwise."""
    w, h = size
    if rotation == 90:
        return np.array([[0, -1, h - 1], [1, 0, 0], [0, 0, 1]], dtype=np.float64)
    if rotation == 180:
        return np.array([[-1, 0, w - 1], [0, -1, h - 1], [0, 0, 1]], dtype=np.float64)
    if rotation == 270:
        return np.array([[0, 1, 0], [-1, 0, w - 1], [0, 0, 1]], dtype=np.float64)
    return np.eye(3)


# ---------------------------------------------------------------- the whole preparation

def prepare_page(image_bgr: np.ndarray, dpi: float,
                 upright_score: Optional[UprightScore] = None,
                 frame: Optional[tuple[int, float]] = None,
                 page_dpi: Optional[float] = None) -> PreparedPage:
    """Upright, deskewed, seal-free, evenly lit page (gray for OCR, binary for rules).

    Order: colour and lighting are orientation-free, so they come first on the input; skew is
    measured on rules (mod 90°, so a page on its side is fine) or else on text lines; the page is
    deskewed, then turned by a quarter/half turn decided on text lines (and on `upright_score`,
    a callable giving a reading confidence for a list of line images, for the 180° question).
    `frame`: (rotation, skew) of this image as an earlier preparation measured them, applied
    without measuring them again. `page_dpi`: as PreparedPage's.
    """
    if image_bgr.ndim == 2:
        image_bgr = cv2.cvtColor(image_bgr, cv2.COLOR_GRAY2BGR)
    h0, w0 = image_bgr.shape[:2]
    plain = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    fills = dark_fills(plain, dpi)
    gray = without_coloured_ink(image_bgr, dpi, fills_mask(plain.shape, fills))
    gray = without_streaks(without_dark_fills(gray, fills), dpi)
    bed = scanner_bed(gray, dpi)
    sigma = noise_sigma(gray)
    gray = flatten_lighting(gray, dpi)
    if bed is not None:
        # Painted white once the paper is: the paper beside the bed, lit alike, meets it
        # without an edge (painted before, at the paper's level, the bed's outline stayed).
        gray[bed] = 255
    gray = without_faint_layer(gray, dpi)
    gray, gain = with_print_darkened(gray)
    binary = binarize(gray, dpi, sigma * gain)

    rules = ruling_lines(binary, dpi)
    skew = frame[1] if frame is not None else skew_of(rules, dpi)
    if skew is None:
        skew = estimate_skew_from_text(binary, dpi)
    # Measured again where a frame is given: the same render gives the same rectification.
    m_skew = keystone(rules, (w0, h0))
    if m_skew is None and bed is not None:
        m_skew = paper_keystone(bed)
    if m_skew is not None:
        corners = apply_homography(m_skew, np.array([[0, 0], [w0, 0], [w0, h0], [0, h0]], float))
        size = (int(np.ceil(corners[:, 0].max())), int(np.ceil(corners[:, 1].max())))
        gray = cv2.warpPerspective(gray, m_skew, size, flags=cv2.INTER_LINEAR, borderValue=255)
        binary = binarize(gray, dpi, sigma * gain)
    elif abs(skew) > 0.01:
        m_skew, size = rotation_matrix((w0, h0), skew)
        gray = cv2.warpAffine(gray, m_skew[:2], size, flags=cv2.INTER_LINEAR, borderValue=255)
        binary = binarize(gray, dpi, sigma * gain)
    else:
        m_skew, size = np.eye(3), (w0, h0)

    rotation, source = (frame[0], "measured before") if frame is not None else \
        decide_orientation(gray, binary, dpi, upright_score)
    m_turn = rotate_quarter_matrix(size, rotation)
    if rotation:
        gray = cv2.rotate(gray, _ROTATE_CODES[rotation])
        binary = cv2.rotate(binary, _ROTATE_CODES[rotation])
    to_prepared = m_turn @ m_skew
    to_original = np.linalg.inv(to_prepared)
    log.debug("page prepared: rotation %d (%s), skew %.2f°%s", rotation, source, skew,
              ", rectified" if to_original[2, :2].any() else "")
    return PreparedPage(gray, binary, rotation, float(skew), float(dpi), to_original, (w0, h0), source,
                        page_dpi)


# ---------------------------------------------------------------- helpers

def _odd(x: float) -> int:
    n = max(3, int(round(x)))
    return n if n % 2 else n + 1


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2)])
