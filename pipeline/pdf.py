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
# (under camelot) warnings while it rebuilds a damaged file's xref. A damaged file is reported by
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
        w, h = page.get_size()
        if page.get_rotation() in (90, 270):
            w, h = h, w
        return w, h
    finally:
        page.close()


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


def text_in_box(pdf: pdfium.PdfDocument, index: int, bbox) -> str:
    """The text layer's characters inside bbox (points, top-left origin of the displayed page)."""
    with text_page(pdf, index) as (page, tp):
        height = page.get_height()
        x0, y0, x1, y1 = bbox
        return tp.get_text_bounded(left=x0, bottom=height - y1, right=x1, top=height - y0)


def page_text_lines(pdf: pdfium.PdfDocument, index: int) -> list[TextLine]:
    """The text layer as lines with bboxes (points, top-left origin).

    pdfium gives characters in content order; a line ends at a newline it reports or where the
    next character starts left of the previous one on a lower baseline.
    """
    with text_page(pdf, index) as (page, tp):
        height = page.get_height()
        lines: list[TextLine] = []
        chars: list[str] = []
        boxes: list[tuple[float, float, float, float]] = []

        def flush() -> None:
            text = "".join(chars).strip()
            if text and boxes:
                x0 = min(b[0] for b in boxes); x1 = max(b[2] for b in boxes)
                y0 = min(b[1] for b in boxes); y1 = max(b[3] for b in boxes)
                lines.append(TextLine(text, (x0, height - y1, x1, height - y0)))
            chars.clear(); boxes.clear()

        for i in range(tp.count_chars()):
            ch = tp.get_text_range(i, 1)
            if ch in ("\r", "\n"):
                flush()
                continue
            box = tp.get_charbox(i)
            if boxes and box[1] < boxes[-1][1] - 2 and box[0] < boxes[-1][0]:
                flush()
            chars.append(ch)
            if box[2] > box[0]:
                boxes.append(box)
        flush()
        return lines


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
        height = page.get_height()
        runs: list[TextLine] = []
        chars: list[str] = []
        boxes: list[tuple[float, float, float, float]] = []
        style: tuple[str, bool] = ("", False)

        def flush() -> None:
            if chars and boxes:
                x0 = min(b[0] for b in boxes); x1 = max(b[2] for b in boxes)
                y0 = min(b[1] for b in boxes); y1 = max(b[3] for b in boxes)
                runs.append(TextLine("".join(chars), (x0, height - y1, x1, height - y0),
                                     font=style[0], invisible=style[1]))
            chars.clear(); boxes.clear()

        styles: dict[int, tuple[str, bool]] = {}     # per text object: its font, its visibility
        for i in range(tp.count_chars()):
            code = pdfium_c.FPDFText_GetUnicode(tp.raw, i)
            ch = tp.get_text_range(i, 1) if 0xD800 <= code <= 0xDFFF else chr(code)
            if not ch.strip():
                flush()
                continue
            box = tp.get_charbox(i)
            if box[2] <= box[0]:
                flush()
                continue
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
