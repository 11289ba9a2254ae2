"""Reading pages by OCR: cells cropped to their ink and recognised, blank marks by shape, the
second recognizer's crops, the title's lines; the scan's resolution and the page's rotation.

Which pages are read so, and in what order of stages, is for the page readers
(pipeline/readers/: scan, vector_ocr, mixed).
"""
from __future__ import annotations

import logging
import math
import re
from typing import Optional

import cv2
import numpy as np
import pypdfium2.raw as pdfium_c

from . import pdf as pdfio
from .config import Config
from .numbers import as_figures, parse_value
from .ocr import crop_to_ink, ink_bbox
from .ocr.crop import crop_to_box, ink_mask
from .ocr.ppocr import same_row
from .preprocess import (PreparedPage, dark_fills, rule_masks, runs_of, without_dark_fills,
                         without_faint_layer)
from .types import SHAPE_CONFIDENCE, Grid, GridCell, TextLine

log = logging.getLogger(__name__)

MIN_DPI, MAX_DPI = 150, 300
# A cell lower than this (points) holds no printed figure (a 9 pt figure is 6.3 pt tall).
MIN_FIGURE_PT = 6.0
# A scan made below this has digits under ~9 px tall (a 10.5 pt figure): two readers misread them
# alike (pipeline.evidence.COARSE_FLAG). The 100 dpi scans sites publish read apart.
COARSE_DPI = 90
# Grey and colour scans are read at no more than this: the working resolution (see scan_dpi).
WORKING_DPI = 200
# A page whose shorter side its PDF declares outside this range (inches) is on no paper a report
# is printed on: the tool that wrapped the scan wrote a wrong resolution. PIL's PDF writer and
# phone apps write 72 dpi unless told otherwise (an A4 page scanned at 200 dpi becomes 23 in
# wide), others 96; a 600 dpi claim makes it 2.8 in. Read as declared, every length the reading
# knows in inches or points (a rule's thickness, a figure's height) is off by as much. Such a scan
# is taken for A4, by its shorter side: as wide as a long web picture of a report is, too.
PAPER_SHORT_SIDE_IN = (5.0, 12.5)
A4_SHORT_SIDE_IN = 8.27
TITLE_REGION = 0.4         # fraction of the page height searched for the title
# The detector finds the lines of the title and of prose at this resolution: its time grows with
# the pixels (the top of a page at 90 dpi takes half the time it takes at 120), and the lines it
# finds there are those it finds at 120, but for some isolated marks a few characters wide (a
# page number, a lone digit). What goes into a searchable layer is found at LAYER_LINE_DPI,
# where those are kept.
LINE_DPI = 90
# A detected line of a table drawn with no rule is two cells' where its ink leaves a gap of this
# many line heights (a word space in a label is under a third of one).
SPACED_GAP = 0.8
# Lines of two blocks of text side by side in a cell are this share of the tallest's height.
SIDE_BY_SIDE_ALIKE = 0.6
# A piece of a detected line alone on its line and this share of the page's text wide is prose.
PROSE_SHARE = 0.6
# A piece of a detected line at most this many times as wide as tall may be a value (36569611.44元
# is about 7); a wider one holds words, read only near a table (spaced_grids).
VALUE_PIECE_EM = 8.0
# A table found by spacing may reach this many lines of text past the rows it was found by.
NEAR_TABLE_EM = 3.0
# Rows of ink in a detected line's box apart from its own line, with under this share of the
# ink its line has, are the lines' beside it (the line's own: a glyph of strokes set apart, 二).
SHARE_OF_LINE = 0.25
# A blank's mark, "—" or "/", is one stroke: its ink covers at least this share of its length
# (gaps a 1-bit scan breaks into it included). Specks of paper noise a few pixels apart, which
# join when marks are sought, cover far less, and each would add a column to the table.
DASH_COVER = 0.6
# The pieces of one broken stroke overlap along it by at most this share of what they cover
# (where a break runs aslant): the sides of a glyph overlap wholly.
STROKE_OVERLAP = 1.2
LAYER_LINE_DPI = 120
# Lines are sought in bands of rows reaching this far (inches) beyond the ink found there (a line
# is seen whole, with paper around it); bands closer than JOIN_BANDS_IN are searched as one.
BAND_REACH_IN = 0.1
JOIN_BANDS_IN = 0.15
# Lines of the top of a page read at a time, until the title is complete: a title and the lines
# that may belong to it (an agency's name above, the year below) fit in two batches.
TITLE_BATCH = 6
# Darker than this (grey levels below the paper) in a cell found empty: something faint is there.
FAINT_INK_CONTRAST = 20
# A stroke touching a cell's border, at most this thick (inches) and this many times as long as
# it is thick, is a leftover of a ruling or a seal's ring, not text.
SLIVER_IN = 0.02
# The shortest dash "—" worth the name: a blank mark in 9 pt print is some 0.1 inch long.
DASH_MIN_IN = 0.05
# The widest break in a faint dash that is still read as one bar (4 pixels at 200 dpi).
DASH_GAP_IN = 0.02
# The least depth (grey levels under the paper) at which a faint bar's ink is taken: shallower
# is the paper's noise.
DASH_INK_CONTRAST = 15
# Ink blobs smaller than this (inches, the larger side) are paper noise: a full stop is 0.04.
SPECK_IN = 0.03
SLIVER_ELONGATION = 4
# A cell whose middle is darker than this (grey level) is covered, not blank: see is_covered.
COVERED_GREY = 128
# A frame drawn inside a cell's rules (a web page's table, each cell boxed apart): two thin
# strokes, one within FRAME_EDGE of the interior's width (height) from each side, over half its
# height (width), alongside each other over FRAME_ALIKE of the shorter (a corner of the box
# left on one of them). Its side beside a value read as "1" ("7" read "17", "631" "16311"); a
# digit has no twin at the other side.
FRAME_EDGE = 0.15
FRAME_ALIKE = 0.6
# A "/" leans this far from the horizontal (degrees); "1" stands at ~90.
SLASH_DEG = (50.0, 80.0)
# A cell's diagonal (without_diagonals): ink along this share of its corners' line, in a cell at
# least this far (inches) from corner to corner.
DIAGONAL_INK_SHARE = 0.9
DIAGONAL_MIN_IN = 0.8
# Lines of text in a cell are apart by at least this share of a line's height, and at least this
# share of the tallest line's height tall.
MIN_LINE_GAP = 0.12
MIN_LINE_HEIGHT = 0.5
# Lines set close: a line's pitch is about this many times its glyphs' height, and the row where
# two touching lines meet holds at most this share of a full row's ink.
LINE_PITCH = 1.15
THIN_ROW_SHARE = 0.25
# Ink smaller than this many pixels is a speck (a decimal point at 150 dpi is larger).
SPECK_AREA = 6
# Black pixels in an empty-looking cell of a 1-bit page from which its blankness is in doubt:
# paper there is white to the pixel, and a digit the threshold cut to dots leaves a few (a "2"
# of a 200 x 100 dpi fax left 4).
BILEVEL_DOTS = 3
# Ink this far (inches) off the line of a cell's one stroke is no piece of that stroke.
OFF_STROKE_IN = 0.015
# A piece of ink at least this share of the line's largest piece is part of a glyph, not a speck.
PIECE_SHARE = 0.1
# A reading below this confidence is the reader hesitating (config.min_confidence's value).
HESITANT = 0.9
# A number whose ink is this many times as tall as its table's numbers' median has a pen's mark
# on it: digits of one font stand one height (a thousands comma reaches 0.2 of it below).
OVERDRAWN = 1.3
# Fewer one-line numbers than this in a table give no median to trust.
OVERDRAWN_MIN_NUMBERS = 5
# A stroke thinner than this share of the digits' height, and longer than they are tall, is an
# underline: a minus sign is shorter, a blank mark "—" holds no digit beside it.
UNDERLINE_HEIGHT = 0.3
# A pen's ring round a value: ink at the edge of the ellipse fitted to a mark's outline, within
# RING_EDGE digit heights of it, in at least RING_COVER of the directions from its centre (a ring
# drawn round once, its ends apart or overlapping); the ellipse as tall as a digit at least.
RING_EDGE = 0.15
RING_COVER = 0.75
RING_DIRECTIONS = 72
# Ink in one line apart by more than this many line heights is two things, read apart.
WIDE_GAP = 2.5
# A lone "0" a 1-bit scan's threshold cut (at the thin top and bottom of a serif face's ring) or
# the reader hesitated over is still a ring that no other digit leaves. Bridged over gaps of
# ZERO_GAP digit heights, its ink is one piece with one hole: at least ZERO_HEIGHT of the digits'
# height tall (the median of at least ZERO_MIN_NUMBERS one-line numbers on its page), the hole at
# least ZERO_HOLE of its height, its ink above and below the hole alike to within ZERO_EVEN
# times (and a pixel), ring and hole nowhere across their middle narrower than ZERO_MIDDLE of
# their widest, and every piece of the ink a stretch of the hole's wall. Each test is needed:
# with any one left out, bands cut out of other digits' print pass for a zero (an 8 cut at its
# waist is one hole pinched in the middle; a 6 whose flag is cut off has its hole low and a
# piece above it; tests/test_scan_cells.py cuts every row and column of every digit).
ZERO_GAP = 0.15
ZERO_HEIGHT = 0.85
ZERO_MIN_NUMBERS = 3
ZERO_HOLE = 0.5
ZERO_EVEN = 1.5
ZERO_MIDDLE = 0.9
# A 1-bit page's crops are softened into grey before recognition (the recognizer learned from
# grey images; on the 1-bit corpus' number cells this read 1–3% more of them right, light
# thresholds most): a Gaussian this wide, in inches.
BILEVEL_SOFTEN_IN = 0.005
# The second recognizer's crop: this far (inches) inside a cell's border lines, and a margin of
# this share of the text height around the ink (the first reader's is a quarter).
SECOND_LOOK_INSET_IN = 0.025
SECOND_LOOK_MARGIN = 0.6
# ... and at least this high (inches), a digit's line: a lone "—" cropped to its few pixels of
# ink fills the model's input like no glyph it was trained on (a faint one read "4m", "1009000");
# among the cell's own paper around it at a line's height, it reads "一".
SECOND_LOOK_LINE_IN = 0.12


def _unprepared(image_bgr: np.ndarray, dpi: float) -> PreparedPage:
    """A render that needs no correction, in the form the cell reader takes; a watermark drawn
    over it lifted off and dark fills' light print turned dark, as off a scan."""
    gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    gray = without_faint_layer(without_dark_fills(gray, dark_fills(gray, dpi)), dpi)
    h, w = gray.shape
    return PreparedPage(gray, np.zeros_like(gray), 0, 0.0, float(dpi),
                        np.array([[1.0, 0, 0], [0, 1.0, 0]]), (w, h), "vector")


def page_rotation(prepared: PreparedPage) -> int:
    """How the content lies on the page, in degrees clockwise (a scan fed sideways, top to the
    right, is 90): the turn the reader undid, counted the way the scanner made it."""
    return (360 - prepared.rotation) % 360


def largest_image(doc: pdfio.Document, index: int) -> tuple[float, bool]:
    """(dpi, 1-bit?) of the largest image across at least half the page's width; (0, False)
    when there is none."""
    page = doc.pdf[index]
    try:
        width_pt = page.get_width()
        frame = pdfio.display_frame(page)
        best, bilevel = 0.0, False
        for obj in page.get_objects(max_depth=2):
            if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                box = frame.box(*obj.get_bounds())
                dpi = pdfio.image_dpi(obj, box, page.get_rotation())
                if box[2] - box[0] > 0.5 * width_pt and dpi > best:
                    best = dpi
                    bilevel = _bits_per_pixel(obj) == 1
        return best, bilevel
    finally:
        page.close()


