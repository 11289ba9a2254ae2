"""Degraded variants of clean text-layer report PDFs, for testing the scan and garbled-layer paths.

Three kinds of degradation, all deterministic for a given seed:

* scans: every page rendered with pdfium, damaged the way a real office scanner and a real
  paper copy damage it (faded or broken rulings, a red official seal over a table, grey paper,
  uneven lighting, skew, a page fed sideways or upside down, blur, noise, JPEG artefacts), and
  written as an image-only PDF (one JPEG per page, no text at all);
* scrambled ToUnicode: the same drawing, but the fonts' /ToUnicode CMaps lie, so that text
  extraction returns wrong digits and/or wrong CJK characters while the rendering stays
  pixel-identical;
* junk text layer: a scan plus an invisible (render mode 3) text layer of mostly wrong text
  placed where the lines are, as a bad scanner OCR leaves it;
* turned pages: the same appearance, but pages stored turned — content drawn rotated in user
  space, /Rotate turning it back upright (landscape pages, some exporters and scanner software).

Each output PDF gets a sidecar ``X.degrade.json`` recording what was applied, page by page.

CLI: ``python -m samples.degrade --src DIR/clean --out DIR [--seed S] [--variants ...]``
writes ``DIR/<variant>/X.pdf`` (+ the unchanged ``X.truth.json`` and ``X.degrade.json``).
"""
from __future__ import annotations

import argparse
import dataclasses
import io
import json
import logging
import math
import re
import shutil
import time
import zlib
from dataclasses import dataclass, field
from typing import Optional
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

from pipeline.cmap import ToUnicodeMap, build_tounicode, parse_tounicode

log = logging.getLogger(__name__)

CJK_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
SEAL_RED_RGB = (205, 32, 38)
DEFAULT_SEAL_TEXT = "政府信息公开专用章"
# Official seals of Chinese government bodies are 42 mm across.
SEAL_DIAMETER_MM = 42.0

# Frequent characters of administrative Chinese: replacement pool for garbled text, so that
# the garbage looks like plausible text rather than rare glyphs.
COMMON_CJK = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过"
    "子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制"
    "机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正"
    "心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党"
    "程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角"
    "期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压"
    "志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万"
    "每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林"
    "律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史"
    "感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层"
)
ASCII_JUNK = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,:;-_/|()[]"
LATIN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZAEIRSTMNabcdehkmnrstw"   # Tesseract's eng on Chinese print
FULLWIDTH_DIGITS = "０１２３４５６７８９"


# ---------------------------------------------------------------------------------------------
# Recipes: what a variant does, as data
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScanRecipe:
    """How to turn a clean page into a scanned image. Zero means "not applied"."""
    dpi: int = 200
    skew_max_deg: float = 0.0          # |skew| drawn uniformly from [skew_min_deg, skew_max_deg]
    skew_min_deg: float = 0.0
    rotate_cw_deg: int = 0             # 0, 90, 180 or 270: a page fed sideways or upside down
    rotate_table_pages_only: bool = True
    blur_sigma_px: float = 0.0
    noise_sigma: float = 0.0           # Gaussian noise, grey levels
    salt_pepper_fraction: float = 0.0
    artefact_jpeg_quality: int = 0     # an earlier lossy copy: JPEG round trip at this quality
    paper_grey: float = 1.0            # 1.0 = white paper
    light_falloff: float = 0.0         # vignette + gradient strength (fraction of brightness)
    broken_rulings: bool = False
    seal: bool = False
    seal_rgb: tuple[int, int, int] = SEAL_RED_RGB   # its ink: an official seal's red, a stamp's blue
    jpeg_quality: int = 80             # the final encoding in the PDF
    grey: bool = False                 # a greyscale JPEG (DeviceGray), as many sites publish scans
    bilevel_threshold: int = 0         # a 1-bit scan: ink where grey < threshold, CCITT G4 in the PDF
    bilevel_threshold_max: int = 0     # the threshold drawn per report from [threshold, max]
    scanner_bed: bool = False          # paper skewed and shifted on a dark scanner bed, the glass's
                                       # dark frame along the far edges (square to the image)
    show_through: float = 0.0          # the next page's print, mirrored, showing through thin paper
                                       # at up to this share of its darkness (drawn per page)
    streaks: int = 0                   # up to this many dark lines along the image (dirt on an
                                       # automatic feeder's glass), drawn per page
    pale_print: float = 0.0            # toner running out: black printed as this share of white
    keystone: float = 0.0              # a sheet not lying flat, or photographed: each corner of the
                                       # image moved by up to this share of the page's width
                                       # (a perspective: rules converge), drawn per page
    desk: bool = False                 # with keystone: the sheet photographed on a desk, which shows
                                       # around it (dark, a colour of its own)
    two_up: bool = False               # two pages side by side on one sheet (a booklet, or a copier's
                                       # 2-in-1 setting), each pair one image; JPEG scans only
    pen_marks: float = 0.0             # a reader's ballpoint marks on the copy before it was scanned:
                                       # this share of the values ticked beside, underlined or circled
    long_picture: bool = False         # all pages stitched top to bottom into one image ("PDF to
                                       # long picture" tools; reports published as one picture);
                                       # JPEG scans only
    declared_dpis: tuple[int, ...] = ()  # the resolution the PDF states, drawn per report from these
                                       # (empty: the scan's own): the tool that wrapped the scan wrote
                                       # its default (72: PIL's and phone apps', 96) or a wrong one


@dataclass(frozen=True)
class ToUnicodeRecipe:
    """Which characters the rewritten /ToUnicode CMaps lie about."""
    digits: bool = True
    cjk: bool = True
    cjk_fraction: float = 0.7          # share of the document's CJK characters remapped


@dataclass(frozen=True)
class JunkLayerRecipe:
    """A scan plus an invisible text layer of bad-OCR text."""
    scan: ScanRecipe = ScanRecipe()
    keep_fraction: float = 0.3         # share of non-digit characters left correct
    drop_fraction: float = 0.05        # share of characters the "OCR" lost
    in_form: int = 0                   # the text inside a Form XObject, nested this deep (as
                                       # OCRmyPDF and scanner software write their layer); 0: in the page
    cjk_as_latin: bool = False         # an OCR tool set to English: every CJK character comes out
                                       # as Latin letters, digits mostly right


@dataclass(frozen=True)
class PictureTablesRecipe:
    """The clean text report with each page's ruled tables replaced by a picture of them (a report
    written in Word with its tables pasted as screenshots): the prose keeps its text layer."""
    dpi_min: int = 120                 # the pictures' resolution, drawn per report from [min, max]
    dpi_max: int = 200


@dataclass(frozen=True)
class TurnedRecipe:
    """Pages stored turned and displayed upright, each by a quarter turn drawn per page from
    0/90/180/270 (at least one page turned); `base` degrades the report first."""
    base: Optional[ToUnicodeRecipe] = None


@dataclass(frozen=True)
class WatermarkRecipe:
    """The clean report under a watermark, as sites and archives stamp what they publish: a short
    text ("仅供参考", the site's name) tiled across every page, light grey, half transparent,
    slanted (angle, size, grey drawn per report), drawn over the tables as text of the layer;
    `scan` then scans the watermarked pages (a printed copy of the download)."""
    scan: Optional[ScanRecipe] = None
    angle_min_deg: float = 25.0
    angle_max_deg: float = 45.0


WATERMARK_TEXTS = ("仅供参考", "政务公开 仅供参考", "内部资料 注意保存", "政府信息公开专栏", "本网站下载 仅供浏览")


