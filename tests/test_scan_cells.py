"""Cell images on the scan path (pipeline/scan.py), without OCR: the shapes that decide a cell
before or instead of the recognizer — blank marks, line splits, leftovers of rules and seals."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.ocr import crop_to_ink
from pipeline.ocr.crop import ink_mask
from pipeline.scan import (BILEVEL_SOFTEN_IN, OVERDRAWN, SPECK_AREA, _inside_ring, _own_ink, _without_border_slivers,
                           blank_confidence, cell_line_images, cell_lines_to_read, ink_height, ink_off_stroke,
                           ink_pieces, is_dash, is_faint_dash, is_slash, is_whole_zero, mark_among_specks,
                           paper_specks, split_lines)

FONTS = [f for f in ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                     "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
                     "/usr/share/fonts/truetype/arphic/uming.ttc",
                     "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                     "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf") if Path(f).exists()]


def glyphs(text: str, font: str, dpi: float, pt: float = 10.5, blur: float = 1.0) -> np.ndarray:
    """`text` rendered black on white at `dpi`, lines split on "\\n", softened like a scan."""
    size = int(round(pt / 72 * dpi))
    lines = text.split("\n")
    img = Image.new("L", (size * (max(map(len, lines)) + 2), int(size * 1.5 * len(lines) + size)), 255)
    draw = ImageDraw.Draw(img)
    for k, line in enumerate(lines):
        draw.text((size // 2, size // 3 + int(k * 1.5 * size)), line, font=ImageFont.truetype(font, size), fill=0)
    return cv2.GaussianBlur(np.asarray(img), (0, 0), blur)


@pytest.mark.parametrize("dpi", [150, 200, 300])
@pytest.mark.parametrize("font", FONTS)
def test_slash_is_told_from_digits(font, dpi):
    ppp = 72 / dpi
    assert is_slash(glyphs("/", font, dpi), ppp)
    for ch in "0123456789—-|l\\":
        assert not is_slash(glyphs(ch, font, dpi), ppp), ch
    assert not is_dash(glyphs("/", font, dpi), ppp)


def test_a_slash_a_1_bit_scan_broke_is_still_a_slash():
    """A 1-bit scanner's fixed threshold breaks a hairline "/" where noise lifts its grey above
    the threshold: pieces along one line, each more than a speck. They are the one stroke, in
    every font. A digit cut alike is no "/", but for a 7 or a 2 cut down to its stroke alone,
    which no shape tells from one (scan.read_cells doubts a mark with dots beside it)."""
    def cut(image: np.ndarray, seed: int, threshold: int) -> np.ndarray:
        scanned = image.astype(np.float32) * 0.96 + np.random.default_rng(seed).normal(0, 10, image.shape)
        return np.where(scanned < threshold, 0, 255).astype(np.uint8)

    broken = 0
    for dpi in (200, 300):
        for font in FONTS:
            for seed in range(6):
                for threshold in (110, 130, 150):
                    slash = cut(glyphs("/", font, dpi, pt=9, blur=1.4), seed, threshold)
                    count, _ = cv2.connectedComponents(ink_mask(slash), connectivity=8)
                    if count > 2:
                        broken += 1
                        assert is_slash(slash, 72 / dpi), (dpi, font, seed, threshold)
                    for ch in "01345689":
                        digit = cut(glyphs(ch, font, dpi, pt=9, blur=1.4), seed, threshold)
                        assert not is_slash(digit, 72 / dpi), (ch, dpi, font, seed, threshold)
    assert broken >= 5          # the case this is about: the threshold left pieces


CJK_FONTS = [f for f in FONTS if "wqy" in f or "uming" in f]


@pytest.mark.parametrize("dpi", [150, 200, 300])
@pytest.mark.parametrize("font", FONTS)
def test_dash_is_told_from_digits(font, dpi):
    """A blank printed as a dash is one horizontal bar: "—" in every font, the full-width "－" in
    the CJK fonts reports are set in; digits, "/" and "=" (two bars) are not dashes."""
    ppp = 72 / dpi
    assert is_dash(glyphs("—", font, dpi), ppp)
    if font in CJK_FONTS:
        assert is_dash(glyphs("－", font, dpi), ppp)
    for ch in "0123456789/=":
        assert not is_dash(glyphs(ch, font, dpi), ppp), ch


def photographed(image: np.ndarray, seed: int, darkness: float = 52, tilt_deg: float = 1.5,
                 noise: float = 6) -> np.ndarray:
    """`image` as a phone photo or a web scan of a light print shows it: its darkest ink
    `darkness` grey levels under the paper (ink_on_paper's threshold is 40), leaning a little,
    with sensor noise."""
    h, w = image.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), tilt_deg, 1.0)
    leaning = cv2.warpAffine(image, turn, (w, h), borderValue=255).astype(np.float32)
    paper = 235
    faded = paper - (255 - leaning) * darkness / (255 - leaning.min())
    return np.clip(faded + np.random.default_rng(seed).normal(0, noise, faded.shape), 0, 255).astype(np.uint8)


def test_a_faint_dash_the_ink_test_broke_is_still_a_dash():
    """A light "—" on a photo or a copy grazes the ink threshold: the ink test leaves it in
    pieces along its line, and a pixel's lean makes its box taller than the bar; a 100 dpi
    scan's hairline dash barely reaches the threshold. Each is one bar, in every font; "=" and
    digits treated alike are not."""
    from pipeline.scan import ink_on_paper
    broken = 0
    for dpi in (150, 200, 300):
        for font in FONTS:
            for seed in range(4):
                dash = photographed(glyphs("—", font, dpi, pt=9, blur=1.2), seed)
                count, _ = cv2.connectedComponents(ink_on_paper(dash), connectivity=8)
                broken += count > 2
                assert is_dash(dash, 72 / dpi), (dpi, font, seed)
                for ch in "=0123456789":
                    assert not is_dash(photographed(glyphs(ch, font, dpi, pt=9, blur=1.2), seed), 72 / dpi), ch
    assert broken >= 10         # the case this is about: the ink test saw pieces
    # A 100 dpi web scan's hairline dash, some 44 grey levels under its paper.
    for font in FONTS:
        for seed in range(4):
            assert is_dash(photographed(glyphs("—", font, 100, pt=9, blur=0.8), seed, 44, 0, 3), 72 / 100), font
            for ch in "=0123456789":
                faint = photographed(glyphs(ch, font, 100, pt=9, blur=0.8), seed, 44, 0, 3)
                assert not is_dash(faint, 72 / 100), (font, ch)


def test_a_bar_with_dots_of_a_stroke_under_it_is_no_dash():
    """A faded 7 leaves its bar and dots of its stem, each a speck beside the bar, together as
    much ink as a stroke: not a dash. The same bar with specks in its own line is one."""
    ppp = 72 / 200
    cell = np.full((30, 40), 235, np.uint8)
    cell[8:10, 10:24] = 150                                 # the bar, 28 pixels
    in_line = cell.copy()
    in_line[8:10, 7:8] = in_line[9, 27] = 150               # specks along it
    assert is_dash(in_line, ppp)
    for k in range(4):                                      # the stem's dots, down and left
        cell[12 + 3 * k, 21 - 2 * k] = cell[13 + 3 * k, 21 - 2 * k] = 150
    assert not is_dash(cell, ppp)


def test_a_blank_mark_among_toner_dust_is_told_by_its_largest_piece():
    """A photocopy's toner dust lies all over a cell, one speck beside its "—": the line is no
    dash as it stands (two pieces), yet its largest piece is, and nothing lies off the dash's
    line beyond what the page's dust would put there. On a page without dust the same speck is
    ink off the stroke; so are the dots a faded 7's stem leaves under its bar, dust or not."""
    ppp = 72 / 200
    page = np.full((50, 95), 235, np.uint8)
    page[24:26, 40:56] = 150                                  # the dash
    for y, x in [(5, 8), (9, 70), (40, 12), (44, 80), (14, 33), (38, 60), (3, 50), (46, 30), (30, 88), (20, 5)]:
        page[y:y + 2, x:x + 2] = 150                          # dust, 2 x 2 specks
    page[21:23, 57:59] = 150                                  # a speck by the dash's end
    bbox = (0, 0, 95 * ppp, 50 * ppp)
    dusty = 0.004                                             # the page's paper: 0.4% specks
    [line] = cell_line_images(page, bbox, ppp)
    assert not is_dash(line, ppp)
    assert mark_among_specks(page, bbox, ppp, line, dusty) == "—"
    assert mark_among_specks(page, bbox, ppp, line, 0.0) is None
    for k in range(4):                                        # a faded 7's stem, down and left
        page[28 + 3 * k:30 + 3 * k, 53 - 2 * k] = 150
    [line] = cell_line_images(page, bbox, ppp)
    assert mark_among_specks(page, bbox, ppp, line, dusty) is None


@pytest.mark.parametrize("font", FONTS)
def test_a_washed_out_digit_stays_one_line(font):
    """Blur and a light print thin the stroke joining the parts of "2" or "5" to a hairline gap;
    that is not a line break. Two lines of a wrapped label are."""
    faint = 255 - (255 - glyphs("2", font, 200, blur=1.3).astype(np.float32)) * 0.45
    faint[faint > 200] = 255          # the thinnest grey of the joining stroke fades away
    assert len(split_lines(faint.astype(np.uint8))) == 1
    assert len(split_lines(glyphs("不予公开\n处理", font, 200))) == 2


def test_leftovers_touching_the_border_are_painted_over():
    """A grey stroke of a seal's ring or a ruling's fringe running in from the cell's border is
    not text; the digit in the middle of the cell is kept."""
    cell = np.full((60, 120), 250, np.uint8)
    cv2.putText(cell, "0", (50, 42), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 3)
    cv2.line(cell, (0, 50), (40, 20), 150, 2)         # a seal's ring, diagonal
    cv2.line(cell, (0, 2), (119, 2), 120, 1)          # a ruling's fringe along the top
    out = _without_border_slivers(cell, max(2, int(round(0.02 * 200))))
    assert out[:, :45].min() > 200 and out[:6].min() > 200
    assert out[20:45, 50:80].min() < 50


def test_a_point_beside_a_number_is_a_speck_read_with_doubt():
    """No value is printed "4." or ".0": the point is noise beside the digits. The digits are
    kept, flagged by a low confidence."""
    from pipeline.scan import STRAY_MARK_CONFIDENCE, _reexamine_numbers
    from pipeline.types import GridCell
    cells = [GridCell(0, k, 1, 1, (0, 0, 10, 10), text, 0.98)
             for k, text in enumerate(["4.", ".0", "1.5", "12"])]
    _reexamine_numbers(None, np.zeros((10, 10), np.uint8), 0.36, [(c, 1) for c in cells])
    assert [(c.text, c.confidence) for c in cells] == [
        ("4", STRAY_MARK_CONFIDENCE), ("0", STRAY_MARK_CONFIDENCE), ("1.5", 0.98), ("12", 0.98)]


def test_a_zero_cut_into_two_arcs_is_a_zero_read_with_doubt():
    """A 1-bit scanner's threshold cuts a "0" whose top and bottom are thin into two arcs, which
    the recognizer reads as brackets (what the 1-bit corpus showed: "()", "(}", "0)", "2()" for
    20). No statistics table prints brackets alone in a value cell: zeros, flagged."""
    from pipeline.scan import STRAY_MARK_CONFIDENCE, _reexamine_numbers
    from pipeline.types import GridCell
    texts = ["()", "(}", "（)", "(.)", "0)", "2()", "(", "(1)", "无()"]
    cells = [GridCell(0, k, 1, 1, (0, 0, 10, 10), text, 0.9) for k, text in enumerate(texts)]
    _reexamine_numbers(None, np.zeros((10, 10), np.uint8), 0.36, [(c, 1) for c in cells])
    assert [c.text for c in cells] == ["0", "0", "0", "0", "0", "20", "(", "(1)", "无()"]
    assert all(c.confidence == STRAY_MARK_CONFIDENCE for c in cells[:6])
    assert cells[0].alternatives == []


@pytest.mark.parametrize("font", FONTS)
def test_each_line_of_a_cell_keeps_its_upright_strokes(font):
    """A line cut out of a two-line cell is not flush with its strokes: the "1"s of "11" must not
    pass for leftovers of a rule and vanish."""
    from pipeline.ocr.crop import crop_to_ink
    first, second = split_lines(glyphs("不予公开\n11", font, 200))
    line = crop_to_ink(second, min_glyph_px=6)
    one = crop_to_ink(glyphs("1", font, 200), min_glyph_px=6)
    assert line is not None and line.shape[1] > 1.6 * one.shape[1]


@pytest.mark.parametrize("font", FONTS)
def test_two_values_side_by_side_are_read_apart(font):
    """Two numbers in one cell (the rule between their cells lost) are cut apart at the wide gap;
    a number's own digits, or a label's characters, are not."""
    from pipeline.ocr.crop import crop_to_ink
    from pipeline.scan import split_wide_gaps
    line = lambda text: crop_to_ink(glyphs(text, font, 200), min_glyph_px=6)   # noqa: E731
    assert len(split_wide_gaps(line("7" + " " * 12 + "11"))) == 2
    assert len(split_wide_gaps(line("1011"))) == 1
    assert len(split_wide_gaps(line("本机关不掌握相关政府信息"))) == 1


@pytest.mark.parametrize("font", FONTS)
def test_specks_between_lines_do_not_join_them(font):
    """Salt-and-pepper noise in the gaps of a wrapped three-line label: still three lines."""
    label = glyphs("1、申请人无正当理由逾期\n不补正、行政机关不再处\n理其政府信息公开申请", font, 200)
    noisy = label.copy()
    rng = np.random.default_rng(5)
    ys, xs = rng.integers(0, noisy.shape[0], 400), rng.integers(0, noisy.shape[1], 400)
    noisy[ys, xs] = 0
    assert len(split_lines(label)) == 3
    assert len(split_lines(noisy)) == 3


@pytest.mark.parametrize("dpi", [150, 200, 300])
@pytest.mark.parametrize("font", FONTS)
def test_a_number_is_one_piece_of_ink_a_digit(font, dpi):
    """Whole print: a piece per digit and one per point at most (neighbours that blur into each
    other are fewer), at every resolution."""
    for digit in "0123456789":
        assert ink_pieces(glyphs(digit, font, dpi)) == 1, digit
    for text in ("31", "7730.28", "96171.6"):
        assert 1 <= ink_pieces(glyphs(text, font, dpi)) <= sum(ch.isdigit() or ch == "." for ch in text), text


@pytest.mark.parametrize("font", FONTS)
def test_a_glyph_broken_apart_is_more_pieces_than_digits(font):
    """A 1-bit scan's light threshold cuts a "4" across its thin strokes: what is left has more
    pieces than the "1" both readers take it for."""
    dpi = 300
    crop = glyphs("4", font, dpi, blur=0.3)
    ink = np.argwhere(crop < 128)
    (_, x0), (_, x1) = ink.min(axis=0), ink.max(axis=0)
    broken = crop.copy()
    mid_x = (x0 + x1) // 2
    broken[:, mid_x:mid_x + 3] = 255          # a gap through the diagonal and the crossbar
    assert ink_pieces(broken) > 1


def _one_bit(text: str, font: str, dpi: float, threshold: int) -> np.ndarray | None:
    """`text` as a 1-bit scanner at `threshold` leaves it, cut to its ink (None: nothing left)."""
    return crop_to_ink(np.where(glyphs(text, font, dpi) < threshold, 0, 255).astype(np.uint8))


def _digit_height(font: str, dpi: float) -> int:
    return ink_height(_one_bit("0123456789", font, dpi, 128))


@pytest.mark.parametrize("dpi", [200, 300])
@pytest.mark.parametrize("font", [f for f in FONTS if "uming" not in f])
def test_a_zero_cut_at_its_hairlines_is_still_a_whole_zero(font, dpi):
    """A 1-bit scan's threshold cuts a "0" through the thin top and bottom of its ring into two
    arcs: more pieces than digits, broken print. The arcs are still a ring, which is a zero's
    alone, so two readers reading it "0" alike may confirm it. (AR PL UMing's zero is cut by the
    threshold itself at every size here, some of its cuts too wide to bridge: left out.)"""
    height = _digit_height(font, dpi)
    for threshold in (128, 160):
        zero = _one_bit("0", font, dpi, threshold)
        assert is_whole_zero(zero, height), threshold
        middle = zero.shape[1] // 2
        cut = zero.copy()
        cut[:, middle - 1:middle + 1] = 255      # two pixels through the top and the bottom
        assert ink_pieces(cut) == 2 and is_whole_zero(cut, height), threshold
        wide = zero.copy()
        wide[:, middle - height // 4:middle + height // 4] = 255    # half a digit: no ring left
        assert not is_whole_zero(wide, height), threshold
        assert not is_whole_zero(_one_bit("00", font, dpi, threshold), height)


@pytest.mark.parametrize("font", FONTS)
def test_what_a_threshold_leaves_of_another_digit_is_no_whole_zero(font):
    """Every other digit, cut by a band of two or three pixels across any row or down any
    column, or across two rows, at a light and a heavy threshold: its remains are never taken
    for a whole zero. An 8 cut at its waist joins its two holes into one pinched in the middle;
    a 6's or 9's hole fills one end; a 4's counter stands above its foot."""
    for dpi in (200, 300):
        height = _digit_height(font, dpi)
        for digit in "123456789":
            for threshold in (90, 160):
                whole = _one_bit(digit, font, dpi, threshold)
                if whole is None:
                    continue
                rows, cols = whole.shape
                cuts = [whole]
                for width in (2, 3):
                    for at in range(rows - width):
                        cuts.append(whole.copy())
                        cuts[-1][at:at + width] = 255
                    for at in range(cols - width):
                        cuts.append(whole.copy())
                        cuts[-1][:, at:at + width] = 255
                for first in range(0, rows - 2, 2):
                    for second in range(first + 4, rows - 2, 3):
                        cuts.append(whole.copy())
                        cuts[-1][first:first + 2] = cuts[-1][second:second + 2] = 255
                for cut in cuts:
                    remains = crop_to_ink(cut)
                    assert remains is None or not is_whole_zero(remains, height), (digit, dpi, threshold)


def test_a_thin_dash_alone_in_its_cell_is_one_line_and_a_dash():
    """A blank printed as a thin "—" (2 px at 200 dpi): cropped to its ink it spans its own crop,
    and must not be taken for a ruling across it — the cell would read blank with doubt."""
    dpi = 200
    ppp = 72 / dpi
    cell = np.full((60, 200), 255, np.uint8)
    cell[28:30, 90:111] = 133
    lines = cell_line_images(cell, (0, 0, 200 * ppp, 60 * ppp), ppp)
    assert len(lines) == 1 and is_dash(lines[0], ppp)


def test_remnants_of_a_digit_on_a_1bit_page_are_no_sure_blank():
    """A 1-bit scan's threshold can cut a digit's strokes to specks that no line of ink is found
    in (the 3x3 median behind the ink test wipes 1-pixel strokes): read blank, but not surely —
    both readers see the same nothing and would 'agree'. Clean paper stays a sure blank."""
    dpi = 200
    ppp = 72 / dpi
    paper = np.full((120, 300), 255, np.uint8)
    bbox = (0.0, 0.0, 300 * ppp, 120 * ppp)
    assert blank_confidence(paper, bbox, ppp, bilevel=True) == 1.0
    seen = 0
    for font in FONTS:
        for threshold in (40, 60, 80):
            remnants = np.where(glyphs("17", font, dpi, blur=1.2) < threshold, 0, 255).astype(np.uint8)
            cell = paper.copy()
            cell[30:30 + remnants.shape[0], 100:100 + remnants.shape[1]] = remnants
            if cell_line_images(cell, bbox, ppp) or np.count_nonzero(cell < 128) < SPECK_AREA:
                continue        # still read as ink, or nothing left a speck's worth
            seen += 1
            assert blank_confidence(cell, bbox, ppp, bilevel=True) < 1.0, (font, threshold)
    assert seen >= 3


def test_a_digit_cut_to_a_few_dots_on_a_1bit_page_is_no_sure_blank():
    """A "2" of a 200 x 100 dpi fax, its strokes cut by the threshold to two dots of two pixels
    each (as measured there): fewer pixels than a speck, still no sure blank on a 1-bit page,
    where paper is white to the pixel. One stray pixel is paper."""
    dpi = 200
    ppp = 72 / dpi
    bbox = (0.0, 0.0, 94 * ppp, 50 * ppp)
    cell = np.full((50, 94), 255, np.uint8)
    cell[22:24, 44] = cell[27:29, 48] = 0
    assert cell_line_images(cell, bbox, ppp) == []
    assert blank_confidence(cell, bbox, ppp, bilevel=True) < 1.0
    stray = np.full((50, 94), 255, np.uint8)
    stray[25, 47] = 0
    assert blank_confidence(stray, bbox, ppp, bilevel=True) == 1.0


def test_a_digit_cut_to_its_foot_is_told_from_a_broken_blank_mark():
    """A light 1-bit threshold can leave of a "2" its foot (a bar, as "—" is) and a few dots of
    its arc: ink off the bar's line. A "—" or "/" the threshold broke into pieces has its pieces
    along its own line."""
    dpi = 300
    ppp = 72 / dpi
    bbox = (0.0, 0.0, 142 * ppp, 67 * ppp)
    two = np.full((67, 142), 255, np.uint8)
    two[40:42, 64:78] = 0                   # the foot
    two[25:27, 66:68] = two[26:30, 75:77] = 0   # what is left of the arc
    dash = np.full((67, 142), 255, np.uint8)
    dash[33:35, 60:66] = dash[33:35, 68:74] = dash[33:36, 76:82] = 0
    slash = np.full((67, 142), 255, np.uint8)
    for k, y in enumerate(range(48, 18, -1)):
        if k % 10 < 7:
            slash[y, 60 + k // 2:62 + k // 2] = 0
    foot, bar, stroke = np.zeros((2, 14)), np.zeros((3, 22)), np.zeros((30, 17))
    assert ink_off_stroke(two, bbox, ppp, foot)
    assert not ink_off_stroke(dash, bbox, ppp, bar)
    assert not ink_off_stroke(slash, bbox, ppp, stroke)
    # A heavy threshold's specks of paper noise all over the cell, as thick beside the mark as
    # away from it: the mark stays sure. The 2's dots stand out of a few specks.
    rng = np.random.default_rng(0)
    specks = rng.random((67, 142)) < 0.01
    for cell, mark in ((dash, bar), (slash, stroke)):
        assert not ink_off_stroke(np.where(specks, np.uint8(0), cell), bbox, ppp, mark)
    assert ink_off_stroke(np.where(rng.random((67, 142)) < 0.001, np.uint8(0), two), bbox, ppp, foot)
    # Rendered, a 1-bit page's lone pixels come out grey: the 2's dots are still ink (a "12" cut
    # to its 2's foot and grey dots was a sure "—", confirmed by both readers' agreement).
    grey_dots = np.where(two == 0, np.uint8(150), two)
    grey_dots[40:42, 64:78] = 0
    assert ink_off_stroke(grey_dots, bbox, ppp, foot)
    # A heavy threshold's grey specks round a tall "/", which leaves none of its cell far from it
    # to measure them on: specks there are no digit where the page's bare paper is as specked.
    tall = np.full((67, 142), 255, np.uint8)
    for k in range(50):
        tall[58 - k, 60 + k // 3:63 + k // 3] = 0
    rng = np.random.default_rng(3)
    specked = np.minimum(tall, np.where(rng.random((67, 142)) < 0.004, np.uint8(170), np.uint8(255)))
    page = np.where(rng.random((600, 400)) < 0.004, np.uint8(170), np.uint8(255))
    whole_cell = np.zeros((75, 20))         # a stroke this long: the whole cell is near it
    assert not ink_off_stroke(specked, bbox, ppp, whole_cell, specks=paper_specks(page, ppp))
    assert ink_off_stroke(specked, bbox, ppp, whole_cell, specks=0.0)       # on clean paper


def test_a_dash_one_pixel_thin_is_a_dash_not_a_doubtful_blank():
    """A "—" in a 150 dpi scan of a Writer-made report: one row of pixels at ~170 on white paper
    (as measured there). The ink test's 3x3 median wipes it, so no line of ink is found; it is
    still told as a dash, where a speck or a faint digit is not."""
    dpi = 150
    ppp = 72 / dpi
    bbox = (0.0, 0.0, 70 * ppp, 36 * ppp)
    cell = np.full((36, 70), 255, np.uint8)
    cell[17, 27:41] = 170
    cell[16, 27:41] = cell[18, 27:41] = 225
    assert cell_line_images(cell, bbox, ppp) == []
    assert blank_confidence(cell, bbox, ppp) < 1.0
    assert is_faint_dash(cell, bbox, ppp)
    speck = np.full((36, 70), 255, np.uint8)
    speck[17, 30:33] = 170
    assert not is_faint_dash(speck, bbox, ppp)
    for font in FONTS:
        faint = glyphs("7", font, dpi, pt=9, blur=1.0)
        faint = (255 - (255 - faint.astype(np.int16)) // 3).astype(np.uint8)      # washed out
        cell = np.full((36, 70), 255, np.uint8)
        h, w = min(faint.shape[0], 30), min(faint.shape[1], 40)
        cell[3:3 + h, 20:20 + w] = faint[:h, :w]
        assert not is_faint_dash(cell, bbox, ppp), font


@pytest.mark.parametrize("font", [f for f in FONTS if "dejavu" not in f])
def test_lines_set_so_close_they_touch_are_split(font):
    """A label of two and of three lines at single spacing in a 150 dpi scan (as LibreOffice sets
    a wrapped label): a bracket's tail or a blurred stroke reaches the line below, no empty row
    parts the lines, yet each is read on its own; one line of the same text is never cut."""
    dpi = 150
    size = int(round(10.5 / 72 * dpi))
    texts = ["（二）部分公开（区分处理的", "只计这一情形，不计其他情形）", "行政机关不再处理其政府信息"]
    for n in (2, 3):
        img = Image.new("L", (size * 16, size * n + size), 255)
        draw = ImageDraw.Draw(img)
        for k, line in enumerate(texts[:n]):
            draw.text((size // 2, size // 2 + int(k * 1.1 * size)), line, font=ImageFont.truetype(font, size), fill=0)
        page = np.asarray(img).copy()
        rows = np.flatnonzero((page < 128).any(axis=1))
        for gap in np.flatnonzero(np.diff(rows) > 1):          # strokes bridging each gap
            for x in (size, 6 * size, 11 * size):
                page[rows[gap]:rows[gap + 1] + 1, x:x + 2] = 0
        crop = cv2.GaussianBlur(page, (0, 0), 0.8)
        ink_rows = (crop < 128).any(axis=1)
        top, bottom = int(np.argmax(ink_rows)), len(ink_rows) - int(np.argmax(ink_rows[::-1]))
        assert ink_rows[top:bottom].all()
        assert len(split_lines(crop)) == n, (font, n)
    for text in texts:
        assert len(split_lines(glyphs(text, font, dpi, blur=0.8))) == 1


@pytest.mark.parametrize("text", ["7", "1", "25"])
@pytest.mark.parametrize("font", FONTS[:3])
def test_a_frame_inside_the_cell_is_painted_over_and_a_digit_beside_it_kept(font, text):
    """A cell boxed again inside its rules (a web page's table): the box's sides, thin strokes
    alike at opposite sides, go like a rule's leftovers ("7" was read "17"); a "1" near the
    cell's side, with no twin across the cell, stays."""
    dpi = 200
    value = glyphs(text, font, dpi)
    h, w = value.shape
    cell = np.full((h + 16, w + 60), 255, np.uint8)
    cell[8:8 + h, 30:30 + w] = value
    framed = cell.copy()
    cv2.rectangle(framed, (5, 5), (cell.shape[1] - 6, cell.shape[0] - 6), 0, 2)
    cleaned = _without_border_slivers(framed, int(round(0.02 * dpi)))
    assert np.array_equal(cleaned > 128, cell > 128) or \
        np.count_nonzero((cleaned > 128) != (cell > 128)) < 0.01 * cell.size
    beside = cell.copy()
    beside[8:8 + h, 4:4 + w] = np.minimum(beside[8:8 + h, 4:4 + w], value)    # the value near the left
    assert np.count_nonzero(_without_border_slivers(beside, int(round(0.02 * dpi))) < 128) == \
        np.count_nonzero(beside < 128)


def test_a_covered_cell_is_no_blank():
    """A black box over a cell's value (a redaction) is no paper: the cell is covered, not
    blank; a cell of paper, or of light shading, is not covered."""
    from pipeline.scan import is_covered

    ppp = 72 / 200
    page = np.full((200, 400), 255, np.uint8)
    page[40:100, 40:160] = 0                   # a black box filling the first cell
    page[40:100, 200:320] = 215                # a shaded cell
    assert is_covered(page, (20 * ppp, 30 * ppp, 180 * ppp, 110 * ppp), ppp)
    assert not is_covered(page, (180 * ppp, 30 * ppp, 340 * ppp, 110 * ppp), ppp)
    assert not is_covered(page, (20 * ppp, 120 * ppp, 180 * ppp, 190 * ppp), ppp)


@pytest.mark.parametrize("font", CJK_FONTS)
def test_a_lines_box_keeps_its_own_ink_not_its_neighbours(font):
    """A detected line's box of a header set tight (社会公益 over 组织) reaches into the lines
    above and below it, and a header's diagonal crosses it: the ink kept is the line's own, as
    tall as the line drawn alone."""
    size, pitch, x0 = 28, 36, 10
    lines = ("法律服务其他总计", "社会公益组织机构", "结果维持纠正审结")

    def drawn(which) -> np.ndarray:
        img = Image.new("L", (size * 10, pitch * 4), 255)
        draw = ImageDraw.Draw(img)
        for k in which:
            draw.text((x0, pitch // 2 + k * pitch), lines[k], font=ImageFont.truetype(font, size), fill=0)
        return np.asarray(img).copy()

    own_rows = np.flatnonzero(ink_mask(drawn([1])).any(axis=1))
    page = drawn([0, 1, 2])
    cv2.line(page, (size * 5, 0), (size * 7, pitch * 4), 0, 2)
    top, bottom = own_rows[0] - int(0.4 * size), own_rows[-1] + int(0.4 * size)
    box = ink_mask(page[top:bottom])
    assert box[0].any() and box[-1].any()           # it holds the neighbours' strokes
    kept = np.flatnonzero(_own_ink(box).any(axis=1)) + top
    assert abs(kept[0] - own_rows[0]) <= 1 and abs(kept[-1] - own_rows[-1]) <= 1


@pytest.mark.parametrize("font", CJK_FONTS)
def test_two_blocks_of_lines_side_by_side_in_a_cell_are_read_block_by_block(font):
    """A label set down a merged cell, "（五）不 / 予处理", beside a wrapped label of the next
    column, half a line lower, in one cell of a table drawn with no rule: no empty row parts any
    two of the four lines, and read as one they came out "()发当翔由大". Parted at the widest gap,
    each block's lines: four. A label set with its characters spaced (规  章), whose 章 alone
    parts in two at a gap between its strokes, stays one line."""
    size, dpi = 28, 200
    ppp = 72 / dpi

    def cell(blocks) -> np.ndarray:
        img = Image.new("L", (size * 14, size * 5), 255)
        draw = ImageDraw.Draw(img)
        for x, top, lines in blocks:
            for k, line in enumerate(lines):
                draw.text((x, top + k * int(1.3 * size)), line, font=ImageFont.truetype(font, size), fill=0)
        return np.asarray(img).copy()

    staggered = cell([(10, int(1.2 * size), ("（五）不", "予处理")), (5 * size, size // 2, ("4.无正当理由大", "量反复申请"))])
    h, w = staggered.shape
    assert len(cell_line_images(staggered, (0, 0, w * ppp, h * ppp), ppp)) == 4
    spaced = cell([(10, 2 * size, ("规",)), (3 * size, 2 * size, ("章",))])
    assert len(cell_line_images(spaced, (0, 0, w * ppp, h * ppp), ppp)) == 1


def _ringed(text: str, font: str, dpi: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`text` in a cell, and the same with a ballpoint ring drawn tight round it as a reader
    circles a value (samples.degrade.mark_values' ring: ends apart or overlapping, touching the
    digits), both softened like a scan."""
    clean = glyphs(text, font, dpi, pt=10.5, blur=0.01)
    ys, xs = np.nonzero(clean < 128)
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max(), ys.max()
    h = y1 - y0
    ringed = np.pad(clean, h, constant_values=255)
    clean = np.pad(clean, h, constant_values=255)
    centre = (int((x0 + x1) / 2) + h, int((y0 + y1) / 2) + h)
    axes = (int((x1 - x0) / 2 + rng.uniform(0.4, 0.8) * h), int(h / 2 + rng.uniform(0.2, 0.5) * h))
    cv2.ellipse(ringed, centre, axes, float(rng.uniform(-8, 8)), float(rng.uniform(0, 40)),
                float(rng.uniform(330, 380)), 40, max(1, int(round(dpi / 100))), cv2.LINE_AA)
    return cv2.GaussianBlur(clean, (0, 0), 1.0), cv2.GaussianBlur(ringed, (0, 0), 1.0)


def test_a_ring_drawn_round_a_value_is_taken_off_and_what_it_encloses_kept():
    """A reader's ring drawn tight round a value touches its digits, one piece of ink with them,
    taller than the table's digits: the recognizer read "②" for 21, or nothing. The ellipse its
    outline fits is the ring; what lies inside its inner edge is the value, each digit nearly
    whole. A tick or an underline, also taller or longer than a digit, is no ring."""
    rng = np.random.default_rng(7)
    for dpi in (200, 300):
        for font in FONTS:
            for text in ("21", "7", "105"):
                clean, ringed = _ringed(text, font, dpi, rng)
                digit_height = float(np.ptp(np.nonzero(clean < 128)[0]) + 1)
                ink = ink_mask(ringed)
                count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
                marks = [i for i in range(1, count) if stats[i, cv2.CC_STAT_HEIGHT] > OVERDRAWN * digit_height]
                inside = _inside_ring(ringed, ink, labels, stats, marks, digit_height, 255)
                assert inside is not None, (dpi, font, text)
                kept, digits = ink_mask(inside) > 0, ink_mask(clean) > 0
                assert (kept & ~cv2.dilate(digits.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)).sum() \
                    <= 0.08 * digits.sum(), (dpi, font, text)         # little of the ring left
                assert (kept & digits).sum() >= 0.7 * digits.sum(), (dpi, font, text)    # the digits kept
    clean = glyphs("57", FONTS[0], 200)
    ys, xs = np.nonzero(clean < 128)
    digit_height, right, middle = float(np.ptp(ys) + 1), int(xs.max()), int((ys.min() + ys.max()) / 2)
    h = int(digit_height)
    for mark in ([(right + 3, middle), (right + 3 + h // 3, middle + h // 2), (right + 3 + h, middle - h)],   # a tick
                 [(xs.min() - 4, ys.max() + 3), (right + 4, ys.max() + 2 + h // 5)]):                        # an underline
        marked = clean.copy()
        cv2.polylines(marked, [np.array(mark, np.int32)], False, 40, 2, cv2.LINE_AA)
        ink = ink_mask(marked)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
        marks = [i for i in range(1, count) if stats[i, cv2.CC_STAT_HEIGHT] > OVERDRAWN * digit_height
                 or stats[i, cv2.CC_STAT_WIDTH] > digit_height]
        assert marks and _inside_ring(marked, ink, labels, stats, marks, digit_height, 255) is None


@pytest.mark.parametrize("font", [f for f in FONTS if "uming" not in f])
def test_a_digit_a_threshold_cut_to_dots_stays_in_its_numbers_crop(font):
    """A 1-bit scan's threshold can leave a digit's strokes as dots a pixel or two each, too
    small one by one to be ink (a 240 whose 2 is dots was read "40"). Softened, as the page is
    before recognition, they are a stroke again, and the crop of the number holds them; a lone
    speck as near the digits fades and stays out. (AR PL UMing's strokes, a pixel or two wide,
    fade as dots: left out.)"""
    dpi = 300
    ppp = 72 / dpi
    bbox = (0.0, 0.0, 400 * ppp, 200 * ppp)

    def in_cell(ink: np.ndarray) -> np.ndarray:
        cell = np.full((200, 400), 255, np.uint8)
        cell[30:30 + ink.shape[0], 100:100 + ink.shape[1]] = ink
        return cell

    def crop_widths(cell: np.ndarray) -> tuple[int, int]:
        [alone] = cell_line_images(cell, bbox, ppp)
        _, [softened] = cell_lines_to_read(cell, cv2.GaussianBlur(cell, (0, 0), BILEVEL_SOFTEN_IN * 72 / ppp), bbox, ppp)
        return alone.shape[1], softened.shape[1]

    def ink_columns(image: np.ndarray) -> np.ndarray:
        _, xs = np.nonzero(image < 128)
        return image[:, xs.min():xs.max() + 1]

    two = np.where(glyphs("2", font, dpi) < 128, 0, 255).astype(np.uint8)
    forty = ink_columns(np.where(glyphs("40", font, dpi) < 128, 0, 255).astype(np.uint8))[:two.shape[0]]
    ys, xs = np.nonzero(two < 128)
    dotted = np.full_like(two, 255)
    keep = (xs % 2 == 0) & (ys % 3 != 2)          # dots of one pixel by two, a pixel apart
    dotted[ys[keep], xs[keep]] = 0
    gap = np.full((two.shape[0], 4), 255, np.uint8)
    number = np.hstack([ink_columns(dotted), gap, forty])
    alone, softened = crop_widths(in_cell(number))
    assert alone < number.shape[1] <= softened

    speck = np.hstack([np.full_like(ink_columns(dotted), 255), gap, forty])
    speck[speck.shape[0] // 2:speck.shape[0] // 2 + 2, speck.shape[1] - forty.shape[1] - 12] = 0
    alone, softened = crop_widths(in_cell(speck))
    assert softened == alone