def scan_dpi(doc: pdfio.Document, index: int, config: Config) -> tuple[float, float]:
    """The resolution a scanned page is read at, per inch of its paper, and the same per inch of
    the page as its PDF declares it (they differ where paper_scale does): its largest image's own
    (rendering above it invents nothing; below it loses strokes of small digits), within
    [MIN_DPI, WORKING_DPI] for a grey or colour scan and [MIN_DPI, MAX_DPI] for a 1-bit one.

    A grey scan at 300 dpi reads as well at 200 (every variant of the bench: the same cells
    right) in half the pixels; a 1-bit scan's thin strokes, broken already, merge into grey
    when it is scaled down and read worse.
    """
    image_dpi, bilevel = largest_image(doc, index)
    scale = paper_scale(image_dpi, *pdfio.page_size(doc.pdf, index))
    dpi = dpi_to_read(image_dpi / scale, bilevel, config)
    return dpi, dpi * scale


def paper_scale(image_dpi: float, width_pt: float, height_pt: float) -> float:
    """How many times larger the paper is than a page of this size declares it
    (PAPER_SHORT_SIDE_IN): 1 for a page of a size paper has, and for a page that is no scan
    (`image_dpi`, its largest image's, 0): only a scan's size was set by the tool that wrapped it."""
    short_in = min(width_pt, height_pt) / 72.0
    low, high = PAPER_SHORT_SIDE_IN
    if image_dpi <= 0 or short_in <= 0 or low <= short_in <= high:
        return 1.0
    return A4_SHORT_SIDE_IN / short_in


def dpi_to_read(image_dpi: float, bilevel: bool, config: Config) -> float:
    """scan_dpi of a page whose largest image has this resolution (0: none) and depth."""
    return float(min(MAX_DPI if bilevel else WORKING_DPI, max(MIN_DPI, image_dpi or config.scan_dpi)))


def _bits_per_pixel(image_obj) -> int:
    try:
        return int(image_obj.get_metadata().bits_per_pixel)
    except Exception:       # an image pdfium cannot describe is read as any other
        return 0


def reading_confidences(engine):
    """The upright score of pipeline.preprocess by this engine: each line image's reading
    confidence (one batch for the upright crops and the turned ones)."""
    def score(crops: list[np.ndarray]) -> list[float]:
        return [r.confidence for r in engine.recognize(crops)] if crops else []
    return score


# --- cells --------------------------------------------------------------------------------------

def read_grid_cells(engine, prepared: PreparedPage, grids: list[Grid], bilevel: bool = False) -> None:
    """Recognise every cell of every grid that holds no reading yet (a label's cell of a table
    found by spacing holds its pieces', spaced_grids), one batch for the page; cells that a lost
    rule merged are read apart again (split_merged_values)."""
    text_image = without_diagonals(without_rulings(prepared), prepared,
                                   [cell for grid in grids for cell in grid.cells])
    heights = read_cells(engine, prepared, [cell for grid in grids for cell in grid.cells if not cell.text],
                         text_image, bilevel)
    # A table too small to tell its digits' height (table 二's blocks one by one) is cleaned of
    # marks by the page's.
    page_digits = float(np.median(list(heights.values()))) if len(heights) >= OVERDRAWN_MIN_NUMBERS else None
    for grid in grids:
        digit_height = mark_overdrawn(grid.cells, heights) or page_digits
        if digit_height:
            read_without_marks(engine, text_image, grid.cells, prepared.points_per_pixel, digit_height, bilevel)
    split_merged_values(engine, prepared, grids, text_image, bilevel)


def split_merged_values(engine, prepared: PreparedPage, grids: list[Grid], text_image: np.ndarray,
                        bilevel: bool = False) -> None:
    """Cells spanning several rows or columns of their grid that hold two or more values, split
    into the grid's cells where they read the same apart.

    A worn or broken rule between two value cells leaves them one cell of the grid, whose
    reading is both values ("0\\n0"); the table's other rows and columns still draw that rule,
    so the grid has its edge. Read apart at the grid's edges, each piece must hold one value at
    most and the pieces' values in order the merged reading's: a cut through a glyph (a value
    printed across two rows on purpose) reads otherwise, and the cell stays whole. Labels merged
    over rows are not values: kept.
    """
    splits: list[tuple[Grid, GridCell, list[GridCell]]] = []
    for grid in grids:
        for cell in grid.cells:
            if (cell.rowspan > 1 or cell.colspan > 1) and len(_values(cell.text) or ()) > 1 \
                    and len(grid.row_edges) > cell.row + cell.rowspan \
                    and len(grid.col_edges) > cell.col + cell.colspan:
                # A piece of a table drawn with no rule is placed by the spacing as its cell was.
                splits.append((grid, cell, [
                    GridCell(r, c, 1, 1, (grid.col_edges[c], grid.row_edges[r],
                                          grid.col_edges[c + 1], grid.row_edges[r + 1]),
                             placed_by_spacing=cell.placed_by_spacing)
                    for r in range(cell.row, cell.row + cell.rowspan)
                    for c in range(cell.col, cell.col + cell.colspan)]))
    if not splits:
        return
    read_cells(engine, prepared, [piece for _, _, pieces in splits for piece in pieces], text_image, bilevel)
    for grid, cell, pieces in splits:
        if all(len(_values(p.text) or ()) <= 1 for p in pieces) \
                and _values(" ".join(p.text for p in pieces)) == _values(cell.text):
            at = grid.cells.index(cell)
            grid.cells[at:at + 1] = pieces
            log.debug("page %d: cell r%d c%d (%dx%d) read apart: %r", grid.page, cell.row, cell.col,
                      cell.rowspan, cell.colspan, cell.text)


def _values(text: str) -> Optional[list[tuple[str, object]]]:
    """The values a cell's reading holds, one per word (a number, or a blank mark), or None when
    a word is no value (a label's)."""
    parsed = [parse_value(word) for word in text.split()]
    return None if any(p.kind == "unreadable" for p in parsed) else [(p.kind, p.value) for p in parsed]


def read_cells(engine, prepared: PreparedPage, cells: list[GridCell],
               text_image: Optional[np.ndarray] = None, bilevel: bool = False) -> dict[int, int]:
    """Recognise these cells of the page, one batch (text_image: without_rulings(prepared),
    when the caller has it already). bilevel: the page is a 1-bit image, whose numbers in
    pieces are marked broken (GridCell.broken). Returns the ink height of each one-line number
    read, by id of its cell (for mark_overdrawn)."""
    jobs: list[tuple[GridCell, int]] = []          # cell, number of crops
    layouts: list[list[int]] = []                  # per job: crops in each of its lines
    single_lines: list[Optional[np.ndarray]] = []  # per job: its line's image, if it has one line
    crops: list[np.ndarray] = []
    ppp = prepared.points_per_pixel
    text_image = without_rulings(prepared) if text_image is None else text_image
    specks = None       # the page's paper specks, measured where a mark is first doubted
    empty: list[GridCell] = []                     # cells without a glyph
    doubted: list[tuple[GridCell, np.ndarray]] = []   # blank marks in doubt, and their cells' ink
    sigma = BILEVEL_SOFTEN_IN * 72.0 / ppp
    soft_image = cv2.GaussianBlur(text_image, (0, 0), sigma) if bilevel else None
    for cell in cells:
        lines, to_read = cell_lines_to_read(text_image, soft_image, cell.bbox, ppp)
        if not lines:
            cell.text, cell.confidence = "", blank_confidence(text_image, cell.bbox, ppp, bilevel)
            empty.append(cell)
            if is_covered(prepared.gray, cell.bbox, ppp):
                cell.confidence = 0.0
                continue
            # Not on a 1-bit page: a lone bar there may be what the threshold left of a 7.
            if not bilevel and cell.confidence < 1.0 and is_faint_dash(text_image, cell.bbox, ppp):
                cell.text, cell.confidence = "—", SHAPE_CONFIDENCE
            continue
        mark = "—" if len(lines) == 1 and is_dash(lines[0], ppp, faint=not bilevel) else \
            "/" if len(lines) == 1 and is_slash(lines[0], ppp) else None
        if mark:
            # A lone bar is the blank mark "—": its shape says so better than the recognizer,
            # which reads a wide thin stroke as "1" or "一" without confidence; likewise "/",
            # which blur turns into "1" or "7". On a 1-bit page a digit the threshold cut may
            # leave one such stroke (a 2's foot) and dots of the rest: the mark is then in doubt.
            doubt = False
            if bilevel:
                specks = paper_specks(text_image, ppp) if specks is None else specks
                doubt = ink_off_stroke(text_image, cell.bbox, ppp, lines[0], specks)
            cell.text, cell.confidence = mark, 0.5 if doubt else SHAPE_CONFIDENCE
            whole = crop_to_ink(_cell_inner(soft_image, cell.bbox, ppp)) if doubt else None
            if whole is not None:
                # What the digit may have been, read from all of the cell's ink, softened: the
                # readings an identity may choose among (the mark stays the reading).
                doubted.append((cell, whole))
            continue
        pieces = [split_wide_gaps(line) for line in to_read]
        jobs.append((cell, sum(len(p) for p in pieces)))
        layouts.append([len(p) for p in pieces])
        single_lines.append(lines[0] if len(lines) == 1 else None)
        crops += [piece for p in pieces for piece in p]
    if bilevel:
        crops = [cv2.GaussianBlur(crop, (0, 0), sigma) for crop in crops]
        # Where the threshold left dots in more of the cells that hold no glyph than it left
        # clean paper, it cut the page's print away: a clean cell there may be a digit it took
        # whole, no surer a blank than the dotted ones (a 2 and a 3 read as nothing by both
        # readers, confirmed by their agreement).
        dotted = sum(1 for cell in empty if cell.confidence < 1.0)
        if dotted > len(empty) - dotted:
            for cell in empty:
                cell.confidence = min(cell.confidence, 0.5)
    readings = engine.recognize(crops + [whole for _, whole in doubted], tight=True) if crops or doubted else []
    for (cell, _), reading in zip(doubted, readings[len(crops):]):
        cell.digit_readings = list(reading.digit_readings)
    k = 0
    for (cell, n), layout in zip(jobs, layouts):
        parts = readings[k:k + n]
        k += n
        lines, at = [], 0
        for count in layout:
            lines.append(" ".join(r.text for r in parts[at:at + count]))
            at += count
        cell.text = "\n".join(lines)
        cell.confidence = min(r.confidence for r in parts)
        if n == 1:
            cell.alternatives = list(parts[0].alternatives)
            if bilevel:
                cell.digit_readings = list(parts[0].digit_readings)
    _reexamine_numbers(engine, text_image, ppp, jobs)
    for (cell, n), line in zip(jobs, single_lines) if not bilevel else []:
        if cell.confidence < HESITANT and line is not None:
            # The recognizer hesitates over a blank mark and the specks beside it (a copy's
            # toner dust read "1" or "4"): the mark, with doubt (a faded 7 whose stem is dots
            # among the dust looks the same), and without the readings of the dust.
            specks = paper_specks(text_image, ppp) if specks is None else specks
            mark = mark_among_specks(text_image, cell.bbox, ppp, line, specks)
            if mark:
                cell.text, cell.confidence, cell.alternatives = mark, STRAY_MARK_CONFIDENCE, []
    # Only a 1-bit scan loses strokes for good (the scanner's threshold cut them): there a number
    # in pieces, or one the reader hesitates over, may be a damaged glyph that any reader takes
    # for another. A grey scan blurs strokes, and a glyph in pieces there is the font's own join
    # (a "5" whose flag stands apart), read as itself.
    heights = {id(cell): ink_height(line) for (cell, n), line in zip(jobs, single_lines)
               if n == 1 and line is not None and _NUMBER.match(cell.text)}
    digit_height = float(np.median(list(heights.values()))) if len(heights) >= ZERO_MIN_NUMBERS else None
    for (cell, n), line in zip(jobs, single_lines) if bilevel else []:
        if n == 1 and _NUMBER.match(cell.text):
            pieces = ink_pieces(line)
            cell.broken = cell.confidence < HESITANT or pieces > sum(ch.isdigit() or ch == "." for ch in cell.text)
            # Two readers of a ring read the same thing as a person would.
            if cell.broken and cell.text == "0" and digit_height and is_whole_zero(line, digit_height):
                cell.broken = False
    return heights