VARIANTS: dict[str, ScanRecipe | ToUnicodeRecipe | JunkLayerRecipe | PictureTablesRecipe | TurnedRecipe
               | WatermarkRecipe] = {
    "scan150": ScanRecipe(dpi=150, jpeg_quality=80),
    "scan200": ScanRecipe(dpi=200, jpeg_quality=80),
    "scan300": ScanRecipe(dpi=300, jpeg_quality=75),
    "scan200-skew": ScanRecipe(dpi=200, skew_min_deg=0.5, skew_max_deg=3.0),
    # Far askew, every page (the title's too): a sheet pulled in crooked, a page shot by hand.
    "scan200-askew": ScanRecipe(dpi=200, skew_min_deg=4.0, skew_max_deg=8.0,
                                paper_grey=0.96, light_falloff=0.05, noise_sigma=3.0),
    "scan200-seal": ScanRecipe(dpi=200, seal=True),
    # A copy someone read with a pen in hand: values ticked, underlined, circled.
    "scan200-pen": ScanRecipe(dpi=200, pen_marks=0.15),
    # A blue ink stamp (受理, 收文) over the tables instead of the red seal.
    "scan200-stamp-blue": ScanRecipe(dpi=200, seal=True, seal_rgb=(40, 70, 190)),
    "scan200-rot90": ScanRecipe(dpi=200, rotate_cw_deg=90),
    "scan200-rot180": ScanRecipe(dpi=200, rotate_cw_deg=180),
    "scan200-rules": ScanRecipe(dpi=200, broken_rulings=True),
    "scan200-harsh": ScanRecipe(dpi=200, blur_sigma_px=1.0, noise_sigma=7.0,
                                salt_pepper_fraction=0.0008, artefact_jpeg_quality=35,
                                paper_grey=0.90, light_falloff=0.18, jpeg_quality=75),
    "scan200-mixed": ScanRecipe(dpi=200, skew_min_deg=0.3, skew_max_deg=1.5, blur_sigma_px=0.7,
                                noise_sigma=5.0, salt_pepper_fraction=0.0004,
                                artefact_jpeg_quality=50, paper_grey=0.93, light_falloff=0.12,
                                broken_rulings=True, seal=True, jpeg_quality=75),
    # Office scanners' archive setting: 300 dpi, one fixed threshold, CCITT G4. A light threshold
    # (low grey level) breaks thin strokes and leaves gaps in the rules; a heavy one fattens strokes
    # and fills counters. Scanner optics blur and paper noise come before the threshold.
    "bilevel300": ScanRecipe(dpi=300, blur_sigma_px=0.7, noise_sigma=10.0, paper_grey=0.96,
                             light_falloff=0.08, bilevel_threshold=105, bilevel_threshold_max=200),
    "bilevel300-light": ScanRecipe(dpi=300, blur_sigma_px=0.7, noise_sigma=10.0, paper_grey=0.96,
                                   light_falloff=0.08, bilevel_threshold=105, bilevel_threshold_max=120),
    "bilevel300-heavy": ScanRecipe(dpi=300, blur_sigma_px=0.7, noise_sigma=10.0, paper_grey=0.96,
                                   light_falloff=0.08, bilevel_threshold=185, bilevel_threshold_max=205),
    # The same archive setting at 200 dpi, many office scanners' default for black and white:
    # strokes one or two pixels wide, which the threshold breaks or fills.
    "bilevel200": ScanRecipe(dpi=200, blur_sigma_px=0.6, noise_sigma=10.0, paper_grey=0.96,
                             light_falloff=0.08, bilevel_threshold=105, bilevel_threshold_max=200),
    # A photocopy of a photocopy, scanned: toner dust over the whole sheet (a landscape page
    # holding one small table has more specks than characters), blur and an earlier lossy copy.
    "scan200-copy": ScanRecipe(dpi=200, skew_min_deg=0.2, skew_max_deg=1.0, blur_sigma_px=0.8,
                               noise_sigma=6.0, salt_pepper_fraction=0.002, artefact_jpeg_quality=40,
                               paper_grey=0.9, light_falloff=0.15, jpeg_quality=60),
    # A sheet laid skewed and short of the corner on a dark scanner bed (an ADF's black backing).
    "scan200-bed": ScanRecipe(dpi=200, skew_min_deg=0.3, skew_max_deg=1.5, scanner_bed=True,
                              paper_grey=0.96, light_falloff=0.05, noise_sigma=3.0),
    # Thin paper printed on both sides: the back page's print shows through, mirrored.
    "scan200-show-through": ScanRecipe(dpi=200, show_through=0.18, paper_grey=0.96, light_falloff=0.05,
                                       noise_sigma=3.0),
    # A printer running out of toner (its black a mid grey), scanned to grey JPEG.
    "scan200-pale": ScanRecipe(dpi=200, pale_print=0.45, paper_grey=0.94, light_falloff=0.05,
                               blur_sigma_px=0.6, noise_sigma=4.0, grey=True, jpeg_quality=70),
    # An automatic feeder with dirt on its glass: one or two dark lines down every page.
    "scan200-streaks": ScanRecipe(dpi=200, streaks=2, blur_sigma_px=0.6, noise_sigma=3.0,
                                  paper_grey=0.96, light_falloff=0.05),
    # A sheet that did not lie flat on the glass, or a page photographed: its rules converge.
    "scan200-keystone": ScanRecipe(dpi=200, keystone=0.02, paper_grey=0.95, light_falloff=0.1,
                                   blur_sigma_px=0.5, noise_sigma=3.0),
    # A page photographed on a desk (by phone, by a journalist): perspective, the desk around the
    # sheet, uneven light, a soft lens, JPEG.
    "photo200": ScanRecipe(dpi=200, keystone=0.035, desk=True, paper_grey=0.92, light_falloff=0.2,
                           blur_sigma_px=0.8, noise_sigma=5.0, jpeg_quality=70),
    # A booklet scanned open, or a copier's 2-in-1 setting: two pages to a sheet.
    "scan200-two-up": ScanRecipe(dpi=200, two_up=True, paper_grey=0.95, light_falloff=0.05, noise_sigma=3.0),
    # Scans wrapped into a PDF by a tool that stated a wrong resolution (its default of 72 or 96
    # dpi, or 600): the page is 2-3 times the paper's size, or a third of it.
    "scan200-wrong-dpi": ScanRecipe(dpi=200, declared_dpis=(72, 96, 600), paper_grey=0.95, light_falloff=0.05,
                                    noise_sigma=3.0),
    # The report as one long picture, its pages stitched one under the other.
    "long200": ScanRecipe(dpi=200, long_picture=True, paper_grey=0.96, light_falloff=0.03, noise_sigma=3.0,
                          jpeg_quality=75),
    # Scans as sites publish them to keep files small: 100 dpi, JPEG quality 50-75, grey or colour.
    "scan100": ScanRecipe(dpi=100, paper_grey=0.95, light_falloff=0.06, noise_sigma=3.0, jpeg_quality=60),
    "scan100-grey": ScanRecipe(dpi=100, paper_grey=0.95, light_falloff=0.06, noise_sigma=3.0,
                               jpeg_quality=50, grey=True),
    # Downloaded with the site's watermark across every page; and that download printed and scanned.
    "watermark": WatermarkRecipe(),
    "scan200-watermark": WatermarkRecipe(scan=ScanRecipe(dpi=200, paper_grey=0.96, light_falloff=0.05,
                                                         noise_sigma=3.0)),
    "tounicode-digits": ToUnicodeRecipe(digits=True, cjk=False),
    "tounicode-cjk": ToUnicodeRecipe(digits=False, cjk=True),
    "tounicode-both": ToUnicodeRecipe(digits=True, cjk=True),
    "junk-layer200": JunkLayerRecipe(scan=ScanRecipe(dpi=200, paper_grey=0.95, light_falloff=0.05)),
    "picture-tables": PictureTablesRecipe(dpi_min=120, dpi_max=200),
    "turned": TurnedRecipe(),
    "tounicode-turned": TurnedRecipe(base=ToUnicodeRecipe(digits=True, cjk=True)),
    "junk-layer200-form": JunkLayerRecipe(scan=ScanRecipe(dpi=200, paper_grey=0.95, light_falloff=0.05),
                                          in_form=2),
    "junk-layer200-latin": JunkLayerRecipe(scan=ScanRecipe(dpi=200, paper_grey=0.95, light_falloff=0.05),
                                           in_form=1, cjk_as_latin=True),
}


@dataclass
class PageDegradation:
    """What was applied to one page of a scan (pixel boxes are x0, y0, x1, y1 of the final image)."""
    page: int
    dpi: int
    width_px: int
    height_px: int
    width_pt: float
    height_pt: float
    skew_deg_ccw: float = 0.0
    rotation_cw_deg: int = 0
    blur_sigma_px: float = 0.0
    noise_sigma: float = 0.0
    salt_pepper_fraction: float = 0.0
    artefact_jpeg_quality: int = 0
    paper_grey: float = 1.0
    light_falloff: float = 0.0
    jpeg_quality: int = 0
    jpeg_bytes: int = 0                # bytes of the page's image stream, whatever its encoding
    image_encoding: str = "jpeg"       # jpeg (RGB), jpeg-grey, ccitt-g4 (1-bit)
    bilevel_threshold: int = 0
    table_bboxes_px: list[list[int]] = field(default_factory=list)  # before skew/rotation
    ruling_gaps: int = 0
    ruling_fades: int = 0
    seal_bbox_page_px: list[int] | None = None    # before skew/rotation
    seal_bbox_image_px: list[int] | None = None   # in the final image
    seal_digits_inside: int = 0                   # digits within the seal's outer ring
    junk_text_lines: int = 0
    bed_shift_px: list[int] | None = None         # the paper's offset on a dark scanner bed
    show_through: float = 0.0
    streaks_px: list[int] = field(default_factory=list)   # x of each streak in the final image
    pen_marks: list = field(default_factory=list)   # (kind, number's box px, before any turn) per mark
    keystone_corners_px: list[list[int]] | None = None    # each corner's move (tl, tr, br, bl)
    keystone_matrix: list[list[float]] | None = None      # px before -> px after the perspective
    sheet_pages: list[int] | None = None          # two_up, long_picture: the source pages in this image, first first


# ---------------------------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------------------------

def rng_for(seed: int, *labels: str) -> np.random.Generator:
    """A generator that depends on the seed and the labels only (stable across runs and order)."""
    return np.random.default_rng([seed, *(zlib.crc32(label.encode()) for label in labels)])


