"""Opening a PDF and reading what it holds: pages, sizes, text layer, renders.

Every way a file can fail to be a readable PDF ends here as an InputError with a one-line reason.
"""
from __future__ import annotations

import ctypes
import hashlib
import math
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .config import Config
from .types import InputError, TextLine

log = logging.getLogger(__name__)
# PDF libraries' own chatter stays off stderr: pikepdf's INFO line on first use, and pdfminer's
# (under camelot, the fallback for missed rulings) warnings while it rebuilds a damaged file's xref. A damaged file is reported by
# us, in one line (count_unreadable).
logging.getLogger("pikepdf").setLevel(logging.WARNING)
logging.getLogger("pdfminer").setLevel(logging.ERROR)


@dataclass
class Document:
    path: Path
    sha256: str
    pdf: pdfium.PdfDocument
    n_pages: int

    def close(self) -> None:
        self.pdf.close()


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def open_document(path: Path, config: Config) -> Document:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    size = path.stat().st_size
    if size == 0:
        raise InputError("empty file (0 bytes)")
    with open(path, "rb") as f:
        head = f.read(1024)
    if b"%PDF-" not in head:
        raise InputError("not a PDF (no %PDF- header)")
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        raise InputError(_why_unreadable(path, e)) from None
    n_pages = len(pdf)
    if n_pages == 0:
        pdf.close()
        raise InputError("PDF has no pages")
    if n_pages > config.max_pages:
        pdf.close()
        raise InputError(f"PDF has {n_pages} pages, more than an annual report has "
                         f"(limit {config.max_pages})")
    for i in range(n_pages):
        try:
            w, h = page_size(pdf, i)
        except pdfium.PdfiumError as e:
            pdf.close()
            raise InputError(f"corrupt PDF: page {i + 1} cannot be loaded ({e})") from None
        if not (1 <= w <= config.max_page_side_pt and 1 <= h <= config.max_page_side_pt):
            pdf.close()
            raise InputError(f"page {i + 1} has an absurd size ({w:.0f} x {h:.0f} pt)")
    return Document(path, sha256_of(path), pdf, n_pages)


def _why_unreadable(path: Path, error: Exception) -> str:
    """pdfium says only that it failed; a second reader tells encrypted and empty from corrupt."""
    if "password" in str(error).lower():
        return "encrypted PDF: a password is needed to open it"
    with open(path, "rb") as f:
        data = f.read(64 << 20)
    # Objects, but no end marker where a file ends: a PDF cut short (not junk behind a header).
    if re.search(rb"\d+\s+\d+\s+obj\b", data) and b"%%EOF" not in data[-2048:]:
        return ("truncated PDF: the file ends before its end marker (%%EOF), "
                "a download or copy cut short; get the file again")
    import pikepdf
    try:
        with pikepdf.open(path) as pdf:
            if len(pdf.pages) == 0:
                return "PDF has no pages"
    except pikepdf.PasswordError:
        return "encrypted PDF: a password is needed to open it"
    except Exception:
        pass
    return f"corrupt PDF: {error}"


def page_size(pdf: pdfium.PdfDocument, index: int) -> tuple[float, float]:
    """Width and height in points as the page is displayed (after /Rotate)."""
    page = pdf[index]
    try:
        return page.get_size()      # pdfium's, already turned by /Rotate
    finally:
        page.close()