def mark_overdrawn(cells: list[GridCell], heights: dict[int, int]) -> Optional[float]:
    """Mark the numbers of one table's `cells` whose ink stands taller than OVERDRAWN
    times the median of its one-line numbers' `heights` (by cell id; a table prints its numbers
    in one size, another table on the page may not): a tick over a "1" read "4" by both readers
    alike, a value underlined or circled. Agreement then confirms nothing. Returns that median,
    the height of the table's digits (None: too few numbers to tell)."""
    mine = [(cell, heights[id(cell)]) for cell in cells if id(cell) in heights]
    if len(mine) < OVERDRAWN_MIN_NUMBERS:
        return None
    typical = float(np.median([height for _, height in mine]))
    for cell, height in mine:
        if height > OVERDRAWN * typical:
            cell.overdrawn = True
    return typical


def read_without_marks(engine, text_image: np.ndarray, cells: list[GridCell], ppp: float,
                       digit_height: float, bilevel: bool = False) -> None:
    """Cells a pen marked, read again without the marks: those marked overdrawn, and those
    not read as one clean number ("57✓" read "57/", a circled 0 read "@", an underlined one read
    as nothing), a label's words aside.

    A mark is ink no digit of the table's print is (`digit_height` px tall): a piece taller than
    OVERDRAWN digits (a tick's arm, a circle), or a thin stroke longer than a digit is tall (an
    underline); where a mark touches the print, the print's rows alone (_print_rows_only). The
    reading without them replaces the first if it is one number of the digits' height; the cell
    is then overdrawn, so only the identities can confirm it."""
    suspects = [c for c in cells if sum("\u4e00" <= ch <= "\u9fff" for ch in c.text) < 2   # a label's words
                and (c.overdrawn or parse_value(c.text.replace("\n", " ")).kind != "number")]
    crops, owners, ruled = [], [], []
    max_width = _sliver_px(ppp)
    for cell in suspects:
        inner = cell_interior(text_image, cell.bbox, ppp)
        if inner.size == 0 or min(inner.shape) < 4:
            continue
        ink = ink_mask(inner)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
        marks = [i for i in range(1, count)
                 if stats[i, cv2.CC_STAT_HEIGHT] > OVERDRAWN * digit_height
                 or (stats[i, cv2.CC_STAT_HEIGHT] < UNDERLINE_HEIGHT * digit_height
                     and stats[i, cv2.CC_STAT_WIDTH] > digit_height)]
        paper = int(np.median(inner))
        line = None
        if marks:
            clean = inner.copy()
            clean[np.isin(labels, marks)] = paper
            line = _one_value_line(clean, ppp, digit_height)
        sides = line is not None and all(_is_box_side(stats[i], inner.shape, max_width) for i in marks)
        if line is None:
            # A ring drawn tight round the value touches its digits: one piece with them.
            line = _one_value_line(_inside_ring(inner, ink, labels, stats, marks, digit_height, paper),
                                   ppp, digit_height)
        if line is None:
            # A mark that touches the print is one piece with it (an underline drawn into a
            # digit's foot: "0" read "p", or nothing); so are toner dust and a feeder's streak.
            line = _one_value_line(_print_rows_only(inner, ink, digit_height, paper), ppp, digit_height)
        if line is not None:
            crops.append(line)
            owners.append(cell)
            ruled.append(sides)
    readings = engine.recognize(crops, tight=True) if crops else []
    for cell, reading, sides in zip(owners, readings, ruled):
        parsed = parse_value(reading.text)
        # A lone 0 reads "o" as readily as "0" once its mark is off.
        if parsed.kind == "number" and _NUMBER.match(as_figures(reading.text)):
            # The first reading and its alternatives were of the print and the mark together,
            # unless what was taken off is only the sides of the cell's own box.
            cell.text, cell.confidence = reading.text, min(reading.confidence, HESITANT)
            cell.alternatives = list(reading.alternatives)
            cell.overdrawn = not sides
            if bilevel:
                # What was taken for a mark may be what the threshold left of a glyph's stroke
                # (the foot of a 4's diagonal): the first reading's digits stay possible.
                cell.digit_readings = reading.digit_readings + cell.digit_readings


def _inside_ring(inner: np.ndarray, ink: np.ndarray, labels: np.ndarray, stats: np.ndarray, marks: list[int],
                 digit_height: float, paper: int) -> Optional[np.ndarray]:
    """The cell's image with only the ink a pen's ring encloses (see RING_EDGE): the ring and
    whatever lies outside it painted over, with the digits' pixels where they touch the ring.
    None where no mark taller than OVERDRAWN digits is such a ring.

    The ellipse is fitted to the mark's convex hull, which a ring's open ends and the digits it
    touches leave as it is; the ring's width is the median depth of its ink from that edge."""
    h, w = ink.shape
    edge = max(2, int(round(RING_EDGE * digit_height)))
    for mark in marks:
        if stats[mark, cv2.CC_STAT_HEIGHT] <= OVERDRAWN * digit_height:
            continue
        ys, xs = np.nonzero(labels == mark)
        hull = cv2.convexHull(np.column_stack([xs, ys]).astype(np.float32))
        if len(hull) < 5:
            continue
        (cx, cy), (width_axis, height_axis), angle = cv2.fitEllipse(hull)
        if min(width_axis, height_axis) < digit_height:
            continue
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        depths = []
        for k in range(RING_DIRECTIONS):
            theta = 2 * math.pi * k / RING_DIRECTIONS
            u, v = width_axis / 2 * math.cos(theta), height_axis / 2 * math.sin(theta)
            bx, by = cx + u * cos - v * sin, cy + u * sin + v * cos
            reach = math.hypot(cx - bx, cy - by)
            dx, dy = (cx - bx) / reach, (cy - by) / reach
            # Along the ray inward from just outside the edge: where the ring's ink starts, ends.
            on = []
            for j in range(-edge, int(reach)):
                x, y = int(round(bx + dx * j)), int(round(by + dy * j))
                on.append(0 <= y < h and 0 <= x < w and bool(ink[y, x]))
            start = next((j for j, v in enumerate(on) if v), None)
            if start is None or start > 2 * edge:
                continue
            end = next((j for j in range(start, len(on)) if not on[j]), len(on))
            depths.append(end - edge)
        if len(depths) < RING_COVER * RING_DIRECTIONS:
            continue
        ring_width = float(np.median(depths))
        iy, ix = np.nonzero(ink)
        dx, dy = ix - cx, iy - cy
        u, v = dx * cos + dy * sin, -dx * sin + dy * cos
        radius = np.sqrt((u / (width_axis / 2)) ** 2 + (v / (height_axis / 2)) ** 2)
        depth = np.hypot(dx, dy) * (1 / np.maximum(radius, 1e-6) - 1)      # px inside the edge
        inside = depth > ring_width
        out = np.full_like(inner, paper)
        out[iy[inside], ix[inside]] = inner[iy[inside], ix[inside]]
        return out
    return None


def _is_box_side(stats: np.ndarray, shape: tuple[int, int], max_width: int) -> bool:
    """A piece of ink (a row of connectedComponentsWithStats) is an upright side of a box drawn
    inside the cell's rules (a web page's table, each cell boxed apart, one side of the box left
    where the grid took the other for the rule): as thin as a ruling (up to twice a sliver's
    width), straight up over half the cell's height, within FRAME_EDGE of its left or right
    side. Taken for a mark (it stands taller than the table's digits), it marks nothing: a pen's
    tick, ring or underline is neither upright and thin nor at the cell's side."""
    h, w = shape
    x, width, height = int(stats[cv2.CC_STAT_LEFT]), int(stats[cv2.CC_STAT_WIDTH]), int(stats[cv2.CC_STAT_HEIGHT])
    return width <= 2 * max_width and height >= 0.5 * h and (x <= FRAME_EDGE * w or x + width >= (1 - FRAME_EDGE) * w)


def _one_value_line(image: Optional[np.ndarray], ppp: float, digit_height: float) -> Optional[np.ndarray]:
    """The image's one line of text where it stands as tall as the table's digits (a speck or a
    sliver is no number) and is one value (two that a lost rule left in one cell would be read
    as one); else None."""
    if image is None:
        return None
    lines = cell_line_images(image, (0, 0, image.shape[1] * ppp, image.shape[0] * ppp), ppp)
    if len(lines) == 1 and abs(ink_height(lines[0]) - digit_height) <= (OVERDRAWN - 1) * digit_height \
            and len(split_wide_gaps(lines[0])) == 1:
        return lines[0]
    return None


def _print_rows_only(inner: np.ndarray, ink: np.ndarray, digit_height: float,
                     paper: int) -> Optional[np.ndarray]:
    """A cell's image with only its print: the rows its digits stand in (the band digit_height
    tall that holds the most ink besides strokes longer than a digit is tall, which no digit
    draws) and, in them, the pieces that do not run on beyond them. None where print stands
    outside those rows (a second value), where a long stroke crosses them (a circle drawn tight
    round the digits, a line struck through them), or where a piece that runs on stands too
    close to what is kept to be told from a digit (a tick drawn into the last one): what was
    drawn there cannot be parted from the print."""
    height = int(round(digit_height)) + 2
    if ink.shape[0] <= height:
        return None
    long = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, int(digit_height) + 1), np.uint8))
    short = ink & (1 - cv2.dilate(long, np.ones((3, 1), np.uint8)))
    top = int(np.argmax(np.convolve(short.sum(axis=1), np.ones(height), "valid")))
    rows = slice(max(0, top - 1), top + height + 1)
    if long[rows].any():
        return None
    inside = np.zeros_like(short)
    inside[rows] = short[rows]
    # Print of its own outside those rows (a second value, where a lost rule left two rows one
    # cell) is no mark to drop.
    count, _, stats, _ = cv2.connectedComponentsWithStats(short, connectivity=8)
    if any(stats[i, cv2.CC_STAT_HEIGHT] > UNDERLINE_HEIGHT * digit_height
           and (stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT] <= rows.start
                or stats[i, cv2.CC_STAT_TOP] >= rows.stop) for i in range(1, count)):
        return None
    beyond = cv2.dilate(short - inside, np.ones((3, 3), np.uint8)) > 0
    count, labels, stats, _ = cv2.connectedComponentsWithStats(inside, connectivity=8)
    runs_on = [i for i in range(1, count) if beyond[labels == i].any()]
    kept = (labels > 0) & ~np.isin(labels, runs_on)
    if not kept.any():
        return None
    columns = np.flatnonzero(kept.any(axis=0))
    near = UNDERLINE_HEIGHT * digit_height
    for i in runs_on:
        x0, x1 = stats[i, cv2.CC_STAT_LEFT], stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH]
        if x1 > columns[0] - near and x0 < columns[-1] + near:
            return None
    return np.where(kept, inner, np.uint8(paper))