# ---------------------------------------------------------------------------------------------
# Page geometry from the clean PDF
# ---------------------------------------------------------------------------------------------

def render_page_rgb(page: pdfium.PdfPage, dpi: int) -> np.ndarray:
    """The page as an RGB uint8 array at dpi (white background, annotations drawn)."""
    bitmap = page.render(scale=dpi / 72.0, draw_annots=True)
    return np.asarray(bitmap.to_pil().convert("RGB")).copy()


def digit_boxes_px(page: pdfium.PdfPage, dpi: int) -> list[tuple[float, float, float, float]]:
    """Pixel boxes (x0, y0, x1, y1, top-down) of the digits in the page's text layer."""
    if page.get_rotation() % 360:
        # Char boxes are in unrotated page space; not worth mapping for seal placement.
        return []
    left, _bottom, _right, top = page.get_mediabox()
    scale = dpi / 72.0
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    boxes = []
    for index in range(textpage.count_chars()):
        if index < len(text) and text[index].isdigit():
            x0, y0, x1, y1 = textpage.get_charbox(index)
            boxes.append(((x0 - left) * scale, (top - y1) * scale,
                          (x1 - left) * scale, (top - y0) * scale))
    return boxes


def ruling_masks(gray: np.ndarray, dpi: int) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical ruling-line masks: dark runs longer than any character stroke."""
    ink = (gray < 160).astype(np.uint8)
    # 0.35 inch is longer than the strokes of 22 pt title characters and shorter than a table row.
    run_px = max(15, int(0.35 * dpi))
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (run_px, 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, run_px)))
    return horizontal, vertical


def table_bboxes(gray: np.ndarray, dpi: int) -> list[list[int]]:
    """Boxes of ruled tables: connected groups of rulings at least a quarter of the page wide."""
    horizontal, vertical = ruling_masks(gray, dpi)
    grid = cv2.dilate(horizontal | vertical, np.ones((5, 5), np.uint8))
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(grid, connectivity=8)
    height, width = gray.shape
    boxes = []
    for label in range(1, count):
        x, y, w, h, _area = stats[label]
        if w >= width * 0.25 and h >= max(0.3 * dpi, height * 0.03):
            boxes.append([int(x), int(y), int(x + w), int(y + h)])
    return sorted(boxes, key=lambda box: (box[1], box[0]))


# ---------------------------------------------------------------------------------------------
# Image degradations (each takes and returns an RGB uint8 array)
# ---------------------------------------------------------------------------------------------

def break_rulings(rgb: np.ndarray, dpi: int, rng: np.random.Generator) -> tuple[np.ndarray, int, int]:
    """Fade stretches of the ruling lines and cut short gaps into them, as worn toner does.

    Returns the image, the number of gaps and the number of faded stretches.
    """
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    horizontal, vertical = ruling_masks(gray, dpi)
    keep = np.ones(gray.shape, np.float32)  # 1 = ink kept, 0 = gap, between = faded
    gaps = fades = 0
    mm = dpi / 25.4
    for mask, along_x in ((horizontal, True), (vertical, False)):
        # Grow across the line only, so antialiased edges go too but no neighbouring strokes.
        grown = cv2.dilate(mask, np.ones((3, 1) if along_x else (1, 3), np.uint8))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
        for label in range(1, count):
            x, y, w, h, _ = stats[label]
            start, length = (x, w) if along_x else (y, h)
            pieces = []
            for _ in range(rng.poisson(length / (40 * mm))):  # about one gap per 40 mm
                gap = int(rng.uniform(1.0, 3.5) * mm)
                gap_start = int(rng.integers(start, max(start + 1, start + length - gap)))
                pieces.append((gap_start, gap, 0.0))
                gaps += 1
            if rng.random() < 0.5:
                fade = int(length * rng.uniform(0.15, 0.5))
                fade_start = int(rng.integers(start, max(start + 1, start + length - fade)))
                pieces.append((fade_start, fade, float(rng.uniform(0.2, 0.5))))
                fades += 1
            component = labels[y:y + h, x:x + w] == label
            for piece_start, piece_length, strength in pieces:
                if along_x:
                    sub = (slice(y, y + h), slice(piece_start, piece_start + piece_length))
                    sub_mask = component[:, piece_start - x:piece_start - x + piece_length]
                else:
                    sub = (slice(piece_start, piece_start + piece_length), slice(x, x + w))
                    sub_mask = component[piece_start - y:piece_start - y + piece_length, :]
                region = keep[sub]
                region[sub_mask] = np.minimum(region[sub_mask], strength)
    faded = 255.0 - (255.0 - rgb.astype(np.float32)) * keep[..., None]
    return np.clip(faded, 0, 255).astype(np.uint8), gaps, fades


def seal_ink_mask(diameter_px: int, text: str, rng: np.random.Generator) -> np.ndarray:
    """A round official seal as an ink coverage mask (float 0..1): ring, star, text on the arc."""
    size = diameter_px + 4
    centre = size / 2.0
    radius = diameter_px / 2.0
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    ring_width = max(2, int(round(diameter_px * 0.035)))
    draw.ellipse([2, 2, size - 3, size - 3], outline=255, width=ring_width)
    draw.polygon(star_points(centre, centre, radius * 0.27), fill=255)
    draw_arc_text(canvas, text, centre, radius, ring_width)
    angle = float(rng.uniform(-25, 25))  # seals are rarely pressed upright
    canvas = canvas.rotate(angle, resample=Image.BICUBIC)
    ink = np.asarray(canvas, np.float32) / 255.0
    # Uneven ink: a smooth random field, with a few starved patches.
    coarse = rng.random((8, 8)).astype(np.float32)
    field_ = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    field_ = np.clip(0.55 + 0.45 * field_, 0.35, 1.0)
    speckle = rng.random((size, size)) < 0.06
    ink = ink * field_
    ink[speckle] *= 0.4
    return np.clip(ink, 0, 1)


def star_points(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    """The ten corners of an upright five-pointed star."""
    inner = outer * 0.382
    points = []
    for corner in range(10):
        r = outer if corner % 2 == 0 else inner
        theta = math.pi / 2 + corner * math.pi / 5
        points.append((cx + r * math.cos(theta), cy - r * math.sin(theta)))
    return points


def draw_arc_text(canvas: Image.Image, text: str, centre: float, radius: float, ring_width: int) -> None:
    """Characters along the upper arc, each turned to face the centre."""
    font_px = max(8, int(radius * 0.26))
    font = ImageFont.truetype(CJK_FONT_PATH, font_px)
    text_radius = radius - ring_width - font_px * 0.75
    step = min(2 * math.pi * 0.68 / max(1, len(text)), font_px * 1.15 / text_radius)
    span = step * len(text)
    for index, char in enumerate(text):
        theta = -span / 2 + step * (index + 0.5)  # clockwise from the top
        glyph = Image.new("L", (font_px * 2, font_px * 2), 0)
        ImageDraw.Draw(glyph).text((font_px, font_px), char, fill=255, font=font, anchor="mm")
        glyph = glyph.rotate(-math.degrees(theta), resample=Image.BICUBIC)
        x = centre + text_radius * math.sin(theta) - font_px
        y = centre - text_radius * math.cos(theta) - font_px
        region = (int(round(x)), int(round(y)))
        canvas.paste(255, region, glyph)


def stamp_seal(rgb: np.ndarray, ink: np.ndarray, top_left: tuple[int, int], opacity: float,
               colour: tuple[int, int, int] = SEAL_RED_RGB) -> np.ndarray:
    """Multiply-blend the ink (a seal's red) onto the page: text under it stays dark, paper takes its colour."""
    x0, y0 = top_left
    height, width = ink.shape
    page_h, page_w = rgb.shape[:2]
    ix0, iy0 = max(0, -x0), max(0, -y0)
    px0, py0 = max(0, x0), max(0, y0)
    px1, py1 = min(page_w, x0 + width), min(page_h, y0 + height)
    alpha = ink[iy0:iy0 + py1 - py0, ix0:ix0 + px1 - px0, None] * opacity
    tint = np.array(colour, np.float32) / 255.0
    out = rgb.astype(np.float32)
    out[py0:py1, px0:px1] *= 1.0 - alpha * (1.0 - tint)
    return np.clip(out, 0, 255).astype(np.uint8)


def choose_seal_centre(tables: list[list[int]], digits: list[tuple[float, float, float, float]],
                       page_shape: tuple[int, int], radius: float,
                       rng: np.random.Generator) -> tuple[float, float]:
    """A centre on a digit inside the largest table (else the table's right half, else low right)."""
    height, width = page_shape
    if tables:
        x0, y0, x1, y1 = max(tables, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
        inside = [d for d in digits if x0 <= (d[0] + d[2]) / 2 <= x1 and y0 <= (d[1] + d[3]) / 2 <= y1]
        if inside:
            d = inside[int(rng.integers(len(inside)))]
            cx = (d[0] + d[2]) / 2 + rng.uniform(-0.2, 0.2) * radius
            cy = (d[1] + d[3]) / 2 + rng.uniform(-0.2, 0.2) * radius
        else:
            cx = rng.uniform(x0 + 0.5 * (x1 - x0), x1 - 0.1 * (x1 - x0))
            cy = rng.uniform(y0, y1)
    else:
        cx, cy = width * rng.uniform(0.55, 0.75), height * rng.uniform(0.7, 0.85)
    # Keep the whole seal on the paper.
    cx = float(np.clip(cx, radius + 2, width - radius - 2))
    cy = float(np.clip(cy, radius + 2, height - radius - 2))
    return cx, cy


def apply_seal(rgb: np.ndarray, dpi: int, tables: list[list[int]],
               digits: list[tuple[float, float, float, float]], text: str,
               rng: np.random.Generator, colour: tuple[int, int, int] = SEAL_RED_RGB
               ) -> tuple[np.ndarray, list[int], int]:
    """Stamp a seal; returns the image, its bbox (page px) and how many digits lie inside its ring."""
    diameter = int(round(SEAL_DIAMETER_MM / 25.4 * dpi))
    radius = diameter / 2.0
    cx, cy = choose_seal_centre(tables, digits, rgb.shape[:2], radius, rng)
    ink = seal_ink_mask(diameter, text, rng)
    size = ink.shape[0]
    top_left = (int(round(cx - size / 2)), int(round(cy - size / 2)))
    stamped = stamp_seal(rgb, ink, top_left, opacity=float(rng.uniform(0.75, 0.9)), colour=colour)
    covered = sum(1 for d in digits
                  if math.hypot((d[0] + d[2]) / 2 - cx, (d[1] + d[3]) / 2 - cy) < radius * 0.95)
    bbox = [top_left[0], top_left[1], top_left[0] + size, top_left[1] + size]
    return stamped, bbox, covered


def apply_paper_and_light(rgb: np.ndarray, grey: float, falloff: float,
                          rng: np.random.Generator) -> np.ndarray:
    """Grey, slightly warm paper under an uneven lamp: a vignette around a random centre plus a gradient."""
    height, width = rgb.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * height
    distance = ((xs - cx) ** 2 + (ys - cy) ** 2) / float(width ** 2 + height ** 2)
    direction = rng.uniform(0, 2 * math.pi)
    ramp = (xs / width) * math.cos(direction) + (ys / height) * math.sin(direction)
    ramp -= ramp.min()
    light = grey * (1.0 - falloff * (2.0 * distance + 0.5 * ramp / max(float(ramp.max()), 1e-6)))
    paper_tint = np.array([1.0, 0.985, 0.95], np.float32)  # recycled office paper is warm
    out = rgb.astype(np.float32) * light[..., None] * paper_tint
    return np.clip(out, 0, 255).astype(np.uint8)


def skew_image(rgb: np.ndarray, angle_deg_ccw: float, shift: tuple[int, int] = (0, 0),
               bed: int = 255) -> tuple[np.ndarray, np.ndarray]:
    """Rotate about the centre (positive = counter-clockwise as seen) and shift by (dx, dy)
    pixels, the scanner's lid or bed of grey level `bed` around."""
    height, width = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), angle_deg_ccw, 1.0)
    matrix[:, 2] += shift
    turned = cv2.warpAffine(rgb, matrix, (width, height), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=(bed, bed, bed))
    return turned, matrix