@dataclass(frozen=True)
class DisplayFrame:
    """User space (where pdfium puts characters and objects) → points of the page as displayed,
    top-left origin. A page stored turned (landscape pages, some exports: content drawn rotated,
    /Rotate turning it back) has its text sideways in user space and upright on display; every
    box the pipeline reads is in the displayed frame, as the renders are."""
    a: float
    b: float
    c: float
    d: float
    e: float
    f: float

    def point(self, x: float, y: float) -> tuple[float, float]:
        return self.a * x + self.c * y + self.e, self.b * x + self.d * y + self.f

    def box(self, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
        """A user-space rectangle → (x0, y0, x1, y1) displayed (exact for turns by quarters)."""
        x0, y0 = self.point(left, bottom)
        x1, y1 = self.point(right, top)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    def inverse(self) -> "DisplayFrame":
        """Displayed points → user space."""
        det = self.a * self.d - self.b * self.c
        return DisplayFrame(self.d / det, -self.b / det, -self.c / det, self.a / det,
                            (self.c * self.f - self.d * self.e) / det, (self.b * self.e - self.a * self.f) / det)

    def to_user(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        """A displayed box → (left, bottom, right, top) in user space."""
        return self.inverse().box(x0, y0, x1, y1)

    @property
    def turned(self) -> bool:
        """The page is displayed turned from its user space (a /Rotate)."""
        return not (self.a > 0 and self.d < 0 and self.b == 0 and self.c == 0)

    def empty_across(self, user_box: tuple[float, float, float, float]) -> bool:
        """Whether a user-space box has no extent along the displayed line's direction (a
        character pdfium gives no width, such as a space some producers draw)."""
        left, bottom, right, top = user_box
        return right <= left if abs(self.a) >= abs(self.c) else top <= bottom

    def turns_upright(self, xx: float, xy: float, yx: float, yy: float, tolerance: float = 1e-3) -> bool:
        """Whether text whose user-space axes are (xx, xy) and (yx, yy) (a text matrix's
        columns) reads left to right, upright, on display."""
        dx = (self.a * xx + self.c * xy, self.b * xx + self.d * xy)
        dy = (self.a * yx + self.c * yy, self.b * yx + self.d * yy)
        return dx[0] > 0 and abs(dx[1]) < tolerance * dx[0] and dy[1] < 0 and abs(dy[0]) < tolerance * -dy[1]


def image_dpi(obj, box: tuple[float, float, float, float], page_rotation: int = 0) -> float:
    """The resolution an image object is drawn at on its displayed box (points): the finer of
    its pixels across the box's width and down its height (a fax's 200 x 100 dpi reads as 200),
    its rows taken across where the image lies turned a quarter (drawn so, or on a page turned
    by /Rotate); 0 where pdfium cannot size it."""
    try:
        px_w, px_h = obj.get_px_size()
    except Exception:
        return 0.0
    w_in, h_in = (box[2] - box[0]) / 72.0, (box[3] - box[1]) / 72.0
    if not (px_w and px_h and w_in > 0 and h_in > 0):
        return 0.0
    turned = _drawn_turned(obj)
    if turned is None:
        # Drawn at an angle other than quarter turns: the pixel counts that fit the box best.
        turned = abs(px_h / w_in - px_w / h_in) < abs(px_w / w_in - px_h / h_in)
    elif page_rotation in (90, 270):
        turned = not turned
    across, down = (px_h, px_w) if turned else (px_w, px_h)
    return max(across / w_in, down / h_in)


def _drawn_turned(obj) -> bool | None:
    """Whether the image's matrix lays its rows upright in user space (a quarter turn), or None
    where it is neither upright nor a quarter turn. Its aspect cannot tell: a fax's 200 x 100
    dpi page is as wide as it is tall turned."""
    try:
        m = obj.get_matrix()
    except Exception:
        return None
    straight, crossed = max(abs(m.a), abs(m.d)), max(abs(m.b), abs(m.c))
    if crossed <= 1e-3 * straight:
        return False
    if straight <= 1e-3 * crossed:
        return True
    return None


def display_frame(page) -> DisplayFrame:
    """The page's DisplayFrame: its box (MediaBox cut by CropBox, as pdfium displays it) turned
    by /Rotate, clockwise."""
    left, bottom, right, top = page.get_bbox()
    return {0: DisplayFrame(1, 0, 0, -1, -left, top),
            90: DisplayFrame(0, 1, 1, 0, -bottom, -left),
            180: DisplayFrame(-1, 0, 0, 1, right, -bottom),
            270: DisplayFrame(0, -1, -1, 0, top, right)}[page.get_rotation()]


@contextmanager
def text_page(pdf: pdfium.PdfDocument, index: int):
    """(page, its text page), both closed on leaving: pdfium holds native memory for each."""
    page = pdf[index]
    try:
        tp = page.get_textpage()
        try:
            yield page, tp
        finally:
            tp.close()
    finally:
        page.close()


def page_char_count(pdf: pdfium.PdfDocument, index: int) -> int:
    """Characters in the page's text layer, invisible ones included."""
    with text_page(pdf, index) as (_, tp):
        return tp.count_chars()


def page_text(pdf: pdfium.PdfDocument, index: int) -> str:
    """The page's text layer as one string, whitespace removed."""
    with text_page(pdf, index) as (_, tp):
        return "".join(tp.get_text_range().split())


def page_has_paths(pdf: pdfium.PdfDocument, index: int) -> bool:
    """Whether the page draws vector paths (rulings of a table are paths)."""
    page = pdf[index]
    try:
        for obj in page.get_objects(max_depth=2):
            if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
                return True
        return False
    finally:
        page.close()


def page_is_image(pdf: pdfium.PdfDocument, index: int) -> bool:
    """Whether an image covers most of the page (a scan, possibly under an invisible layer)."""
    page = pdf[index]
    try:
        area = page.get_width() * page.get_height()
        for obj in page.get_objects(max_depth=2):
            if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                x0, y0, x1, y1 = obj.get_bounds()
                if (x1 - x0) * (y1 - y0) > 0.5 * area:
                    return True
        return False
    finally:
        page.close()


# A watermark ("仅供参考" tiled across every page) or a stamp is text laid over the print, not
# part of it: never a table's, a title's or prose. Its characters are set at a slant (further
# than SLANT_TOLERANCE_DEG from a multiple of 90 degrees: an OCR tool's layer over a skewed scan
# follows the skew by a few degrees, a watermark leans 25-45) or drawn faint: their fill's
# darkness times its opacity under FAINT_TEXT (a watermark's light grey at half opacity is about
# 0.15; print, coloured headings and grey footers 0.5 and more; white, opaque, is a dark-filled
# cell's text).
SLANT_TOLERANCE_DEG = 10.0
FAINT_TEXT = 0.3


def is_overlay(textpage_raw, index: int) -> bool:
    """Whether the layer's character `index` is a watermark's or a stamp's (see FAINT_TEXT)."""
    angle = pdfium_c.FPDFText_GetCharAngle(textpage_raw, index)
    if angle >= 0:      # negative: pdfium cannot tell, read as upright
        off = math.degrees(angle) % 90.0
        if min(off, 90.0 - off) > SLANT_TOLERANCE_DEG:
            return True
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    if not pdfium_c.FPDFText_GetFillColor(textpage_raw, index, ctypes.byref(r), ctypes.byref(g),
                                          ctypes.byref(b), ctypes.byref(a)):
        return False
    luminance = (0.299 * r.value + 0.587 * g.value + 0.114 * b.value) / 255.0
    if luminance >= 0.95 and a.value == 255:
        return False        # white: a dark-filled header's labels, or hidden text as it always was
    return (1.0 - luminance) * a.value / 255.0 < FAINT_TEXT


def text_in_box(pdf: pdfium.PdfDocument, index: int, bbox) -> str:
    """The text layer's characters inside bbox (points, top-left origin of the displayed page)."""
    with text_page(pdf, index) as (page, tp):
        left, bottom, right, top = display_frame(page).to_user(*bbox)
        return tp.get_text_bounded(left=left, bottom=bottom, right=right, top=top)


def page_text_lines(pdf: pdfium.PdfDocument, index: int) -> list[TextLine]:
    """The text layer as lines with bboxes (points, top-left origin).

    pdfium gives characters in content order; a line ends at a newline it reports or where the
    next character starts left of the previous one on a lower baseline.
    """
    with text_page(pdf, index) as (page, tp):
        frame = display_frame(page)
        lines: list[TextLine] = []
        chars: list[str] = []
        boxes: list[tuple[float, float, float, float]] = []

        def flush() -> None:
            text = "".join(chars).strip()
            if text and boxes:
                x0 = min(b[0] for b in boxes); x1 = max(b[2] for b in boxes)
                y0 = min(b[1] for b in boxes); y1 = max(b[3] for b in boxes)
                lines.append(TextLine(text, (x0, y0, x1, y1)))
            chars.clear(); boxes.clear()

        line_break = False      # pdfium ended a line; on a turned page, decided at the next character
        for i in range(tp.count_chars()):
            ch = tp.get_text_range(i, 1)
            if ch in ("\r", "\n"):
                if frame.turned:
                    line_break = True
                else:
                    flush()
                continue
            if line_break and ch.isspace():
                chars.append(ch)
                continue
            if is_overlay(tp.raw, i):
                continue
            user_box = tp.get_charbox(i)
            box = frame.box(*user_box)
            # No place to tell a line by: a character without width (a generated space) or,
            # where places alone tell lines, a flat one (an OCR tool's space).
            if frame.empty_across(user_box) or frame.turned and min(box[2] - box[0], box[3] - box[1]) < 1.0:
                chars.append(ch)
                continue
            # pdfium finds lines in user space: on a turned page it breaks lines that run on as
            # displayed, and runs on where they end; there the places decide.
            if line_break and not (boxes and _continues_line(boxes[-1], box)):
                flush()
            line_break = False
            if boxes and (box[3] > boxes[-1][3] + 2 and box[0] < boxes[-1][0]
                          or frame.turned and not _on_line(boxes[-1], box)):
                flush()
            chars.append(ch)
            boxes.append(box)
        flush()
        return lines


def _on_line(last: tuple[float, float, float, float], box: tuple[float, float, float, float]) -> bool:
    """Whether a character (displayed box) shares the height of `last` (punctuation sits in a
    part of the line's) and does not start left of it."""
    size = max(last[3] - last[1], box[3] - box[1], 1.0)
    overlap = min(last[3], box[3]) - max(last[1], box[1])
    return overlap > 0.5 * min(last[3] - last[1], box[3] - box[1]) and box[0] - last[2] >= -0.2 * size


def _continues_line(last: tuple[float, float, float, float], box: tuple[float, float, float, float]) -> bool:
    """Whether a character goes on the line that ends with `last`: on it, no more than a
    character's height to the right."""
    size = max(last[3] - last[1], box[3] - box[1], 1.0)
    return _on_line(last, box) and box[0] - last[2] <= size


def render_page(pdf: pdfium.PdfDocument, index: int, dpi: float):
    """The page as displayed, as a BGR numpy array (OpenCV's order) at `dpi`."""
    page = pdf[index]
    try:
        bitmap = page.render(scale=dpi / 72.0)
        return bitmap.to_numpy().copy()
    finally:
        page.close()


# Pixels drawn around each region of render_regions and dropped.
REGION_MARGIN_PX = 16


def render_regions(pdf: pdfium.PdfDocument, index: int, dpi: float, boxes: list) -> list:
    """Pieces of the page as displayed, each a BGR array in the place of the same pixels of
    render_page(dpi) (equal but for a little anti-aliasing on some glyphs' edges): boxes are
    (x0, y0, x1, y1) in pixels of that render, end exclusive, clipped to it. A few small pieces
    are several times quicker to draw than the whole page."""
    page = pdf[index]
    try:
        scale = dpi / 72.0
        full_w, full_h = math.ceil(page.get_width() * scale), math.ceil(page.get_height() * scale)
        out = []
        for x0, y0, x1, y1 in boxes:
            x0, y0 = max(0, int(x0)), max(0, int(y0))
            x1, y1 = min(full_w, int(x1)), min(full_h, int(y1))
            if x1 <= x0 or y1 <= y0:
                out.append(np.zeros((max(0, y1 - y0), max(0, x1 - x0), 3), np.uint8))
                continue
            # Drawn with a margin: glyphs cut by a bitmap's edge come out a little unlike the
            # whole page's. pypdfium2 cuts ceil(margin * scale) pixels per side: half a pixel
            # short of each count makes that the count itself, whatever the float error.
            m = REGION_MARGIN_PX
            cut = (max(0, x0 - m), max(0, full_h - y1 - m), max(0, full_w - x1 - m), max(0, y0 - m))
            piece = page.render(scale=scale, crop=tuple((n - 0.5) / scale for n in cut)).to_numpy()
            left, top = x0 - cut[0], y0 - cut[3]
            out.append(piece[top:top + y1 - y0, left:left + x1 - x0].copy())
        return out
    finally:
        page.close()


def page_text_runs(pdf: pdfium.PdfDocument, index: int, max_len: int = 24) -> list[TextLine]:
    """Short runs of the text layer, each one piece of text in one font on one line with no wide
    gap inside (a table cell's number, a label, a stretch of a prose line), bbox in points
    top-left, with the font's name and whether the text is invisible (render mode 3).

    Runs are what the text-layer verdict compares with OCR of the same place on the page.
    """
    with text_page(pdf, index) as (page, tp):
        frame = display_frame(page)
        runs: list[TextLine] = []
        chars: list[str] = []
        boxes: list[tuple[float, float, float, float]] = []
        style: tuple[str, bool] = ("", False)

        def flush() -> None:
            if chars and boxes:
                x0 = min(b[0] for b in boxes); x1 = max(b[2] for b in boxes)
                y0 = min(b[1] for b in boxes); y1 = max(b[3] for b in boxes)
                runs.append(TextLine("".join(chars), (x0, y0, x1, y1),
                                     font=style[0], invisible=style[1]))
            chars.clear(); boxes.clear()

        styles: dict[int, tuple[str, bool]] = {}     # per text object: its font, its visibility
        for i in range(tp.count_chars()):
            code = pdfium_c.FPDFText_GetUnicode(tp.raw, i)
            ch = tp.get_text_range(i, 1) if 0xD800 <= code <= 0xDFFF else chr(code)
            if not ch.strip():
                # pdfium adds spaces and breaks by its reading of user space; on a turned page
                # they are not where the displayed lines part, which the places below tell.
                if not (frame.turned and pdfium_c.FPDFText_IsGenerated(tp.raw, i) == 1):
                    flush()
                continue
            if is_overlay(tp.raw, i):
                flush()
                continue
            user_box = tp.get_charbox(i)
            if frame.empty_across(user_box):
                flush()
                continue
            box = frame.box(*user_box)
            obj = ctypes.cast(pdfium_c.FPDFText_GetTextObject(tp.raw, i), ctypes.c_void_p).value or 0
            char_style = styles.get(obj) if obj else None
            if char_style is None:
                char_style = styles[obj] = (_font_name(tp, i), _is_invisible(tp, i))
            if boxes:
                last = boxes[-1]
                size = max(last[3] - last[1], box[3] - box[1], 1.0)
                same_line = abs((box[1] + box[3]) - (last[1] + last[3])) < size
                if not same_line or box[0] - last[2] > 0.8 * size or box[0] < last[0] \
                        or len(chars) >= max_len or char_style != style:
                    flush()
            style = char_style
            chars.append(ch)
            boxes.append(box)
        flush()
        return runs


def _font_name(textpage, index: int) -> str:
    size = pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, None, 0, None)
    if size <= 0:
        return ""
    buf = ctypes.create_string_buffer(size)
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, buf, size, None)
    return buf.value.decode("utf-8", "replace")