def ink_height(crop: np.ndarray) -> int:
    """Rows from the top of a line's ink to its bottom, specks aside."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink_mask(crop), connectivity=8)
    kept = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= SPECK_AREA]
    if not kept:
        return 0
    top = min(stats[i, cv2.CC_STAT_TOP] for i in kept)
    return int(max(stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT] for i in kept) - top)


def is_whole_zero(crop: np.ndarray, digit_height: float) -> bool:
    """A line's ink is one "0", whatever gaps a threshold cut in its ring (the tests of ZERO_GAP
    and those after it)."""
    gap = max(2, int(round(ZERO_GAP * digit_height)))
    mask = cv2.copyMakeBorder(ink_mask(crop).astype(np.uint8), gap, gap, gap, gap, cv2.BORDER_CONSTANT, value=0)
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (gap + 1, gap + 1))
    bridged = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, square)
    contours, hierarchy = cv2.findContours(bridged, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if hierarchy is None:
        return False
    shapes = [(c, h[3] >= 0) for c, h in zip(contours, hierarchy[0]) if cv2.contourArea(c) >= SPECK_AREA]
    outlines = [c for c, is_hole in shapes if not is_hole]
    holes = [c for c, is_hole in shapes if is_hole]
    if len(outlines) != 1 or len(holes) != 1:
        return False
    _, top, _, height = cv2.boundingRect(outlines[0])
    _, hole_top, _, hole_height = cv2.boundingRect(holes[0])
    above, below = hole_top - top, top + height - hole_top - hole_height
    if not (ZERO_HEIGHT * digit_height <= height <= OVERDRAWN * digit_height and hole_height >= ZERO_HOLE * height
            and max(above, below) <= ZERO_EVEN * min(above, below) + 1
            and all(_widest_in_middle(c, bridged.shape) for c in (outlines[0], holes[0]))):
        return False
    # The hole as far as the bridging may have narrowed it: every piece of ink must border it.
    wall = cv2.dilate(cv2.drawContours(np.zeros_like(mask), holes, -1, 1, cv2.FILLED), square)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return all(wall[labels == i].any() for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= SPECK_AREA)


def _widest_in_middle(contour: np.ndarray, shape: tuple[int, int]) -> bool:
    """The area a contour encloses is nowhere in its middle fifth of rows narrower than
    ZERO_MIDDLE of its widest row: an oval, not an hourglass."""
    filled = cv2.drawContours(np.zeros(shape, np.uint8), [contour], -1, 1, cv2.FILLED)
    widths = filled.sum(axis=1)
    rows = np.flatnonzero(widths)
    middle = widths[rows[0] + (2 * len(rows)) // 5:rows[0] + max((3 * len(rows)) // 5, (2 * len(rows)) // 5 + 1)]
    return bool(middle.min() >= ZERO_MIDDLE * widths.max())


def ink_pieces(crop: np.ndarray) -> int:
    """Pieces of ink in a line's image, specks aside: each digit of print is one piece (a point
    one more); a glyph broken apart is several."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink_mask(crop), connectivity=8)
    areas = stats[1:count, cv2.CC_STAT_AREA]
    if areas.size == 0:
        return 0
    return int(np.sum(areas >= max(SPECK_AREA, PIECE_SHARE * areas.max())))