def keystone_image(rgb: np.ndarray, share: float, rng: np.random.Generator, desk: bool = False
                   ) -> tuple[np.ndarray, list[list[int]], list[list[float]]]:
    """The page seen in perspective (a sheet that did not lie flat, a photograph): each corner
    moved by up to `share` of the width each way, white where no paper shows; the moves, and the
    matrix (px before -> px after).
    `desk`: photographed on a desk, which shows around the sheet (a margin of 6% of the width)."""
    h, w = rgb.shape[:2]
    margin = int(round(0.06 * w)) if desk else 0
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    moves = np.round(rng.uniform(-share * w, share * w, (4, 2))).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(corners, corners + moves + margin)
    size = (w + 2 * margin, h + 2 * margin)
    if desk:
        colour = tuple(int(c) for c in rng.integers(25, 110, 3))
        warped = np.empty((size[1], size[0], 3), np.uint8)
        warped[:] = colour
        cv2.warpPerspective(rgb, matrix, size, dst=warped, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
    else:
        warped = cv2.warpPerspective(rgb, matrix, size, flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))
    return warped, moves.astype(int).tolist(), matrix.tolist()


def show_through(rgb: np.ndarray, back: np.ndarray, strength: float) -> np.ndarray:
    """The back page's print, mirrored and softened by the paper, darkening this one by up to
    `strength` of its ink."""
    ink = 255.0 - cv2.GaussianBlur(cv2.cvtColor(back[:, ::-1], cv2.COLOR_RGB2GRAY), (0, 0), 1.5).astype(np.float32)
    ink = cv2.resize(ink, (rgb.shape[1], rgb.shape[0]))
    return np.clip(rgb.astype(np.float32) - strength * ink[..., None], 0, 255).astype(np.uint8)


PEN_INK_RGB = (35, 35, 45)          # black ballpoint


def mark_values(rgb: np.ndarray, dpi: int, digits: list[tuple[float, float, float, float]], share: float,
                rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[str, list[int]]]]:
    """A reader's pen on the printed page: `share` of its numbers (runs of digits) ticked just
    right of them, underlined close beneath, or circled; returns the image and each mark's kind
    and the number's box (px)."""
    rgb = rgb.copy()
    width = max(1, int(round(dpi / 100)))
    marks = []
    for x0, y0, x1, y1 in merge_runs(digits):
        if rng.random() >= share:
            continue
        kind = str(rng.choice(["tick", "underline", "circle"]))
        h = y1 - y0
        if kind == "tick":
            x, y = x1 + rng.uniform(0.2, 0.6) * h, (y0 + y1) / 2
            points = [(x, y), (x + 0.35 * h, y + 0.45 * h), (x + 1.0 * h, y - 0.9 * h)]
            cv2.polylines(rgb, [np.array(points, np.int32)], False, PEN_INK_RGB, width, cv2.LINE_AA)
        elif kind == "underline":
            y = y1 + rng.uniform(0.1, 0.3) * h
            cv2.line(rgb, (int(x0 - 0.3 * h), int(y)), (int(x1 + 0.3 * h), int(y + rng.uniform(-0.2, 0.2) * h)),
                     PEN_INK_RGB, width, cv2.LINE_AA)
        else:
            centre = (int((x0 + x1) / 2), int((y0 + y1) / 2))
            axes = (int((x1 - x0) / 2 + rng.uniform(0.4, 0.8) * h), int(h / 2 + rng.uniform(0.2, 0.5) * h))
            cv2.ellipse(rgb, centre, axes, float(rng.uniform(-8, 8)), float(rng.uniform(0, 40)),
                        float(rng.uniform(330, 380)), PEN_INK_RGB, width, cv2.LINE_AA)
        marks.append((kind, [int(x0), int(y0), int(x1), int(y1)]))
    return rgb, marks


def rotate_quarter_turns(rgb: np.ndarray, cw_deg: int) -> np.ndarray:
    """Turn the image itself, as a scanner fed the sheet sideways or upside down does."""
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return cv2.rotate(rgb, codes[cw_deg]) if cw_deg % 360 else rgb


def transform_bbox(bbox: list[int], matrix: np.ndarray | None, cw_deg: int,
                   shape_before_rotation: tuple[int, int]) -> list[int]:
    """Where a page-pixel box ends up after skew (affine matrix) and quarter-turn rotation."""
    x0, y0, x1, y1 = bbox
    corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], np.float64)
    if matrix is not None:
        corners = corners @ matrix[:, :2].T + matrix[:, 2]
    height, width = shape_before_rotation
    xs, ys = corners[:, 0], corners[:, 1]
    if cw_deg == 90:
        xs, ys = height - 1 - ys, xs
    elif cw_deg == 180:
        xs, ys = width - 1 - xs, height - 1 - ys
    elif cw_deg == 270:
        xs, ys = ys, width - 1 - xs
    return [int(math.floor(xs.min())), int(math.floor(ys.min())), int(math.ceil(xs.max())), int(math.ceil(ys.max()))]