def _is_invisible(textpage, index: int) -> bool:
    obj = pdfium_c.FPDFText_GetTextObject(textpage.raw, index)
    return bool(obj) and pdfium_c.FPDFTextObj_GetTextRenderMode(obj) == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE


# Stream filters pikepdf leaves to image codecs: read_bytes() refuses them, which says nothing of
# whether their data is sound. JPEG data is checked by decoding it; the others are taken as read.
_IMAGE_CODECS = {"/DCTDecode", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode"}
_OBJECT_IN_WARNING = re.compile(r"object (\d+)[ ,](\d+)")
_XREF_DAMAGED = re.compile(r"file is damaged|xref not found|can't find startxref|reconstruct", re.I)


def count_unreadable(path: Path) -> int:
    """How many objects or streams of the PDF could not be read: objects a second reader (qpdf,
    through pikepdf) found damaged or missing while reading the file, and streams whose data does
    not decode. 0 for a sound file. A file qpdf cannot open at all counts as 1 (its structure).

    Used to tell a damaged report from a document that is not a report: when no table is found,
    the user holding a damaged download must be told it is damaged."""
    import pikepdf

    bad: set[tuple[int, int]] = set()
    try:
        pdf = pikepdf.open(path, suppress_warnings=True)
    except pikepdf.PasswordError:
        return 0
    except Exception:
        return 1
    try:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Stream):
                continue
            try:
                obj.read_bytes()
            except Exception:
                if not _image_data_reads(obj):
                    bad.add(obj.objgen)
        for warning in map(str, pdf.get_warnings()):
            for number, generation in _OBJECT_IN_WARNING.findall(warning):
                bad.add((int(number), int(generation)))
            if _XREF_DAMAGED.search(warning):
                bad.add((-1, 0))       # the cross-reference table: objects were found by a rescan
    except Exception:          # the object table itself gives way while being walked
        bad.add((-1, 0))
    finally:
        pdf.close()
    return len(bad)


def _image_data_reads(stream) -> bool:
    """Whether a stream with an image codec filter holds data that codec reads."""
    import io

    import pikepdf
    filters = stream.get("/Filter")
    names = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else [str(filters)]
    if not names or not set(names) <= _IMAGE_CODECS:
        return False
    if names != ["/DCTDecode"]:
        return True
    from PIL import Image
    try:
        with Image.open(io.BytesIO(stream.read_raw_bytes())) as image:
            image.load()
        return True
    except Exception:
        return False