def split_wide_gaps(line: np.ndarray) -> list[np.ndarray]:
    """A line of a cell cut where its ink leaves a gap wider than WIDE_GAP line heights: two
    values side by side in a cell whose dividing rule was lost. Read as one crop, the recognizer
    may drop one of them ("7    11" read "7"); read apart, they come out as "7 11", which no
    number parses."""
    ink = ink_mask(line).any(axis=0)
    cols = np.flatnonzero(ink)
    if cols.size == 0:
        return [line]
    height = line.shape[0]
    breaks = np.flatnonzero(np.diff(cols) > WIDE_GAP * height)
    if breaks.size == 0:
        return [line]
    cuts = zip([cols[0], *cols[breaks + 1]], [*(cols[breaks] + 1), cols[-1] + 1])
    pieces = [crop_to_ink(line[:, max(0, a - height // 4):b + height // 4]) for a, b in cuts]
    return [p for p in pieces if p is not None] or [line]


def without_rulings(prepared: PreparedPage) -> np.ndarray:
    """The page's grey image with its ruling lines painted over with paper.

    A rule's blurred edge or a broken piece of it left inside a cell reads as "1", "|" or "[";
    stepping further inside would cut into text that fills its cell.
    """
    if not prepared.binary.any():
        return prepared.gray
    # Rules run on through several cells; a dash ("—", a blank mark) is a short bar of its own.
    h, v = rule_masks(prepared.binary, prepared.dpi, min_len_in=0.3)
    reach = max(1, int(round(prepared.dpi / 100)))
    rules = cv2.dilate(cv2.bitwise_or(h, v), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
    image = prepared.gray.copy()
    image[rules > 0] = int(np.median(prepared.gray))
    return image


def without_diagonals(image: np.ndarray, prepared: PreparedPage, cells: list[GridCell]) -> np.ndarray:
    """The image with each cell's corner-to-corner diagonal painted over with paper: a header
    corner cell's (斜线表头), drawn through the labels on either side of it, made the recognizer
    lose the characters it crosses ("本列数据的勾稽关系为" read "本列数据的系为"). A diagonal is
    one where ink lies along DIAGONAL_INK_SHARE of the line between the cell's corners, in a cell
    at least DIAGONAL_MIN_IN across; no glyph draws such a stroke."""
    ppp, binary = prepared.points_per_pixel, prepared.binary
    reach = max(1, int(round(prepared.dpi / 100)))
    out, paper = image, None
    for cell in cells:
        x0, y0, x1, y1 = (int(round(v / ppp)) for v in cell.bbox)
        length = int(np.hypot(x1 - x0, y1 - y0))
        if length * ppp < DIAGONAL_MIN_IN * 72:
            continue
        for start, end in (((x0, y0), (x1, y1)), ((x0, y1), (x1, y0))):
            # Its middle four fifths: the ends lie on the cell's rules.
            t = np.linspace(0.1, 0.9, length)
            xs = np.clip(np.round(start[0] + t * (end[0] - start[0])).astype(int), 0, binary.shape[1] - 1)
            ys = np.clip(np.round(start[1] + t * (end[1] - start[1])).astype(int), 0, binary.shape[0] - 1)
            # Within `reach` of the line across: the stroke a pixel or two off the corners' line.
            near = np.zeros(len(xs), bool)
            for dy in range(-reach, reach + 1):
                near |= binary[np.clip(ys + dy, 0, binary.shape[0] - 1), xs] > 0
            if near.mean() >= DIAGONAL_INK_SHARE:
                if out is image:
                    out, paper = image.copy(), int(np.median(prepared.gray))
                cv2.line(out, start, end, paper, 2 * reach + 1)
    return out


def cell_interior(gray: np.ndarray, bbox, ppp: float) -> np.ndarray:
    """The cell's image inside its rulings (the bbox runs along the middle of its border lines)."""
    x0, y0, x1, y1 = (int(round(v / ppp)) for v in bbox)
    inset = max(2, int(round(0.012 * 72 / ppp)))
    return gray[max(0, y0 + inset):max(0, y1 - inset), max(0, x0 + inset):max(0, x1 - inset)]


def cell_core(interior: np.ndarray) -> tuple[slice, slice]:
    """The middle of a cell's interior, away from its borders, where a ruling's blurred fringe
    stays darker than the paper."""
    h, w = interior.shape[:2]
    return slice(int(0.2 * h), int(0.8 * h) + 1), slice(int(0.1 * w), int(0.9 * w) + 1)


def blank_confidence(gray: np.ndarray, bbox, ppp: float, bilevel: bool = False) -> float:
    """How sure a cell without readable ink is blank: sure on clean paper; not where something
    darker than the paper's noise is there, too faint to read (a washed-out digit), nor, on a
    1-bit page, where black pixels are left that no glyph's worth of ink makes (the remnants of
    a digit whose strokes the scanner's threshold cut to specks: a blank paper of a 1-bit scan
    holds none), nor where the cell is too low to print a figure in (a pen stroke taken for a
    rule cut a sliver off its row: its value is in the rest)."""
    if bbox[3] - bbox[1] < MIN_FIGURE_PT:
        return 0.5
    whole = cell_interior(gray, bbox, ppp)
    middle = cell_core(whole)
    core = np.zeros(whole.shape, bool)
    core[middle] = True
    inner = whole[middle]
    if inner.size == 0 or min(inner.shape) < 4:
        return 0.5
    if bilevel:
        # The paper's own specks, as thick in the cell's margin, allowed for ("—" of a heavy
        # threshold's noise); its rulings' remains in the outermost pixels left out.
        ink = whole < 128
        ink[:2], ink[-2:], ink[:, :2], ink[:, -2:] = False, False, False, False
        if np.count_nonzero(ink & core) >= BILEVEL_DOTS + _speck_allowance(ink, core):
            return 0.5
    smooth = cv2.medianBlur(np.ascontiguousarray(inner), 3)
    contrast = float(np.median(smooth)) - float(np.partition(smooth.ravel(), 10)[10])
    return 1.0 if contrast < FAINT_INK_CONTRAST else 0.5


def is_covered(gray: np.ndarray, bbox, ppp: float) -> bool:
    """Whether a cell shows no paper in its middle (COVERED_GREY): a black box over its value
    (a redaction) or a dark fill. Taken for a ruling and painted over, such a cell looked blank
    to both readers, and blanks summed so confirmed each other. `gray`: the page as prepared,
    rulings not painted over."""
    inner = cell_interior(gray, bbox, ppp)
    inner = inner[cell_core(inner)]
    return inner.size > 0 and float(np.median(inner)) < COVERED_GREY


def ink_on_paper(image: np.ndarray) -> np.ndarray:
    """Ink (1) where the image is clearly darker than its paper (the median): a mark's shape, a
    1-bit page's lone grey pixels, a speck."""
    return (image < int(np.median(image)) - 40).astype(np.uint8)


def ink_off_stroke(gray: np.ndarray, bbox, ppp: float, stroke: np.ndarray, specks: float = 0.0) -> bool:
    """Whether ink lies off the line of the cell's stroke, where a digit it could be part of
    would print, beyond the specks of the paper around it: a "—" or "/" the threshold broke into
    pieces has its pieces along its own line; a digit cut to one stroke keeps dots of the rest
    (a 2's foot and its arc). Paper noise that a heavy threshold turned to specks lies all over
    the cell, as thick beside the stroke as away from it. `stroke`: the image of the stroke
    (cropped to its ink) that told the mark; `specks`: the share of the page's bare paper that
    is ink (paper_specks), the least the cell's specks are taken for."""
    inner = cell_interior(gray, bbox, ppp)
    inner = inner[cell_core(inner)]
    if inner.size == 0:
        return False
    # Ink as is_dash tells it, against the paper: rendered, a 1-bit page's lone pixels (all that
    # a light threshold may leave of a "12" beside its 2's foot, and the specks a heavy one
    # leaves of the paper's noise) come out grey, not black.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink_on_paper(inner), connectivity=8)
    if count <= 2:
        return False
    ink = labels > 0
    yy, xx = np.mgrid[0:inner.shape[0], 0:inner.shape[1]]
    reach = max(2.0, OFF_STROKE_IN * 72 / ppp)
    # The stroke: the line through one of the larger pieces that most of the ink lies along
    # (a broken stroke's pieces, all of them).
    along, centre = None, (0.0, 0.0)
    for seed in 1 + np.argsort(-stats[1:count, cv2.CC_STAT_AREA])[:3]:
        ys, xs = np.nonzero(labels == seed)
        vx, vy, x0, y0 = cv2.fitLine(np.column_stack([xs, ys]).astype(np.float32), cv2.DIST_L2, 0, 0.01, 0.01).ravel()
        on = ink & (np.abs((xx - x0) * vy - (yy - y0) * vx) <= reach)
        if along is None or np.count_nonzero(on) > np.count_nonzero(along):
            along, centre = on, (float(x0), float(y0))
    off = ink & ~along
    # Where the digit would be, the stroke its top or foot: the stroke's length to either side
    # of it, twice that above and below (digits stand taller than wide).
    side = max(stroke.shape[:2])
    near = (np.abs(xx - centre[0]) <= side) & (np.abs(yy - centre[1]) <= 2 * side)
    return np.count_nonzero(off & near) >= BILEVEL_DOTS + _speck_allowance(off, near, specks)


def _speck_allowance(ink: np.ndarray, near: np.ndarray, specks: float = 0.0) -> float:
    """Ink pixels the paper's specks would put in the `near` part of a cell, judged by their
    density in the rest of it or on the page's bare paper (`specks`), whichever is more (a tall
    mark leaves little of its cell far from it), with room for their chance clumping."""
    far, count = int(np.count_nonzero(~near)), int(np.count_nonzero(near))
    density = max(np.count_nonzero(ink & ~near) / far if far else 0.0, specks)
    expected = density * count
    return expected + 4.0 * float(np.sqrt(expected))


# The page's bare paper: a strip this far (inches) in from each edge, past the outermost.
PAPER_STRIP_IN = (0.05, 0.3)


def paper_specks(gray: np.ndarray, ppp: float) -> float:
    """The share of the page's bare paper that is ink: the specks a heavy 1-bit threshold leaves
    of the paper's noise, none on a light one. Measured in a strip along each edge, where no
    report prints, and of the four the least (a page number or a scan's shifted text may reach
    one; the noise is everywhere)."""
    outer, inner = (max(1, int(round(v * 72 / ppp))) for v in PAPER_STRIP_IN)
    h, w = gray.shape[:2]
    if min(h, w) <= 2 * inner:
        return 0.0
    strips = [gray[outer:inner, outer:w - outer], gray[h - inner:h - outer, outer:w - outer],
              gray[inner:h - inner, outer:inner], gray[inner:h - inner, w - inner:w - outer]]
    return min(np.count_nonzero(ink_on_paper(s)) / s.size for s in strips)


def cell_line_images(gray: np.ndarray, bbox, ppp: float) -> list[np.ndarray]:
    """The cell's text lines as separate images, each cropped to its ink (empty: no ink)."""
    return cell_lines_to_read(gray, None, bbox, ppp)[0]


def cell_lines_to_read(gray: np.ndarray, soft: Optional[np.ndarray], bbox, ppp: float
                       ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The cell's lines (cell_line_images), and the lines to read: the same, but where `soft`
    (a 1-bit page softened) holds ink of a one-line cell beyond the blur's spread past the
    line's crop, the crop holds that too. The dots that a threshold cut a glyph's hairlines to
    are specks one by one, left out of the crop (a 240 whose 2 is dots read "10" from its "40");
    softened, they merge into a stroke as dark as the print, where a lone speck fades."""
    inner = _cell_inner(gray, bbox, ppp)
    min_glyph = _min_glyph_px(ppp)
    box = ink_bbox(inner, min_glyph) if inner is not None else None
    if box is None:
        return [], []
    crop = crop_to_box(inner, box)
    bands = split_lines(crop)
    lines = _lines_of(crop, bands, min_glyph)
    if soft is None or len(bands) != 1 or len(lines) != 1:
        return lines, lines
    spread = int(np.ceil(2 * BILEVEL_SOFTEN_IN * 72 / ppp))
    wider = _reaching_past(box, ink_bbox(_cell_inner(soft, bbox, ppp), min_glyph), spread)
    if wider == box:
        return lines, lines
    crop = crop_to_box(inner, wider)
    return lines, _lines_of(crop, split_lines(crop), min_glyph)


def _min_glyph_px(ppp: float) -> int:
    """The smallest glyph worth reading, in pixels: a "1" or "、" of 7 pt text is about 0.03 inch
    tall."""
    return max(3, int(round(0.03 * 72 / ppp)))


def _cell_inner(gray: np.ndarray, bbox, ppp: float) -> Optional[np.ndarray]:
    """The cell's interior with the slivers of its border painted over; None where too small."""
    inner = cell_interior(gray, bbox, ppp)
    if inner.size == 0 or min(inner.shape) < 4:
        return None
    return _without_border_slivers(inner, _sliver_px(ppp))


def _lines_of(crop: np.ndarray, bands: list[np.ndarray], min_glyph: int) -> list[np.ndarray]:
    """The lines of a cell's crop, split_lines(crop) given as `bands`."""
    if len(bands) == 1:
        bands = _side_by_side_lines(crop)
    if len(bands) == 1:
        # One line, cropped already. Cropped again, a mark that spans its own crop (a thin "—")
        # would be taken for a ruling across it and dropped: the cell would read blank.
        return [crop]
    return [c for c in (crop_to_ink(band, min_glyph_px=min_glyph) for band in bands) if c is not None]


def _reaching_past(box: tuple, other: Optional[tuple], spread: int) -> tuple:
    """`box`, each edge moved out to `other`'s where that reaches more than `spread` px past it."""
    if other is None:
        return box
    x0, y0, x1, y1 = box
    return (other[0] if other[0] < x0 - spread else x0, other[1] if other[1] < y0 - spread else y0,
            other[2] if other[2] > x1 + spread else x1, other[3] if other[3] > y1 + spread else y1)


def _side_by_side_lines(crop: np.ndarray) -> list[np.ndarray]:
    """The lines of a cell that holds two blocks of text side by side, their lines staggered so
    that no empty row parts any two (a label set down a merged cell, "（五）不 / 予处理", beside
    a wrapped label of its own column, in a table drawn with no rule): parted at the widest gap
    its ink leaves, each block's lines, left to right, where one block has two or more. Else the
    crop alone, one line."""
    ink = ink_mask(crop)
    gaps = [(a, b) for a, b in runs_of(~ink.any(axis=0)) if a > 0 and b < crop.shape[1]]
    if not gaps:
        return [crop]
    a, b = max(gaps, key=lambda gap: gap[1] - gap[0])
    # Most cells hold one line: no empty row parts either side's ink.
    if all(len(runs_of(side.any(axis=1))) < 2 for side in (ink[:, :a], ink[:, b:])):
        return [crop]
    blocks = [split_lines(crop[:, :a]), split_lines(crop[:, b:])]
    lines = [line for block in blocks for line in block]
    heights = [ink_height(line) for line in lines]
    # Lines of text alike, each block's, in a crop two of them tall: not a glyph whose strokes
    # stand apart (章 of a label set 规  章) beside another.
    if all(len(block) == 1 for block in blocks) or min(heights) < SIDE_BY_SIDE_ALIKE * max(heights) \
            or ink_height(crop) < 2 * max(heights):
        return [crop]
    return lines


def second_look_reader(prepared: PreparedPage, bilevel: bool = False):
    """A cell's image for the second recognizer, prepared apart from the first reader's: from the
    page as prepared (rulings not painted over), further inside the cell's borders, cropped to
    its ink loosely. Where the first reader's preparation lost or invented a stroke, this one
    need not. Returns (the crop, None where no ink is there; with `lines`, the crop's lines as well,
    one image each, as the one-line model reads a value whose note wraps ("31（含自然失效6" over
    "件）"), [] where it holds one line or `lines` is not asked)."""
    ppp = prepared.points_per_pixel
    gray = prepared.gray
    inset = max(2, int(round(SECOND_LOOK_INSET_IN * 72 / ppp)))
    min_glyph = _min_glyph_px(ppp)
    # Not on a 1-bit page: there a digit the threshold cut to its foot would read "一" too.
    line_px = 0 if bilevel else int(round(SECOND_LOOK_LINE_IN * 72 / ppp))

    def image(bbox, lines: bool = False) -> tuple[Optional[np.ndarray], list[np.ndarray]]:
        x0, y0, x1, y1 = (int(round(v / ppp)) for v in bbox)
        inner = gray[max(0, y0 + inset):max(0, y1 - inset), max(0, x0 + inset):max(0, x1 - inset)]
        if inner.size == 0 or min(inner.shape) < 4:
            return None, []
        inner = _without_border_slivers(inner, _sliver_px(ppp))
        crop = crop_to_ink(inner, margin_ratio=SECOND_LOOK_MARGIN, min_glyph_px=min_glyph, min_height_px=line_px)
        if not lines or crop is None or len(bands := split_lines(crop)) < 2:
            return crop, []
        return crop, [c for c in (crop_to_ink(band, margin_ratio=SECOND_LOOK_MARGIN, min_glyph_px=min_glyph,
                                              min_height_px=line_px) for band in bands) if c is not None]
    return image


def is_dash(crop: np.ndarray, ppp: float, faint: bool = True) -> bool:
    """Whether a cell's ink is one horizontal bar: "—", "–" or "-" (not a digit, not a dot).
    faint: a faint bar is one too, in pieces or barely darker than the paper; not on a 1-bit
    page, where a digit the threshold cut may leave such pieces of its foot and nothing else."""
    ink = ink_on_paper(crop)
    if faint:
        paper, darkest = int(np.median(crop)), int(np.partition(crop.ravel(), 3)[3])
        if 2 * DASH_INK_CONTRAST <= paper - darkest < 80:
            # A hairline dash of a 100 dpi scan is barely 40 grey levels under its paper, where
            # ink_on_paper draws the line: for so faint a mark, ink is what lies past half of that.
            ink = (crop < paper - (paper - darkest) // 2).astype(np.uint8)
        # A faint bar (a photo's, a copy's) breaks where its grey grazes the threshold: pieces
        # in line, a few pixels apart, are one bar. Closing along the line leaves a digit as
        # tall as it was.
        bridge = max(2, int(round(DASH_GAP_IN * 72 / ppp)))
        ink = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((1, bridge + 1), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    parts = sorted((st for st in stats[1:count]), key=lambda st: -st[4])
    if not parts or any(st[4] > 0.1 * parts[0][4] for st in parts[1:]):
        return False            # more than one real stroke (specks aside)
    _, y, w, h, area = parts[0]
    # Nor dots off its line as many as a stroke's: a faded 7 keeps its bar and dots of its stem.
    if sum(st[4] for st in parts[1:] if st[1] + st[3] < y or st[1] > y + h) > 0.1 * area:
        return False
    thin = h <= max(3, 0.035 * 72 / ppp)          # a bar is at most ~2.5 pt thick
    # Some ink in each column on average: a hairline bar leaning a pixel or two on a photo
    # fills only a third of its box.
    return thin and w >= 3 * h and area >= w


def mark_among_specks(gray: np.ndarray, bbox, ppp: float, line: np.ndarray, specks: float) -> Optional[str]:
    """The blank mark ("—" or "/") of a cell whose line holds specks beside it (a photocopy's
    toner dust, a photo's grain): its largest piece alone is the mark, and no ink lies off that
    stroke's line where a digit it could be part of would print, beyond the paper's `specks`
    (ink_off_stroke: a faded 7's bar keeps dots of its stem there). None otherwise."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink_on_paper(line), connectivity=8)
    if count < 3:
        return None             # one piece: the shape tests have judged it as it is
    largest = 1 + int(np.argmax(stats[1:count, cv2.CC_STAT_AREA]))
    stroke = line.copy()
    stroke[(labels > 0) & (labels != largest)] = int(np.median(line))
    x, y, w, h = stats[largest, :4]
    margin = 2
    stroke = stroke[max(0, y - margin):y + h + margin, max(0, x - margin):x + w + margin]
    mark = "—" if is_dash(stroke, ppp) else "/" if is_slash(stroke, ppp) else None
    if mark is None or ink_off_stroke(gray, bbox, ppp, stroke, specks):
        return None
    return mark


def is_faint_dash(gray: np.ndarray, bbox, ppp: float) -> bool:
    """Whether a cell in which no ink was found holds a dash "—" one pixel thin: the ink test's
    3x3 median wipes such a bar (a thin dash in a 150 dpi scan), and the faint something left
    would make a doubtful blank of every "—" of the page. A dash is a bar at least DASH_MIN_IN
    long (a speck of paper noise is not)."""
    inner = cell_interior(gray, bbox, ppp)
    if inner.size == 0 or min(inner.shape) < 4:
        return False
    inner = _without_border_slivers(inner, _sliver_px(ppp))
    paper = int(np.median(inner))
    ys, xs = np.nonzero(inner < paper - 40)
    if xs.size == 0 or xs.max() - xs.min() + 1 < DASH_MIN_IN * 72 / ppp:
        return False
    pad = max(2, int(round(0.02 * 72 / ppp)))
    top, bottom = max(0, ys.min() - pad), ys.max() + pad + 1
    # Nothing else faintly there: the bar of a washed-out "7" whose hairline stroke faded
    # further is not a dash.
    elsewhere = np.concatenate([inner[:top].ravel(), inner[bottom:].ravel()])
    if np.count_nonzero(elsewhere < paper - FAINT_INK_CONTRAST) >= SPECK_AREA:
        return False
    return is_dash(inner[top:bottom, max(0, xs.min() - pad):xs.max() + pad + 1], ppp)


def is_slash(crop: np.ndarray, ppp: float) -> bool:
    """Whether a cell's ink is one straight thin stroke leaning right, "/" (not "1", which
    stands upright, nor "7", whose top bar leaves the stroke's line). A 1-bit scan's threshold
    breaks a hairline "/" into pieces: pieces on one line that together cover most of its length
    are that one stroke (pieces off the line make it thick, and no "/")."""
    ink = ink_mask(crop)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    parts = sorted(range(1, count), key=lambda k: -stats[k][4])
    if not parts:
        return False
    # Specks beside the stroke are no part of it.
    pieces = [k for k in parts if stats[k][4] > PIECE_SHARE * stats[parts[0]][4]]
    ys, xs = np.nonzero(np.isin(labels, pieces))
    if ys.size < 10:
        return False
    pts = np.column_stack([xs, ys]).astype(np.float64)
    centre = pts.mean(axis=0)
    _, _, axes = np.linalg.svd(pts - centre, full_matrices=False)
    direction, normal = axes[0], axes[1]
    # Angle from the horizontal, positive when the stroke rises to the right (image y is down).
    angle = np.degrees(np.arctan2(-direction[1], direction[0]))
    angle = angle + 180 if angle < 0 else angle
    along = (pts - centre) @ direction
    across = np.abs((pts - centre) @ normal)
    length = float(along.max() - along.min())
    # One piece may stray a little off its line (a speck touching it). Every pixel of a broken
    # stroke's pieces keeps to one line, a hairline's width about it: pieces of a glyph with a
    # neighbour's leftover beside it lie along a band of their own.
    if len(pieces) == 1:
        thin = float(np.percentile(across, 95)) <= max(2.0, 0.02 * 72 / ppp)
    else:
        thin = float(across.max()) <= max(2.0, 0.01 * 72 / ppp)
    return SLASH_DEG[0] <= angle <= SLASH_DEG[1] and thin and length >= 0.06 * 72 / ppp \
        and _one_stroke(along, labels[ys, xs])


def _one_stroke(along: np.ndarray, piece_of: np.ndarray) -> bool:
    """Whether pieces of ink (`piece_of`: each pixel's piece; `along`: its position along their
    common line) are one stroke the threshold broke: they follow one another along it, each
    about where the last ended (STROKE_OVERLAP; the two sides of a "0" lie beside one another),
    and cover DASH_COVER of its length."""
    spans = sorted((float(along[piece_of == k].min()), float(along[piece_of == k].max()))
                   for k in np.unique(piece_of))
    covered, reach, lengths = 0.0, spans[0][0], 0.0
    for start, end in spans:
        covered += max(0.0, end - max(start, reach))
        reach = max(reach, end)
        lengths += end - start
    return covered >= DASH_COVER * (reach - spans[0][0]) and lengths <= STROKE_OVERLAP * max(covered, 1e-9)


def _sliver_px(ppp: float) -> int:
    """SLIVER_IN in pixels of an image of `ppp` points a pixel."""
    return max(2, int(round(SLIVER_IN * 72 / ppp)))


def _without_border_slivers(inner: np.ndarray, max_width: int) -> np.ndarray:
    """Paint over thin straight strokes that touch the cell's border: what is left of a ruling
    (its blurred edge, a piece the rule mask missed) or of a seal's ring (grey where its red was
    lost) reads as "1", "|" or "N" beside a cell's value; and thin strokes across the cell, a
    frame inside its rules (FRAME_EDGE). Text is kept inside its cell by the cell's padding and
    does not touch the border. (Over all components at once: a 1-bit page's cells hold hundreds
    of dots.)"""
    background = int(np.median(inner))
    ink = (inner < background - 40).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    h, w = inner.shape[:2]
    x, y, cw, ch, area = (stats[1:count, i] for i in range(5))
    touches = (x == 0) | (y == 0) | (x + cw == w) | (y + ch == h)
    length = np.hypot(cw, ch)                   # along a straight stroke, at any angle
    thickness = area / length
    remove = np.zeros(count, bool)
    remove[1:] = touches & (thickness <= max_width) & (length >= SLIVER_ELONGATION * np.maximum(thickness, 1.0))
    remove[list(_frame_sides(stats[:count], w, h, max_width))] = True
    if not remove.any():
        return inner
    out = inner.copy()
    out[remove[labels]] = background
    return out


def _frame_sides(stats: np.ndarray, w: int, h: int, max_width: int) -> set[int]:
    """The components (labels of connectedComponentsWithStats) that are the sides of a frame
    inside a cell (FRAME_EDGE): pairs of thin strokes alongside each other at opposite sides, or
    one closed box of thin strokes (at most max_width thick) round the middle."""
    x, y, cw, ch, area = (stats[1:, i].astype(np.int64) for i in range(5))
    box = (x <= FRAME_EDGE * w) & (x + cw >= (1 - FRAME_EDGE) * w) & (y <= FRAME_EDGE * h) \
        & (y + ch >= (1 - FRAME_EDGE) * h) & (area <= max_width * 2 * (cw + ch))
    out: set[int] = {int(k) + 1 for k in np.flatnonzero(box)}
    for across, along, size, extent in ((0, 1, 2, 3), (1, 0, 3, 2)):   # vertical sides, then horizontal
        span, depth = (w, h) if across == 0 else (h, w)
        # A side as thick as a rule of a point or so, blurred: up to twice a sliver's width.
        sides = [int(k) + 1 for k in np.flatnonzero((stats[1:, size] <= 2 * max_width)
                                                     & (stats[1:, extent] >= 0.5 * depth))]
        near = [k for k in sides if stats[k][across] <= FRAME_EDGE * span]
        far = [k for k in sides if stats[k][across] + stats[k][size] >= (1 - FRAME_EDGE) * span]
        for a in near:
            for b in far:
                a0, a1 = int(stats[a][along]), int(stats[a][along] + stats[a][extent])
                b0, b1 = int(stats[b][along]), int(stats[b][along] + stats[b][extent])
                if min(a1, b1) - max(a0, b0) >= FRAME_ALIKE * min(a1 - a0, b1 - b0):
                    out |= {a, b}
    return out


def split_lines(crop: np.ndarray) -> list[np.ndarray]:
    """Split a cell's ink into text lines at empty horizontal gaps (labels wrap inside cells).

    Ink is judged against the crop's own contrast (faint print included), and a gap narrower
    than a line's leading is a glyph's thin stroke washed out by blur ("2", "5"), not a break.
    """
    mask = ink_mask(crop)
    # Specks of noise in the gap between two lines would bridge it.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    specks = np.flatnonzero(stats[1:count, cv2.CC_STAT_AREA] < SPECK_AREA) + 1
    if specks.size:
        mask[np.isin(labels, specks)] = 0
    bands = [list(run) for run in runs_of(mask.any(axis=1))]
    if not bands:
        return [crop]
    typical = max(b - a for a, b in bands)
    min_gap = max(2, int(round(MIN_LINE_GAP * typical)))
    joined = [bands[0]]
    for a, b in bands[1:]:
        if a - joined[-1][1] < min_gap:
            joined[-1][1] = b
        else:
            joined.append([a, b])
    bands = joined
    # Short bands (a dash, a dot's row, the foot of a "2" cut off by a washed-out stroke) belong
    # with a neighbour: a line of text is about as tall as the others.
    typical = max(b - a for a, b in bands)
    merged: list[list[int]] = []
    for a, b in bands:
        short = MIN_LINE_HEIGHT * typical
        if merged and (b - a < short or merged[-1][1] - merged[-1][0] < short):
            merged[-1][1] = b
        else:
            merged.append([a, b])
    merged = [part for a, b in merged for part in _touching_lines(mask, a, b)]
    if len(merged) == 1:
        return [crop]
    # Each line in paper above and below, as a single line's crop has: cut flush, a line's
    # upright strokes ("1", "十") would run its full height and pass for ruling leftovers.
    background = int(np.median(crop))
    return [cv2.copyMakeBorder(crop[a:b, :], max(2, (b - a) // 4), max(2, (b - a) // 4), 0, 0,
                               cv2.BORDER_CONSTANT, value=background) for a, b in merged]


def _touching_lines(mask: np.ndarray, a: int, b: int) -> list[list[int]]:
    """Rows a..b of a cell's ink mask as the lines they hold: one band where no empty row parts
    them, several where lines set close touch (a descender reaching the line below; labels set
    at single spacing in a 150 dpi scan). The band holds about its height over a line's pitch
    of lines, a line's height told by its glyphs' pieces; it is cut only at rows of little ink
    near where each line should end — a single line, whose middle rows are full of ink, is
    never cut."""
    band = mask[a:b]
    count, _, stats, _ = cv2.connectedComponentsWithStats(band, connectivity=8)
    heights = stats[1:count, cv2.CC_STAT_HEIGHT][stats[1:count, cv2.CC_STAT_AREA] >= SPECK_AREA]
    if heights.size < 4:
        return [[a, b]]
    glyph = float(np.percentile(heights, 75))
    lines = int(round((b - a) / (LINE_PITCH * glyph)))
    if lines < 2:
        return [[a, b]]
    profile = band.sum(axis=1).astype(float)
    full = float(np.median(profile[profile > 0]))
    step = (b - a) / lines
    cuts = []
    for j in range(1, lines):
        lo, hi = int(j * step - 0.3 * step), int(j * step + 0.3 * step) + 1
        r = lo + int(np.argmin(profile[lo:hi]))
        if profile[r] > THIN_ROW_SHARE * full:
            return [[a, b]]         # no row of little ink where a line should end: one line
        cuts.append(r)
    edges = [0] + cuts + [b - a]
    return [[a + top, a + bottom] for top, bottom in zip(edges, edges[1:]) if bottom > top]


_NUMBER = re.compile(r"^\d[\d.]*$")
_NUMERIC_LIKE = re.compile(r"^[\s\d.,，。·\-－—/%元万]*$")
_DOT_AT_END = re.compile(r"^(?=[.·。]|.*[.·。]$)[.·。]?(\d+)[.·。]?$")
# A reading corrected by dropping a stray mark keeps at most this confidence: flagged for review.
STRAY_MARK_CONFIDENCE = 0.5


def _reexamine_numbers(engine, text_image: np.ndarray, ppp: float, jobs) -> None:
    """A reading that is mostly digits with stray characters is read again, not passed through.

    Second looks: the recognizer's own alternatives, then the crop binarised and enlarged. A clean
    number from a second look replaces the reading at no more than the first reading's
    confidence, so a doubtful cell stays flagged.
    """
    for cell, n in jobs:
        m = _DOT_AT_END.match(cell.text) if n == 1 else None
        if m:
            # No number is printed with a point before or after it: the point is a speck of
            # noise beside the digits (or a digit after it was lost). The digits, with doubt.
            cell.text, cell.confidence = m.group(1), min(cell.confidence, STRAY_MARK_CONFIDENCE)
        zeros = _as_broken_zeros(cell.text) if n == 1 else None
        if zeros is not None:
            # The recognizer's other spellings are the same misreading: none may outvote it.
            cell.text, cell.confidence = zeros, min(cell.confidence, STRAY_MARK_CONFIDENCE)
            cell.alternatives = []
    suspects = [cell for cell, n in jobs
                if n == 1 and sum(ch.isdigit() for ch in cell.text) >= max(1, len(cell.text) // 2)
                and not _NUMERIC_LIKE.match(cell.text)]
    if not suspects:
        return
    crops, owners = [], []
    for cell in suspects:
        for alt, conf in cell.alternatives:
            if _NUMERIC_LIKE.match(alt):
                cell.alternatives.insert(0, (cell.text, cell.confidence))
                cell.text, cell.confidence = alt, min(conf, cell.confidence)
                break
        else:
            lines = cell_line_images(text_image, cell.bbox, ppp)
            if lines:
                crops.append(_enhanced(lines[0]))
                owners.append(cell)
    for cell, reading in zip(owners, engine.recognize(crops) if crops else []):
        if _NUMERIC_LIKE.match(reading.text) and any(ch.isdigit() for ch in reading.text):
            cell.alternatives.insert(0, (cell.text, cell.confidence))
            # The first reading disagreed: the second can't be more certain than the first was.
            cell.text, cell.confidence = reading.text, min(reading.confidence, cell.confidence)


_BRACKET_PAIR = re.compile(r"[(（{\[][.·]?[)）}\]]")
_BRACKET_BY_ZERO = re.compile(r"[(（{\[]0|0[)）}\]]")


def _as_broken_zeros(text: str) -> Optional[str]:
    """A "0" whose top and bottom the scanner's threshold cut is two arcs, which the recognizer
    reads "()", "(}" or "0)": as digits, with every such pair a zero ("2()" is 20). None where
    the text is not all digits so read."""
    zeros = _BRACKET_BY_ZERO.sub("0", _BRACKET_PAIR.sub("0", text.strip()))
    return zeros if zeros != text.strip() and zeros.isdigit() else None


def _enhanced(crop: np.ndarray) -> np.ndarray:
    big = cv2.resize(crop, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    _, binary = cv2.threshold(big, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary


# --- title --------------------------------------------------------------------------------------

def read_title_region(engine, prepared: PreparedPage, boxes: Optional[list] = None,
                      first: int = TITLE_BATCH) -> list[TextLine]:
    """Text lines of the top of the page (points of the prepared page), top to bottom, read only
    as far as the title goes: the lines under it are prose, which costs ~0.1 s a line to read.

    `boxes`: the lines' boxes (pixels, top first) where the caller knows them (a text layer's
    lines), `first` of them read before the title is looked for; where no title is read in
    them, the lines are found by the detector as on a scan."""
    from .grid_image import dark_ink
    from .title import find_title

    top = prepared.gray[: int(prepared.gray.shape[0] * TITLE_REGION)]
    if boxes:
        lines = _read_title_lines(engine, top, boxes, prepared.points_per_pixel, first)
        if find_title(lines) is not None:
            return lines
    dark = dark_ink(prepared)[: top.shape[0]]
    found = [b for b in (within_print(dark, box) for box in line_boxes(engine, top, prepared.dpi)) if b]
    return _read_title_lines(engine, top, found, prepared.points_per_pixel)


def within_print(dark: np.ndarray, box: tuple) -> Optional[tuple]:
    """A detected line's box narrowed to where its ink is as dark as print (`dark`:
    grid_image.dark_ink), with the detector's margin; None where none of it is. Thin paper shows
    the back page's lines through, mirrored and pale: the detector joins one beside the title
    to it, and the title came out with their characters appended."""
    x0, y0, x1, y1 = box
    columns = np.flatnonzero(dark[int(y0):int(np.ceil(y1)), int(x0):int(np.ceil(x1))].any(axis=0))
    if columns.size == 0:
        return None
    pad = 0.15 * (y1 - y0)
    return (max(x0, x0 + columns[0] - pad), y0, min(x1, x0 + columns[-1] + 1 + pad), y1)


def _read_title_lines(engine, top: np.ndarray, boxes: list, ppp: float, first: int = TITLE_BATCH
                      ) -> list[TextLine]:
    from .title import title_complete

    lines: list[TextLine] = []
    start = 0
    while start < len(boxes):
        end = start + (first if start == 0 else TITLE_BATCH)
        lines += _read_lines(engine, top, boxes[start:end], ppp)
        start = end
        if title_complete(lines):
            break
    return sorted(lines, key=lambda l: (round(l.bbox[1] / 6), l.bbox[0]))


def read_prose_lines(engine, gray: np.ndarray, dpi: float, grids: list[Grid]) -> list[TextLine]:
    """The page's lines of text outside its tables (points of the prepared page `gray`, the
    frame the grids were found in), top to bottom. Lines are sought only in the rows that hold
    ink outside the tables: on a table page, the detector's time goes mostly to the tables
    otherwise."""
    ppp = 72.0 / dpi
    tables = [tuple(v / ppp for v in g.bbox) for g in grids]
    return _read_lines(engine, gray, lines_outside(engine, gray, dpi, tables), ppp)


def spaced_grids(engine, prepared: PreparedPage, page: int, bilevel: bool = False) -> list[Grid]:
    """The tables of a scanned page drawn with no rule at all (a Word table with its borders off,
    printed and scanned), as text layers' are found (pipeline.grid_pdf.spaced_rulings): from the
    page's lines of text, detected, cut where their ink leaves a gap of SPACED_GAP line heights
    (the detector runs a label and the figure beside it into one line) and read piece by piece,
    each character given its share of its piece's width (a CJK character twice a digit's); the
    pieces wider than a value only near the tables the others make. Cells are marked
    placed_by_spacing. A label's cell holds the reading of its pieces (_labels_as_read), except
    on a 1-bit page (`bilevel`), whose cells are read softened while its pieces are not
    (softened, a lone slash reads as nothing and its row loses the figure that makes it a row);
    the others hold no text yet: read_grid_cells reads them from the pixels as any scanned cell,
    through the `engine` that read the pieces (an ocr.ReadingMemo: a value read as a piece is
    not read again, _piece_crop)."""
    from .grid_pdf import Char, find_tables, spaced_rulings, table_grid

    gray, ppp = prepared.gray, prepared.points_per_pixel
    pieces = []
    for x0, y0, x1, y1 in line_boxes(engine, gray, prepared.dpi):
        top, bottom, left = int(y0), int(np.ceil(y1)), int(x0)
        crop = gray[top:bottom, left:int(np.ceil(x1))]
        if crop.size == 0:
            continue
        ink = _own_ink(ink_mask(crop))
        # As tall as the line's ink, each piece (a blank's dash alone is no line's height), and
        # cut at gaps of that height's share: the detector's box is taller than its text.
        rows = np.flatnonzero(ink.any(axis=1))
        if not len(rows):
            continue
        gap = SPACED_GAP * (rows[-1] + 1 - rows[0])
        runs: list[list[int]] = []
        for a, b in runs_of(ink.any(axis=0)):
            if runs and a - runs[-1][1] < gap:
                runs[-1][1] = b
            else:
                runs.append([a, b])
        pieces += [(left + a, top + rows[0], left + b, top + rows[-1] + 1) for a, b in runs]
    glyphs, dashes = _lone_marks(gray, pieces)
    # A line of prose is one piece as wide as PROSE_SHARE of the page's text or wider, which no
    # cell of a table with two columns or more holds: it is left unread (the half of the time
    # the page took), a row of words that parts no table from its rows and gives it none.
    text_width = max((p[2] for p in pieces), default=0) - min((p[0] for p in pieces), default=0)
    prose = [p for p in pieces if p[2] - p[0] >= PROSE_SHARE * text_width and not any(
        q is not p and min(p[3], q[3]) > max(p[1], q[1]) for q in pieces)]
    to_read = [p for p in pieces if p not in prose] + glyphs
    # Each piece as tall as the page's text at least, about its ink's middle, as a text layer's
    # characters are as tall as their font (a figure's ink is shorter than a word's): how far
    # apart two rows' texts and a cell's lines stand is measured between such boxes.
    em = float(np.percentile([y1 - y0 for _, y0, _, y1 in to_read], 75)) * ppp if to_read else 0.0

    def as_tall_as_text(box: tuple) -> tuple:
        x0, y0, x1, y1 = box
        return (x0, (y0 + y1 - em) / 2.0, x1, (y0 + y1 + em) / 2.0) if y1 - y0 < em else box

    def tables(lines: list[TextLine], words: list) -> list[Grid]:
        # A piece left unread (`words`) is one word as wide as itself, a figure of none.
        chars = [Char("文", (x0 * ppp, y0 * ppp, x1 * ppp, y1 * ppp)) for x0, y0, x1, y1 in prose]
        chars += [Char("文", as_tall_as_text(tuple(v * ppp for v in box))) for box in words]
        for line in lines:
            x0, y0, x1, y1 = as_tall_as_text(line.bbox)
            # A row's figures tell the rows apart: a 0 read "O" is a figure's character too.
            text = as_figures(line.text)
            widths = [1.0 if ord(ch) > 0x2E7F else 0.5 for ch in text]
            unit = (x1 - x0) / sum(widths)
            at = x0
            for ch, w in zip(text, widths):
                if not ch.isspace():
                    chars.append(Char(ch, (at, y0, at + w * unit, y1)))
                at += w * unit
        chars += [Char("—", tuple(v * ppp for v in box)) for box in dashes]
        rulings = spaced_rulings(chars)
        return [table_grid(table, rulings, page) for table in find_tables(rulings)] if rulings else []

    def read(boxes: list) -> list[TextLine]:
        # Cut to their ink already, pieces are read as cells are (narrow: a third of the time),
        # with a cell's margin, except on a 1-bit page (whose cells are read softened).
        return _read_lines(engine, gray, boxes, ppp, tight=True,
                           crops=None if bilevel else [_piece_crop(gray, box, ppp) for box in boxes])

    # A piece wider than a value holds words (a figure beside them is no figure word of a row):
    # read only where a table found by the pieces that may be values reaches, or comes within
    # NEAR_TABLE_EM lines of (a header above it, a label's last line below). Most of a page's
    # text outside its tables is such (a paragraph's last line, prose cut at a quotation mark).
    wide = [p for p in to_read if p[2] - p[0] > VALUE_PIECE_EM * (p[3] - p[1])]
    lines = read([p for p in to_read if p not in wide])
    grids = tables(lines, wide)
    reach = NEAR_TABLE_EM * em
    near = [p for p in wide if any(grid.bbox[1] - reach < p[3] * ppp and p[1] * ppp < grid.bbox[3] + reach
                                   for grid in grids)]
    if near:
        lines += read(near)
        grids = tables(lines, [p for p in wide if p not in near])
    for grid in grids:
        for cell in grid.cells:
            cell.placed_by_spacing = True
        if not bilevel:
            _labels_as_read(grid.cells, lines, gray, ppp)
    return grids


def _labels_as_read(cells: list[GridCell], lines: list[TextLine], gray: np.ndarray, ppp: float) -> None:
    """Give each label's cell of a table found by spacing the readings of its pieces (`lines`,
    points), which found it: read again from the same pixels, the labels cost a quarter of such a
    page's recognition and tell nothing new. A label's cell is one whose pieces all lie inside it
    and read as words that are no value (a number with its note or unit, a blank mark and a
    number alone are read as cells are), and whose ink they hold all of (no glyph of it that no
    piece holds: a word the detector missed, a piece read as nothing, a dash). Lines top to
    bottom, pieces of a line left to right, as read_cells joins them."""
    from .labels import has_cjk

    def meets(a, b) -> bool:
        return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])

    min_glyph = _min_glyph_px(ppp)
    for cell in cells:
        x0, y0, x1, y1 = cell.bbox
        mine = [line for line in lines if meets(line.bbox, cell.bbox)]
        if not mine or not all(x0 <= b[0] and y0 <= b[1] and b[2] <= x1 and b[3] <= y1
                               for b in (line.bbox for line in mine)):
            continue
        if not all(has_cjk(line.text) and parse_value(line.text).kind == "unreadable" for line in mine):
            continue
        left, top = int(round(x0 / ppp)), int(round(y0 / ppp))
        rest = gray[top:int(round(y1 / ppp)), left:int(round(x1 / ppp))].copy()
        for line in mine:
            bx0, by0, bx1, by1 = line.bbox
            rest[max(0, int(by0 / ppp) - top - 1):int(np.ceil(by1 / ppp)) - top + 1,
                 max(0, int(bx0 / ppp) - left - 1):int(np.ceil(bx1 / ppp)) - left + 1] = 255
        if ink_bbox(rest, min_glyph) is not None:
            continue
        rows: list[list[TextLine]] = []
        for line in sorted(mine, key=lambda line: (line.bbox[1] + line.bbox[3]) / 2):
            if rows and same_row(rows[-1][-1].bbox, line.bbox):
                rows[-1].append(line)
            else:
                rows.append([line])
        cell.text = "\n".join(" ".join(line.text for line in sorted(row, key=lambda line: line.bbox[0]))
                              for row in rows)
        cell.confidence = min(line.confidence for line in mine)
        cell.alternatives = list(mine[0].alternatives) if len(mine) == 1 else []


def _own_ink(ink: np.ndarray) -> np.ndarray:
    """The ink of a detected line's box less what it holds of the lines above and below, which
    the box reaches into: a header's two-line label (社会公益 / 组织) ran into one line, both
    lines' pieces as tall as both. Gone are the pieces its top or bottom edge cuts that are under
    half its height or cross it whole (a rule, a header's diagonal), then rows of ink apart from
    the line's own with under SHARE_OF_LINE of its ink (the ends of the strokes above, cut free)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    height = ink.shape[0]
    top, tall = stats[:, cv2.CC_STAT_TOP], stats[:, cv2.CC_STAT_HEIGHT]
    at_top, at_bottom = top == 0, top + tall == height
    keep = ~((at_top | at_bottom) & ((tall < height / 2) | (at_top & at_bottom)))
    keep[0] = False
    own = keep[labels]
    per_row = own.sum(axis=1)
    bands = runs_of(per_row > 0)
    if not bands:
        return ink
    weights = [int(per_row[a:b].sum()) for a, b in bands]
    kept = [band for band, w in zip(bands, weights) if w >= SHARE_OF_LINE * max(weights)]
    own[:kept[0][0]] = False
    own[kept[-1][1]:] = False
    return own


def _lone_marks(gray: np.ndarray, pieces: list) -> tuple[list, list]:
    """The ink that no detected line holds, as (glyphs, dashes), boxes in pixels: a figure or a
    blank's mark alone in its cell ("1", "/", "—"), which the detector takes for no text. Ink
    closer than half a line's height is one mark. A glyph is 0.4 to 1.5 lines tall and at most
    three lines wide; a dash at least twice as wide as tall, under a third of a line tall, one
    third to one and a half lines wide (a rule or an underline is longer) and one stroke
    (DASH_COVER), and its box is given a line's height about it."""
    if not pieces:
        return [], []
    line = float(np.median([y1 - y0 for _, y0, _, y1 in pieces]))
    ink = ink_mask(gray).astype(np.uint8)
    for x0, y0, x1, y1 in pieces:
        ink[int(y0):int(np.ceil(y1)), int(x0):int(np.ceil(x1))] = 0
    joined = cv2.dilate(ink, np.ones((1, max(1, int(line / 2))), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    glyphs, dashes = [], []
    for k in range(1, count):
        bx, by, bw, bh = stats[k, :4]
        ys, xs = np.nonzero((labels[by:by + bh, bx:bx + bw] == k) & (ink[by:by + bh, bx:bx + bw] > 0))
        if not len(xs):
            continue
        x0, y0 = float(bx + xs.min()), float(by + ys.min())
        x1, y1 = float(bx + xs.max() + 1), float(by + ys.max() + 1)
        w, h = x1 - x0, y1 - y0
        if 0.4 * line <= h <= 1.5 * line and w <= 3 * line:
            glyphs.append((x0, y0, x1, y1))
        elif w >= 2 * h and h <= line / 3 and line / 3 <= w <= 1.5 * line \
                and ink[int(y0):int(y1), int(x0):int(x1)].any(axis=0).mean() >= DASH_COVER:
            cy = (y0 + y1) / 2
            dashes.append((x0, cy - line / 2, x1, cy + line / 2))
    return glyphs, dashes


def lines_outside(engine, gray: np.ndarray, dpi: float, covered: list, ink: Optional[np.ndarray] = None,
                  find_dpi: float = LINE_DPI) -> list[tuple[float, float, float, float]]:
    """Boxes of the text lines (pixels of gray) whose centre lies outside the `covered` boxes,
    sought only in the bands of rows that hold ink outside them (`ink`: the image to look for
    it in, default gray)."""
    boxes = []
    for top, bottom in bands_with_ink(gray if ink is None else ink, dpi, covered, find_dpi):
        boxes += [(x0, y0 + top, x1, y1 + top)
                  for x0, y0, x1, y1 in line_boxes(engine, gray[top:bottom], dpi, find_dpi)]
    return outside(boxes, covered)


def bands_with_ink(gray: np.ndarray, dpi: float, covered: list, find_dpi: float = LINE_DPI
                   ) -> list[tuple[int, int]]:
    """(top, bottom) pixel rows of the page that hold ink outside the `covered` boxes (pixels;
    text already known there), each reaching BAND_REACH_IN beyond its ink, bands closer than
    JOIN_BANDS_IN joined. The detector's time grows with the pixels it is given: on a table
    page whose cells were read, it then searches only where a line it could add may be (a note
    printed inside a table's frame included), on a prose page only the rows that hold text."""
    scale = min(1.0, find_dpi / dpi)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    mask = ink_mask(small)
    for x0, y0, x1, y1 in covered:
        top, left = max(0, int(y0 * scale)), max(0, int(x0 * scale))
        mask[top:int(np.ceil(y1 * scale)), left:int(np.ceil(x1 * scale))] = 0
    # Specks of paper noise are not text: a blob whose larger side is under SPECK_IN is dropped.
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    speck = SPECK_IN * dpi * scale
    rows = np.zeros(mask.shape[0], bool)
    for x, y, w, h, _ in stats[1:n]:
        if max(w, h) >= speck:
            rows[y:y + h] = True
    reach, join = BAND_REACH_IN * dpi, JOIN_BANDS_IN * dpi
    bands: list[list[float]] = []
    for top, bottom in runs_of(rows):
        top, bottom = max(0.0, top / scale - reach), min(float(gray.shape[0]), bottom / scale + reach)
        if bands and top - bands[-1][1] < join:
            bands[-1][1] = bottom
        else:
            bands.append([top, bottom])
    return [(int(a), int(np.ceil(b))) for a, b in bands]


def outside(boxes: list, regions: list) -> list:
    """The boxes whose centre lies in none of the regions (same frame)."""
    return [b for b in boxes
            if not any(x0 <= (b[0] + b[2]) / 2 <= x1 and y0 <= (b[1] + b[3]) / 2 <= y1
                       for x0, y0, x1, y1 in regions)]


def line_boxes(engine, gray: np.ndarray, dpi: float, find_dpi: float = LINE_DPI
               ) -> list[tuple[float, float, float, float]]:
    """Boxes of the text lines (pixels of gray), in reading order, a little margin around each;
    found at find_dpi (lines of text stay apart there), read by the caller at full resolution."""
    scale = min(1.0, find_dpi / dpi)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    boxes = []
    for box in engine.detect_boxes(small):
        x0, y0, x1, y1 = (v / scale for v in box)
        pad = 0.15 * (y1 - y0)
        boxes.append((max(0.0, x0 - pad), max(0.0, y0 - pad), x1 + pad, y1 + pad))
    return boxes


def _piece_crop(gray: np.ndarray, box, ppp: float) -> Optional[np.ndarray]:
    """The image to read of a piece of a line (pixels, cut to its ink) as a cell's crop is cut
    (cell_lines_to_read): its ink and a margin of a quarter of its height round it, where that
    margin holds no other ink. A value's crop is then its cell's, the same pixels, not read
    again (ocr.ReadingMemo); and a line is read as a cell is, narrower than tight to its ink
    (its glyphs scaled to the recognizer's whole height). None where the margin holds ink of
    another (a neighbour's stroke, a rule's end): the piece is read as cut, tight to its ink (set
    on clean paper, a stroke cut from its neighbours reads as a figure, "1")."""
    x0, y0, x1, y1 = int(box[0]), int(box[1]), int(np.ceil(box[2])), int(np.ceil(box[3]))
    reach = max(2, int(round(0.25 * (y1 - y0)))) + 2
    left, top = max(0, x0 - reach), max(0, y0 - reach)
    region = gray[top:y1 + reach, left:x1 + reach]
    ink = ink_bbox(region, _min_glyph_px(ppp))
    if ink is None or any(abs(a - b) > 1 for a, b in zip(ink, (x0 - left, y0 - top, x1 - left, y1 - top))):
        return None
    return crop_to_box(region, ink)


def _read_lines(engine, gray: np.ndarray, boxes, ppp: float, tight: bool = False,
                crops: Optional[list] = None) -> list[TextLine]:
    """The lines in boxes read at full resolution (淮 and 准 differ by one dot), as TextLines in
    points; empty readings dropped. tight: boxes cut to their ink (OCREngine.recognize). crops:
    the image to read of each box, where not None; else the box's."""
    crops = [crop if crop is not None else gray[int(y0):int(np.ceil(y1)), int(x0):int(np.ceil(x1))]
             for (x0, y0, x1, y1), crop in zip(boxes, crops or [None] * len(boxes))]
    readings = engine.recognize(crops, tight=tight) if crops else []
    return [TextLine(reading.text, (x0 * ppp, y0 * ppp, x1 * ppp, y1 * ppp), reading.confidence,
                     alternatives=list(reading.alternatives), image=crop)
            for (x0, y0, x1, y1), crop, reading in zip(boxes, crops, readings) if reading.text.strip()]