def add_noise(rgb: np.ndarray, sigma: float, salt_pepper: float, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise (same on all channels, as scanner noise is mostly luminance) and dust specks."""
    out = rgb.astype(np.float32)
    if sigma > 0:
        out += rng.normal(0.0, sigma, rgb.shape[:2]).astype(np.float32)[..., None]
    if salt_pepper > 0:
        speck = rng.random(rgb.shape[:2])
        out[speck < salt_pepper * 0.7] = 20.0          # dust prints dark more often than it lifts
        out[speck > 1.0 - salt_pepper * 0.3] = 255.0
    return np.clip(out, 0, 255).astype(np.uint8)


def encode_jpeg(rgb: np.ndarray, quality: int) -> bytes:
    ok, buffer = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buffer.tobytes()


def encode_jpeg_grey(rgb: np.ndarray, quality: int) -> bytes:
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    ok, buffer = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buffer.tobytes()


def bilevel(rgb: np.ndarray, threshold: int) -> np.ndarray:
    """A scanner's fixed threshold: True where the paper is left white (grey >= threshold)."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) >= threshold


def encode_ccitt_g4(white: np.ndarray) -> bytes:
    """The CCITT Group 4 stream of a 1-bit image (True = white), as a PDF /CCITTFaxDecode holds it:
    one TIFF strip of the whole page, its codes taken out of the TIFF."""
    image = Image.fromarray(white.astype(np.uint8) * 255).convert("1")
    buffer = io.BytesIO()
    image.save(buffer, "TIFF", compression="group4", tiffinfo={278: image.height})
    tiff = Image.open(io.BytesIO(buffer.getvalue()))
    offsets, counts = tiff.tag_v2[273], tiff.tag_v2[279]
    if len(offsets) != 1:
        raise RuntimeError("CCITT encoding gave more than one strip")
    return buffer.getvalue()[offsets[0]:offsets[0] + counts[0]]


def jpeg_roundtrip(rgb: np.ndarray, quality: int) -> np.ndarray:
    """The blocking and ringing of an earlier low-quality copy."""
    decoded = cv2.imdecode(np.frombuffer(encode_jpeg(rgb, quality), np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)


# ---------------------------------------------------------------------------------------------
# Scans
# ---------------------------------------------------------------------------------------------

def scan_page(page: pdfium.PdfPage, index: int, recipe: ScanRecipe, rng: np.random.Generator,
              seal_text: str, is_last_page: bool = False,
              back: pdfium.PdfPage | None = None) -> tuple[bytes, PageDegradation]:
    """One page through the scanner: returns the final JPEG and the record of what was applied.

    Seals go on every page with a table (over its digits) and on the last page, where the
    issuing office signs. `back`: the page printed on its reverse (recipe.show_through).
    """
    dpi = recipe.dpi
    rgb = render_page_rgb(page, dpi)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    tables = table_bboxes(gray, dpi)
    if recipe.pale_print:
        rgb = (recipe.pale_print * 255.0 + (1.0 - recipe.pale_print) * rgb.astype(np.float32)).astype(np.uint8)
    record = PageDegradation(page=index, dpi=dpi, width_px=0, height_px=0, width_pt=0.0, height_pt=0.0,
                             table_bboxes_px=tables, jpeg_quality=recipe.jpeg_quality)
    if recipe.broken_rulings:
        rgb, record.ruling_gaps, record.ruling_fades = break_rulings(rgb, dpi, rng)
    if recipe.seal and (tables or is_last_page):
        rgb, record.seal_bbox_page_px, record.seal_digits_inside = apply_seal(
            rgb, dpi, tables, digit_boxes_px(page, dpi), seal_text, rng, recipe.seal_rgb)
    if recipe.pen_marks > 0:
        rgb, record.pen_marks = mark_values(rgb, dpi, digit_boxes_px(page, dpi), recipe.pen_marks, rng)
    if recipe.show_through > 0 and back is not None:
        record.show_through = round(float(rng.uniform(0.5, 1.0) * recipe.show_through), 3)
        rgb = show_through(rgb, render_page_rgb(back, dpi), record.show_through)
    if recipe.paper_grey < 1.0 or recipe.light_falloff > 0:
        rgb = apply_paper_and_light(rgb, recipe.paper_grey, recipe.light_falloff, rng)
        record.paper_grey, record.light_falloff = recipe.paper_grey, recipe.light_falloff
    matrix = None
    if recipe.skew_max_deg > 0 or recipe.scanner_bed:
        magnitude = rng.uniform(recipe.skew_min_deg, recipe.skew_max_deg)
        record.skew_deg_ccw = round(float(magnitude * rng.choice([-1.0, 1.0])), 3)
        shift, bed = (0, 0), 255
        if recipe.scanner_bed:
            # The paper laid short of the bed's top-left corner, the bed dark where it shows.
            shift = (int(rng.uniform(0.05, 0.3) * dpi), int(rng.uniform(0.05, 0.3) * dpi))
            bed = int(rng.integers(15, 70))
            record.bed_shift_px = list(shift)
        rgb, matrix = skew_image(rgb, record.skew_deg_ccw, shift, bed)
        if recipe.scanner_bed:
            # The glass's frame along the far edges, square to the image, over the paper.
            rgb = rgb.copy()
            rgb[:, rgb.shape[1] - int(rng.uniform(0.08, 0.25) * dpi):] = bed
            rgb[rgb.shape[0] - int(rng.uniform(0.08, 0.25) * dpi):, :] = bed
    if recipe.keystone > 0:
        rgb, record.keystone_corners_px, record.keystone_matrix = keystone_image(
            rgb, recipe.keystone, rng, recipe.desk)
    shape_before_rotation = rgb.shape[:2]
    if recipe.rotate_cw_deg and (tables or not recipe.rotate_table_pages_only):
        rgb = rotate_quarter_turns(rgb, recipe.rotate_cw_deg)
        record.rotation_cw_deg = recipe.rotate_cw_deg
    if recipe.streaks:
        # Dirt on the feeder's glass: a line along the way the sheet moved, through everything.
        rgb = rgb.copy()
        for _ in range(int(rng.integers(1, recipe.streaks + 1))):
            x, width = int(rng.uniform(0.15, 0.85) * rgb.shape[1]), int(rng.integers(1, 4))
            rgb[:, x:x + width] = np.minimum(rgb[:, x:x + width], int(rng.integers(20, 120)))
            record.streaks_px.append(x)
    if record.seal_bbox_page_px is not None and record.keystone_corners_px is None:
        record.seal_bbox_image_px = transform_bbox(record.seal_bbox_page_px, matrix,
                                                   record.rotation_cw_deg, shape_before_rotation)
    if recipe.blur_sigma_px > 0:
        rgb = cv2.GaussianBlur(rgb, (0, 0), recipe.blur_sigma_px)
        record.blur_sigma_px = recipe.blur_sigma_px
    if recipe.noise_sigma > 0 or recipe.salt_pepper_fraction > 0:
        rgb = add_noise(rgb, recipe.noise_sigma, recipe.salt_pepper_fraction, rng)
        record.noise_sigma, record.salt_pepper_fraction = recipe.noise_sigma, recipe.salt_pepper_fraction
    if recipe.artefact_jpeg_quality:
        rgb = jpeg_roundtrip(rgb, recipe.artefact_jpeg_quality)
        record.artefact_jpeg_quality = recipe.artefact_jpeg_quality
    if recipe.bilevel_threshold:
        white = bilevel(rgb, recipe.bilevel_threshold)
        jpeg = encode_ccitt_g4(white)
        record.image_encoding, record.bilevel_threshold, record.jpeg_quality = "ccitt-g4", recipe.bilevel_threshold, 0
    elif recipe.grey:
        jpeg = encode_jpeg_grey(rgb, recipe.jpeg_quality)
        record.image_encoding = "jpeg-grey"
    else:
        jpeg = encode_jpeg(rgb, recipe.jpeg_quality)
    record.height_px, record.width_px = rgb.shape[:2]
    record.width_pt = round(record.width_px * 72.0 / dpi, 3)
    record.height_pt = round(record.height_px * 72.0 / dpi, 3)
    record.jpeg_bytes = len(jpeg)
    return jpeg, record


def scan_pages(src: Path, recipe: ScanRecipe, seed: int, seal_text: str,
               label: str) -> list[tuple[bytes, PageDegradation]]:
    if recipe.bilevel_threshold_max > recipe.bilevel_threshold:
        # One scanner setting per report, somewhere from light to heavy.
        drawn = int(rng_for(seed, label, "threshold").integers(recipe.bilevel_threshold,
                                                                recipe.bilevel_threshold_max + 1))
        recipe = dataclasses.replace(recipe, bilevel_threshold=drawn, bilevel_threshold_max=0)
    document = pdfium.PdfDocument(str(src))
    try:
        count = len(document)
        # Printed on both sides: a page's back is the next page (the last one's, the one before).
        pages = [scan_page(document[index], index, recipe, rng_for(seed, label, str(index)), seal_text,
                           is_last_page=index == count - 1,
                           back=document[index + 1 if index + 1 < count else index - 1] if count > 1 else None)
                 for index in range(count)]
    finally:
        document.close()
    if recipe.two_up:
        pages = two_to_a_sheet(pages, recipe.jpeg_quality)
    if recipe.long_picture:
        pages = one_long_picture(pages, recipe.jpeg_quality)
    if recipe.declared_dpis:
        declared = recipe.declared_dpis[int(rng_for(seed, label, "declared dpi").integers(len(recipe.declared_dpis)))]
        for _, record in pages:
            record.width_pt = round(record.width_px * 72.0 / declared, 3)
            record.height_pt = round(record.height_px * 72.0 / declared, 3)
    return pages


def one_long_picture(pages: list[tuple[bytes, PageDegradation]], quality: int) -> list[tuple[bytes, PageDegradation]]:
    """All pages one under the other in one JPEG, as wide as the widest."""
    images = _decoded(pages)
    width = max(image.shape[1] for image in images)
    picture = np.vstack([np.pad(image, ((0, 0), (0, width - image.shape[1]), (0, 0)), constant_values=255)
                         for image in images])
    return [_one_image(picture, pages, quality)]


def _decoded(pages: list[tuple[bytes, PageDegradation]]) -> list[np.ndarray]:
    return [cv2.cvtColor(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            for jpeg, _ in pages]


def _one_image(image: np.ndarray, pages: list[tuple[bytes, PageDegradation]],
               quality: int) -> tuple[bytes, PageDegradation]:
    """The pages drawn into one image, as JPEG, with the first page's record given its size."""
    jpeg = encode_jpeg(image, quality)
    record = dataclasses.replace(pages[0][1], width_px=image.shape[1], height_px=image.shape[0],
                                 jpeg_bytes=len(jpeg), sheet_pages=[r.page for _, r in pages])
    record.width_pt = round(record.width_px * 72.0 / record.dpi, 3)
    record.height_pt = round(record.height_px * 72.0 / record.dpi, 3)
    return jpeg, record


def two_to_a_sheet(pages: list[tuple[bytes, PageDegradation]], quality: int) -> list[tuple[bytes, PageDegradation]]:
    """Pages side by side two to a sheet, left first (the last one alone where they are odd): one
    JPEG per sheet, whose record is its left page's with the sheet's size."""
    sheets = []
    for k in range(0, len(pages), 2):
        pair = pages[k:k + 2]
        images = _decoded(pair)
        height = max(image.shape[0] for image in images)
        images = [np.pad(image, ((0, height - image.shape[0]), (0, 0), (0, 0)), constant_values=255)
                  for image in images]
        sheets.append(_one_image(np.hstack(images + [np.full_like(images[0], 255)] * (2 - len(images))),
                                 pair, quality))
    return sheets


def image_only_pdf(pages: list[tuple[bytes, PageDegradation]]) -> pikepdf.Pdf:
    """One full-page image per page (JPEG, or CCITT G4 for 1-bit scans), page size = pixels * 72 / dpi,
    nothing else."""
    pdf = pikepdf.new()
    for jpeg, record in pages:
        image = pikepdf.Stream(pdf, jpeg)
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height = record.width_px, record.height_px
        if record.image_encoding == "ccitt-g4":
            image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceGray, 1
            image.Filter = pikepdf.Name.CCITTFaxDecode
            image.DecodeParms = pikepdf.Dictionary(K=-1, Columns=record.width_px, Rows=record.height_px,
                                                   BlackIs1=True)
        else:
            grey = record.image_encoding == "jpeg-grey"
            image.ColorSpace = pikepdf.Name.DeviceGray if grey else pikepdf.Name.DeviceRGB
            image.BitsPerComponent = 8
            image.Filter = pikepdf.Name.DCTDecode
        content = f"q {record.width_pt:.3f} 0 0 {record.height_pt:.3f} 0 0 cm /Im0 Do Q".encode()
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, record.width_pt, record.height_pt],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
            Contents=pikepdf.Stream(pdf, content),
        )
        pdf.pages.append(pikepdf.Page(page))
    return pdf


def make_scan(src: Path, out: Path, recipe: ScanRecipe, seed: int = 0,
              seal_text: str = DEFAULT_SEAL_TEXT, label: str = "scan") -> list[PageDegradation]:
    """Write an image-only scan of src to out; returns the per-page records."""
    pages = scan_pages(src, recipe, seed, seal_text, label)
    with image_only_pdf(pages) as pdf:
        pdf.save(out)
    return [record for _, record in pages]


# ---------------------------------------------------------------------------------------------
# Scrambled /ToUnicode
# ---------------------------------------------------------------------------------------------

def is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def digit_derangement(rng: np.random.Generator) -> dict[str, str]:
    """A permutation of 0-9 with no fixed point, so every digit reads wrong (full-width too)."""
    while True:
        order = rng.permutation(10)
        if all(order[i] != i for i in range(10)):
            break
    table = {str(i): str(int(order[i])) for i in range(10)}
    table.update({FULLWIDTH_DIGITS[i]: FULLWIDTH_DIGITS[int(order[i])] for i in range(10)})
    return table


def cjk_substitution(chars: set[str], fraction: float, rng: np.random.Generator) -> dict[str, str]:
    """Map a share of the document's CJK characters to other common CJK characters."""
    pool = sorted(set(COMMON_CJK) | chars)
    chosen = sorted(chars)
    rng.shuffle(chosen)
    table = {}
    for char in chosen[:int(round(len(chosen) * fraction))]:
        while True:
            other = pool[int(rng.integers(len(pool)))]
            if other != char:
                table[char] = other
                break
    return table


def simple_font_unicode(font: pikepdf.Dictionary) -> dict[int, str]:
    """True code -> unicode of a simple font without ToUnicode: ASCII plus /Differences names."""
    mapping = {code: chr(code) for code in range(0x20, 0x7F)}
    encoding = font.get("/Encoding")
    if isinstance(encoding, pikepdf.Dictionary) and "/Differences" in encoding:
        code = 0
        digit_names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        for item in encoding.Differences:
            if isinstance(item, int):
                code = int(item)
                continue
            name = str(item)[1:]
            if name in digit_names:
                mapping[code] = str(digit_names.index(name))
            elif re.fullmatch(r"uni[0-9A-F]{4}", name):
                mapping[code] = chr(int(name[3:], 16))
            code += 1
    return mapping


def document_fonts(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every font dictionary that text extraction consults for Unicode (Type0 parents, simple fonts)."""
    fonts = []
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font and \
                obj.get("/Subtype") in (pikepdf.Name.Type0, pikepdf.Name.TrueType, pikepdf.Name.Type1,
                                        pikepdf.Name.MMType1):
            fonts.append(obj)
    return fonts


def font_unicode_map(font: pikepdf.Dictionary) -> ToUnicodeMap | None:
    """The font's current code -> unicode map, or None where it cannot be known cheaply."""
    if "/ToUnicode" in font and isinstance(font.ToUnicode, pikepdf.Stream):
        return parse_tounicode(font.ToUnicode.read_bytes())
    if font.Subtype == pikepdf.Name.Type0:
        return None
    return ToUnicodeMap(1, [(b"\x00", b"\xff")], simple_font_unicode(font))


def scramble_tounicode(src: Path, out: Path, recipe: ToUnicodeRecipe, seed: int = 0,
                       label: str = "tounicode") -> dict:
    """Write a copy of src whose /ToUnicode CMaps lie as the recipe says; returns what was done."""
    rng = rng_for(seed, label)
    with pikepdf.open(src) as pdf:
        maps = {}
        for font in document_fonts(pdf):
            current = font_unicode_map(font)
            if current is None:
                log.warning("%s: Type0 font %s has no ToUnicode; left as is", src.name, font.get("/BaseFont"))
                continue
            maps[font.objgen] = (font, current)
        doc_cjk = {char for _, cmap in maps.values() for text in cmap.mapping.values() for char in text
                   if is_cjk(char)}
        substitution: dict[str, str] = {}
        if recipe.digits:
            substitution.update(digit_derangement(rng))
        if recipe.cjk:
            substitution.update(cjk_substitution(doc_cjk, recipe.cjk_fraction, rng))
        codes_changed = 0
        for font, cmap in maps.values():
            lying = {code: "".join(substitution.get(c, c) for c in text) for code, text in cmap.mapping.items()}
            codes_changed += sum(1 for code in cmap.mapping if lying[code] != cmap.mapping[code])
            font.ToUnicode = pikepdf.Stream(pdf, build_tounicode(ToUnicodeMap(cmap.code_length, cmap.codespace, lying)))
        pdf.save(out)
    return {"fonts_rewritten": len(maps), "codes_changed": codes_changed,
            "digit_map": {k: v for k, v in substitution.items() if k.isascii() and k.isdigit()},
            "cjk_substituted": sum(1 for k in substitution if is_cjk(k)),
            "cjk_in_document": len(doc_cjk)}


def render_all_gray(path: Path, dpi: int = 72) -> list[np.ndarray]:
    document = pdfium.PdfDocument(str(path))
    try:
        return [np.asarray(document[i].render(scale=dpi / 72.0).to_pil().convert("L")) for i in range(len(document))]
    finally:
        document.close()


def extract_text(path: Path) -> list[str]:
    document = pdfium.PdfDocument(str(path))
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def check_tounicode_scramble(src: Path, out: Path) -> tuple[bool, bool]:
    """(renders pixel-identically, extracted text differs) for a scrambled copy."""
    identical = all(np.array_equal(a, b) for a, b in zip(render_all_gray(src), render_all_gray(out), strict=True))
    return identical, extract_text(src) != extract_text(out)


# ---------------------------------------------------------------------------------------------
# Junk text layer
# ---------------------------------------------------------------------------------------------

@dataclass
class TextLine:
    text: str
    left: float    # PDF points, origin bottom-left of the source page
    bottom: float
    right: float
    top: float


def text_lines(page: pdfium.PdfPage) -> list[TextLine]:
    """Visual text lines with their boxes: pdfium's text runs joined along the baseline.

    Many exports (WPS among them) put every character in its own run, while an OCR engine
    reports whole lines, so neighbouring runs of the same height are merged first.
    """
    textpage = page.get_textpage()
    boxes = [textpage.get_rect(index) for index in range(textpage.count_rects())]
    lines = []
    for left, bottom, right, top in merge_runs([b for b in boxes if b[2] > b[0] and b[3] > b[1]]):
        text = textpage.get_text_bounded(left, bottom, right, top).replace("\r", " ").replace("\n", " ").strip()
        if text:
            lines.append(TextLine(text, left, bottom, right, top))
    return lines


def merge_runs(boxes: list[tuple[float, float, float, float]]) -> list[tuple[float, float, float, float]]:
    """Join (left, bottom, right, top) boxes that share a line and are less than a glyph apart."""
    merged: list[list[float]] = []
    for left, bottom, right, top in sorted(boxes, key=lambda b: (-round(b[3]), b[0])):
        height = top - bottom
        for line in merged:
            line_height = line[3] - line[1]
            overlap = min(top, line[3]) - max(bottom, line[1])
            if overlap > 0.6 * min(height, line_height) and -0.5 * height < left - line[2] < 1.2 * max(height, line_height):
                line[0], line[1] = min(line[0], left), min(line[1], bottom)
                line[2], line[3] = max(line[2], right), max(line[3], top)
                break
        else:
            merged.append([left, bottom, right, top])
    return [tuple(line) for line in merged]


def corrupt_text(text: str, keep_fraction: float, drop_fraction: float, pool: str,
                 rng: np.random.Generator, keep_digits: bool = False) -> str:
    """Bad OCR: digits wrong (unless keep_digits), most other characters replaced, a few lost."""
    out = []
    for char in text:
        roll = rng.random()
        if char.isspace():
            out.append(" ")
        elif roll < drop_fraction:
            continue
        elif char.isdigit() and keep_digits:
            out.append(char)
        elif char.isdigit():
            out.append(str((int(char) + int(rng.integers(1, 10))) % 10) if char.isascii() else
                       str(int(rng.integers(10))))
        elif roll < drop_fraction + keep_fraction:
            out.append(char)
        elif is_cjk(char):
            out.append(pool[int(rng.integers(len(pool)))])
        else:
            out.append(ASCII_JUNK[int(rng.integers(len(ASCII_JUNK)))])
    return "".join(out)


def junk_layer_pdf(src: Path, pages: list[tuple[bytes, PageDegradation]], recipe: JunkLayerRecipe,
                   rng: np.random.Generator) -> bytes:
    """A reportlab PDF holding only the invisible text (render mode 3), one page per scan page."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas as rl_canvas

    font_name = "JunkZenHei"
    if font_name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font_name, CJK_FONT_PATH, subfontIndex=0))
    buffer = io.BytesIO()
    canvas = rl_canvas.Canvas(buffer, pageCompression=1)
    document = pdfium.PdfDocument(str(src))
    try:
        for (_, record), index in zip(pages, range(len(document))):
            page = document[index]
            left, bottom, right, top = page.get_mediabox()
            sx = record.width_pt / (right - left)
            sy = record.height_pt / (top - bottom)
            canvas.setPageSize((record.width_pt, record.height_pt))
            lines = text_lines(page)
            for line in lines:
                if recipe.cjk_as_latin:
                    junk = corrupt_text(line.text, 0.0, recipe.drop_fraction, LATIN_LETTERS, rng, keep_digits=True)
                else:
                    junk = corrupt_text(line.text, recipe.keep_fraction, recipe.drop_fraction, COMMON_CJK, rng)
                if not junk.strip():
                    continue
                size = max(2.0, (line.top - line.bottom) * sy * 0.9)
                natural = pdfmetrics.stringWidth(junk, font_name, size)
                text = canvas.beginText()
                text.setTextRenderMode(3)
                text.setFont(font_name, size)
                if natural > 0:
                    text.setHorizScale(100.0 * (line.right - line.left) * sx / natural)
                text.setTextOrigin((line.left - left) * sx, (line.bottom - bottom) * sy + size * 0.12)
                text.textOut(junk)
                canvas.drawText(text)
            record.junk_text_lines = len(lines)
            canvas.showPage()
    finally:
        document.close()
    canvas.save()
    return buffer.getvalue()


def wrap_in_form(pdf: pikepdf.Pdf, page: pikepdf.Page, depth: int) -> None:
    """Move the page's drawing into a Form XObject drawn by the page, `depth` forms deep."""
    for level in range(depth):
        contents = page.obj.Contents
        streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        form = pdf.make_indirect(pikepdf.Stream(pdf, b"\n".join(c.read_bytes() for c in streams)))
        form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
        form.BBox = page.obj.MediaBox
        form.Resources = page.obj.Resources
        name = f"/OCRLayer{level}"
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary({name: form}))
        page.obj.Contents = pdf.make_stream(f"q {name} Do Q".encode("ascii"))


def make_junk_layer(src: Path, out: Path, recipe: JunkLayerRecipe, seed: int = 0,
                    seal_text: str = DEFAULT_SEAL_TEXT, label: str = "junk") -> list[PageDegradation]:
    """A scan of src with a wrong invisible text layer over it."""
    if recipe.scan.skew_max_deg or recipe.scan.rotate_cw_deg:
        raise ValueError("junk layers are placed in unskewed, unrotated page coordinates")
    pages = scan_pages(src, recipe.scan, seed, seal_text, label)
    text_pdf_bytes = junk_layer_pdf(src, pages, recipe, rng_for(seed, label, "text"))
    with image_only_pdf(pages) as images, pikepdf.open(io.BytesIO(text_pdf_bytes)) as text_pdf:
        for text_page, image_page in zip(text_pdf.pages, images.pages, strict=True):
            if recipe.in_form:
                wrap_in_form(text_pdf, text_page, recipe.in_form)
            # The image goes underneath, as a form XObject; the text stays in the page content.
            text_page.add_underlay(image_page)
        text_pdf.save(out)
    return [record for _, record in pages]


# Content-stream operators that draw a page object (pdfium makes one object of each, in order).
_SHOW_TEXT = {"Tj", "TJ", "'", '"'}
_PAINT_PATH = {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*"}
_DRAWS = _SHOW_TEXT | _PAINT_PATH | {"Do", "sh", "INLINE IMAGE"}


def make_picture_tables(src: Path, out: Path, recipe: PictureTablesRecipe, seed: int = 0,
                        label: str = "picture-tables") -> list[dict]:
    """src with every ruled table replaced by a picture of it at one resolution drawn from
    [dpi_min, dpi_max], as a report written in Word with its tables pasted as screenshots.

    The table's boxes are found on a render (its rulings); the page objects inside them (pdfium
    lists them in the order the content stream draws them) are taken out of the content stream
    (text shows emptied, paths ended unpainted), and a greyscale picture of the table, rendered
    from the clean page, is drawn in their place. The prose keeps its text layer, untouched."""
    dpi = int(rng_for(seed, label, "dpi").integers(recipe.dpi_min, recipe.dpi_max + 1))
    margin_pt = 3.0
    records = []
    document = pdfium.PdfDocument(str(src))
    try:
        with pikepdf.open(src) as pdf:
            for index, page in enumerate(pdf.pages):
                clean = document[index]
                width_pt, height_pt = clean.get_size()
                rgb = render_page_rgb(clean, dpi)
                scale = dpi / 72.0
                gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
                boxes = [[max(0.0, x0 / scale - margin_pt), max(0.0, y0 / scale - margin_pt),
                          min(width_pt, x1 / scale + margin_pt), min(height_pt, y1 / scale + margin_pt)]
                         for x0, y0, x1, y1 in table_bboxes(gray, dpi)]
                inside = []
                for obj in clean.get_objects(max_depth=1):
                    left, bottom, right, top = obj.get_bounds()
                    cx, cy = (left + right) / 2, height_pt - (bottom + top) / 2
                    inside.append(obj.type in (pdfium.raw.FPDF_PAGEOBJ_TEXT, pdfium.raw.FPDF_PAGEOBJ_PATH)
                                  and any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes))
                clean.close()
                if boxes:
                    _replace_by_pictures(pdf, page, inside, boxes, rgb, scale, height_pt)
                records.append({"page": index + 1, "dpi": dpi, "tables": len(boxes),
                                "objects_removed": sum(inside),
                                "table_bboxes_pt": [[round(v, 2) for v in b] for b in boxes]})
            pdf.save(out)
    finally:
        document.close()
    return records


def _replace_by_pictures(pdf: pikepdf.Pdf, page: pikepdf.Page, inside: list[bool], boxes: list[list[float]],
                         rgb: np.ndarray, scale: float, height_pt: float) -> None:
    ops = pikepdf.parse_content_stream(page)
    drawn = [k for k, (_, op) in enumerate(ops) if str(op) in _DRAWS]
    if len(drawn) != len(inside):
        raise RuntimeError(f"page objects ({len(inside)}) and drawing operators ({len(drawn)}) differ")
    kept = list(ops)
    for k, gone in zip(drawn, inside):
        if not gone:
            continue
        operands, op = kept[k]
        name = str(op)
        if name in _PAINT_PATH:
            kept[k] = ([], pikepdf.Operator("n"))
        elif name == "TJ":
            kept[k] = ([pikepdf.Array([])], op)
        elif name in _SHOW_TEXT:
            kept[k] = ([*operands[:-1], pikepdf.String(b"")], op)
    drawing = [b"q\n", pikepdf.unparse_content_stream(kept), b"\nQ\n"]
    for x0, y0, x1, y1 in boxes:
        crop = cv2.cvtColor(rgb[int(y0 * scale):int(round(y1 * scale)), int(x0 * scale):int(round(x1 * scale))],
                            cv2.COLOR_RGB2GRAY)
        image = pikepdf.Stream(pdf, zlib.compress(np.ascontiguousarray(crop).tobytes()))
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height = crop.shape[1], crop.shape[0]
        image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceGray, 8
        image.Filter = pikepdf.Name.FlateDecode
        name = page.add_resource(pdf.make_indirect(image), pikepdf.Name.XObject, prefix="Pic")
        drawing.append(f"q {x1 - x0:.3f} 0 0 {y1 - y0:.3f} {x0:.3f} {height_pt - y1:.3f} cm {name} Do Q\n".encode())
    page.obj.Contents = pdf.make_stream(b"".join(drawing))


def make_turned(src: Path, out: Path, recipe: TurnedRecipe, seed: int = 0, label: str = "turned") -> list[int]:
    """Write src with its pages stored turned (looking the same); returns each page's /Rotate."""
    rng = rng_for(seed, label)
    with pikepdf.open(src) as pdf:
        turns = [int(t) for t in rng.choice([0, 90, 180, 270], size=len(pdf.pages))]
        if not any(turns):
            turns[int(rng.integers(len(turns)))] = 90
        for page, turn in zip(pdf.pages, turns):
            if turn:
                turn_page(pdf, page, turn)
        pdf.save(out)
    return turns


def turn_page(pdf: pikepdf.Pdf, page: pikepdf.Page, turn: int) -> None:
    """Draw the page's content turned back by `turn` degrees and set /Rotate to `turn`: the page
    looks as before, its user space (where text and rulings live) is turned."""
    x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    w, h = x1 - x0, y1 - y0
    # (x, y) of the upright page → user space of the turned one (MediaBox from the origin).
    matrix = {90: f"0 1 -1 0 {h:.4f} 0", 180: f"-1 0 0 -1 {w:.4f} {h:.4f}", 270: f"0 -1 1 0 0 {w:.4f}"}[turn]
    page.contents_coalesce()
    content = page.obj.Contents.read_bytes()
    page.obj.Contents = pdf.make_stream(f"q {matrix} cm 1 0 0 1 {-x0:.4f} {-y0:.4f} cm\n".encode()
                                        + content + b"\nQ\n")
    page.mediabox = [0, 0, h, w] if turn in (90, 270) else [0, 0, w, h]
    if "/CropBox" in page.obj:
        del page.obj["/CropBox"]
    page.obj.Rotate = turn


# ---------------------------------------------------------------------------------------------
# Watermarks
# ---------------------------------------------------------------------------------------------

def make_watermarked(src: Path, out: Path, recipe: WatermarkRecipe, seed: int = 0,
                     label: str = "watermark") -> dict:
    """Write src with a watermark tiled over every page (the page's content first, the watermark
    over it, as its own text in the layer) to out; returns what was drawn."""
    from reportlab.pdfgen import canvas

    from samples.render import register_fonts

    register_fonts()
    rng = rng_for(seed, label)
    mark = {"text": str(rng.choice(WATERMARK_TEXTS)),
            "angle_deg": round(float(rng.uniform(recipe.angle_min_deg, recipe.angle_max_deg)
                                     * rng.choice([-1, 1])), 1),
            "size_pt": round(float(rng.uniform(28, 48)), 1),
            "grey": round(float(rng.uniform(0.55, 0.8)), 2),
            "alpha": round(float(rng.uniform(0.3, 0.6)), 2)}
    with pikepdf.open(src) as pdf:
        for page in pdf.pages:
            x0, y0, x1, y1 = (float(v) for v in page.mediabox)
            buf = io.BytesIO()
            c = canvas.Canvas(buf, pagesize=(x1 - x0, y1 - y0))
            c.setFillColorRGB(mark["grey"], mark["grey"], mark["grey"])
            c.setFillAlpha(mark["alpha"])
            c.setFont("zenhei", mark["size_pt"])
            step_x, step_y = 7.0 * mark["size_pt"], 4.0 * mark["size_pt"]
            for y in np.arange(-step_y, y1 - y0 + step_y, step_y):
                for x in np.arange(-step_x, x1 - x0 + step_x, step_x):
                    c.saveState()
                    c.translate(float(x), float(y))
                    c.rotate(mark["angle_deg"])
                    c.drawString(0, 0, mark["text"])
                    c.restoreState()
            c.showPage()
            c.save()
            with pikepdf.open(io.BytesIO(buf.getvalue())) as overlay:
                page.add_overlay(overlay.pages[0])
        pdf.save(out)
    return mark


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------

def write_variant(src: Path, out_dir: Path, variant: str, seed: int) -> Path:
    """Write one variant of src (plus its truth copy and degrade sidecar) into out_dir."""
    recipe = VARIANTS[variant]
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / src.name
    truth = src.with_suffix(".truth.json")
    seal_text = DEFAULT_SEAL_TEXT
    if truth.exists():
        seal_text = json.loads(truth.read_text(encoding="utf-8")).get("agency") or DEFAULT_SEAL_TEXT
        shutil.copyfile(truth, out_dir / truth.name)
    label = f"{variant}/{src.stem}"
    sidecar: dict = {"source": src.name, "variant": variant, "seed": seed, "recipe": dataclasses.asdict(recipe)}
    if isinstance(recipe, ScanRecipe):
        sidecar["kind"] = "scan"
        sidecar["pages"] = [dataclasses.asdict(r) for r in make_scan(src, out, recipe, seed, seal_text, label)]
    elif isinstance(recipe, PictureTablesRecipe):
        sidecar["kind"] = "picture-tables"
        sidecar["pages"] = make_picture_tables(src, out, recipe, seed, label)
    elif isinstance(recipe, TurnedRecipe):
        sidecar["kind"] = "turned"
        source = src
        if recipe.base is not None:
            source = out.with_name(out.stem + ".base.pdf")
            sidecar.update(scramble_tounicode(src, source, recipe.base, seed, label))
        sidecar["pages"] = make_turned(source, out, recipe, seed, label)
        if source != src:
            source.unlink()
    elif isinstance(recipe, WatermarkRecipe):
        sidecar["kind"] = "watermark" if recipe.scan is None else "scan"
        target = out if recipe.scan is None else out.with_name(out.stem + ".base.pdf")
        sidecar["watermark"] = make_watermarked(src, target, recipe, seed, label)
        if recipe.scan is not None:
            sidecar["pages"] = [dataclasses.asdict(r) for r in
                                make_scan(target, out, recipe.scan, seed, seal_text, label)]
            target.unlink()
    elif isinstance(recipe, JunkLayerRecipe):
        sidecar["kind"] = "junk-layer"
        sidecar["pages"] = [dataclasses.asdict(r) for r in make_junk_layer(src, out, recipe, seed, seal_text, label)]
    else:
        sidecar["kind"] = "tounicode"
        sidecar.update(scramble_tounicode(src, out, recipe, seed, label))
        identical, differs = check_tounicode_scramble(src, out)
        sidecar["renders_identical"], sidecar["text_differs"] = identical, differs
        if not (identical and differs):
            log.error("%s %s: renders identical=%s, text differs=%s", variant, src.name, identical, differs)
    (out_dir / f"{src.stem}.degrade.json").write_text(
        json.dumps(sidecar, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m samples.degrade", description=__doc__.split("\n")[0])
    parser.add_argument("--src", type=Path, required=True, help="folder of clean X.pdf (+ X.truth.json)")
    parser.add_argument("--out", type=Path, required=True, help="writes OUT/<variant>/X.pdf")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS), metavar="VARIANT",
                        help="default: all of " + ", ".join(VARIANTS))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    sources = sorted(args.src.glob("*.pdf"))
    if not sources:
        log.error("no PDFs in %s", args.src)
        return 1
    for variant in args.variants:
        for src in sources:
            started = time.perf_counter()
            out = write_variant(src, args.out / variant, variant, args.seed)
            log.info("%s %s: %.1f KB in %.1f s", variant, src.name, out.stat().st_size / 1024,
                     time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
