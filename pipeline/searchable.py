"""Searchable PDFs: the same pages, with a correct invisible text layer where it was missing or lied.

Per page, by the report's text-layer verdict:

* good: left exactly as it is — except for pictures on a born-digital page whose tables were
  read by OCR (tables pasted as screenshots, pipeline.readers.mixed): their OCR lines are drawn
  as invisible text over them, the page's own text untouched.
* none (a scan): OCR lines drawn as invisible text (render mode 3) over the glyphs they read,
  each line stretched (Tz) to the width of its ink, in an embedded subset of a CJK TrueType font.
* garbled, with invisible text (a bad OCR layer over a scan): that text is cut out of the page's
  content stream and of the Form XObjects it draws (OCR tools put their layer in one), then the
  page is treated as a scan.
* garbled, with visible text (a lying ToUnicode map): the drawing is kept; what each wrong
  character really is comes from OCR of the runs that show it, voted per font, and only
  unanimous-enough, unambiguous votes rewrite the font's /ToUnicode.
"""
from __future__ import annotations

import io
import logging
import os
import tempfile
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Optional

import numpy as np

from . import pdf as pdfio
from .cmap import build_tounicode, parse_tounicode
from .config import DEFAULT, Config
from .types import Report

log = logging.getLogger(__name__)

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
FONT_INDEX = 0
FONT_NAME = "GovreportZenHei"

# Runs of the layer compared with OCR to learn a font's true map: short runs read best and the
# recognizer's time grows with width (as for the text-layer verdict).
REPAIR_RUN_CHARS = 10
REPAIR_DPI = 200
# A reading below this confidence gives no votes: a misread would vote for a wrong character.
REPAIR_MIN_CONFIDENCE = 0.9
# A wrong character is remapped when at least this many readings voted and this share of them
# agreed; a character seen once is remapped only on a reading this confident.
REPAIR_MIN_VOTES = 2
REPAIR_MIN_AGREEMENT = 0.8
REPAIR_SINGLE_VOTE_CONFIDENCE = 0.97
# ... or on a reading of REPAIR_MIN_CONFIDENCE in a font that lies about this share of the codes
# that many readings attest (see decide_fixes).
REPAIR_LYING_SHARE = 0.25


@dataclass
class PlacedLine:
    """One line of invisible text, ready to draw.

    `matrix` (a, b, c, d, e, f) maps the line's own frame (points; x along the text, y up, origin
    on the baseline at the text's start) to the page's user space relative to the MediaBox's
    lower-left corner. `scale` is the horizontal scaling (Tz, percent) that spans the ink.
    """
    text: str
    size: float
    scale: float
    matrix: tuple[float, float, float, float, float, float]


@dataclass
class PagePlan:
    index: int
    action: str          # keep | ocr | strip_ocr | repair | pictures
    # pictures: the picture boxes (points, top-left) whose text the layer lacks
    regions: list = field(default_factory=list)


# --- entry point ---------------------------------------------------------------------------------

def write_searchable(pdf_path: Path, report: Report, out_path: Path,
                     config: Optional[Config] = None) -> None:
    """Write out_path: pdf_path's pages, each with a correct text layer (see the module doc)."""
    import pikepdf

    config = config or DEFAULT
    pdf_path, out_path = Path(pdf_path), Path(out_path)
    doc = pdfio.open_document(pdf_path, config)
    try:
        plans = plan_pages(doc, report)
        with pikepdf.open(pdf_path) as pdf:
            repair = [p.index for p in plans if p.action == "repair"]
            if repair:
                fixes = learn_font_fixes(doc, repair, config)
                apply_font_fixes(pdf, fixes)
            ocr_pages = [p.index for p in plans if p.action in ("ocr", "strip_ocr")]
            pages = {p.page: p for p in report.pages}
            layers = {i: ocr_page_lines(doc, i, config, known=report.read_lines.get(i + 1),
                                        read_as=pages.get(i + 1)) for i in ocr_pages}
            # A picture's table cells as the extraction read them, as a scan's are.
            layers.update({p.index: ocr_page_lines(doc, p.index, config, p.regions,
                                                   known=_inside(report.read_lines.get(p.index + 1), p.regions),
                                                   read_as=pages.get(p.index + 1))
                           for p in plans if p.action == "pictures"})
            for p in plans:
                if p.action == "strip_ocr":
                    removed = strip_invisible_text(pdf, pdf.pages[p.index])
                    log.info("page %d: %d invisible text operators removed", p.index + 1, removed)
            if layers:
                sizes = {i: _mediabox(pdf.pages[i]) for i in layers}
                overlay = draw_layers(layers, sizes)
                merge_layers(pdf, overlay, list(layers))
            _save_atomically(pdf, out_path)
    finally:
        doc.close()
    log.info("searchable %s: %s", out_path,
             ", ".join(f"{a} {sum(p.action == a for p in plans)}"
                       for a in ("keep", "ocr", "strip_ocr", "repair", "pictures")))


def plan_pages(doc: pdfio.Document, report: Report) -> list[PagePlan]:
    verdicts = {p.page: p.text_layer for p in report.pages}
    read_by = {p.page: p.read_by for p in report.pages}
    plans = []
    for index in range(doc.n_pages):
        verdict = verdicts.get(index + 1, "good")
        if verdict == "good" and _ocr_layer_over_image(doc, index):
            # Someone's OCR over a scan, right where it was checked: its values were read from
            # the pixels again, and the layer gets that reading too (Tesseract's "00" for "66").
            plans.append(PagePlan(index, "strip_ocr"))
            continue
        if verdict == "good":
            # A good layer read by OCR: its tables were pictures (or rulings that could not be
            # read, where the page has no picture and is kept).
            regions = _pictures(doc, index) if read_by.get(index + 1) == "ocr" else []
            plans.append(PagePlan(index, "pictures", regions) if regions else PagePlan(index, "keep"))
            continue
        elif verdict == "none":
            action = "ocr"
        else:
            runs = pdfio.page_text_runs(doc.pdf, index)
            visible = any(not r.invisible for r in runs)
            invisible = any(r.invisible for r in runs)
            # An invisible layer lies page by page; a visible glyph's text lies by its font's map.
            action = "repair" if visible and not invisible else "strip_ocr"
        plans.append(PagePlan(index, action))
    return plans


def _ocr_layer_over_image(doc: pdfio.Document, index: int) -> bool:
    return pdfio.page_is_image(doc.pdf, index) and any(r.invisible for r in pdfio.page_text_runs(doc.pdf, index))


def _process_umask() -> int:
    """The process's umask (read once, at import: setting it to read it is not thread-safe)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


_UMASK = _process_umask()


def _save_atomically(pdf, out_path: Path) -> None:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out_path.name + ".", suffix=".tmp", dir=out_path.parent)
    os.close(fd)
    try:
        pdf.save(tmp)
        # mkstemp makes the file private (0600); the PDF is the user's output like the JSON
        # beside it: the permissions their umask gives a new file.
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, out_path)       # never leave a half-written PDF behind
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- OCR layer -----------------------------------------------------------------------------------

def _pictures(doc: pdfio.Document, index: int) -> list:
    """Boxes of the pictures on the page that its layer has no text over (pasted tables,
    pipeline.readers.mixed); a scan's own layer lies over its picture."""
    from .readers.mixed import LAYER_CHARS_OVER_SCAN, _layer_chars
    from .readers.page import Page
    w, h = pdfio.page_size(doc.pdf, index)
    page = Page(doc, DEFAULT, index + 1, w, h, "good")
    return [bbox for bbox, _ in page.pictures if _layer_chars(page, bbox) < LAYER_CHARS_OVER_SCAN]


def ocr_page_lines(doc: pdfio.Document, index: int, config: Config,
                   regions: Optional[list] = None, known: Optional[list] = None,
                   read_as=None) -> list[PlacedLine]:
    """The page's OCR lines, placed in its user space over the ink they read; with `regions`
    (boxes in points, top-left), only the lines inside them.

    `known`: the page's grid cells as the extraction read them, (text, bbox in points of the
    prepared page), and `read_as` its PageInfo: where this page is prepared exactly as it was
    then (same turn, same skew), those cells are placed as read and only the lines outside them
    are recognised — a table page's cells are most of its lines."""
    from .ocr import get_engine, ink_bbox
    from .preprocess import prepare_page
    from .scan import (LAYER_LINE_DPI, lines_outside, page_rotation, reading_confidences, scan_dpi,
                       without_rulings)

    engine = get_engine(config)
    dpi, page_dpi = scan_dpi(doc, index, config)
    image = pdfio.render_page(doc.pdf, index, page_dpi)
    if regions:
        kept = np.full_like(image, 255)
        s = page_dpi / 72.0
        for x0, y0, x1, y1 in regions:
            a, b = max(0, int(x0 * s)), max(0, int(y0 * s))
            kept[b:int(np.ceil(y1 * s)), a:int(np.ceil(x1 * s))] = image[b:int(np.ceil(y1 * s)), a:int(np.ceil(x1 * s))]
        image = kept

    # Upright and deskewed: the detector reads horizontal lines only. The prepared frame's
    # boxes go back to the page through the same transform the grids use. Where the extraction
    # measured the page's turn and skew, they are taken as measured (the render is the same).
    frame = read_as.measured_frame() if read_as is not None else None
    prepared = prepare_page(image, dpi, upright_score=reading_confidences(engine), frame=frame)
    to_user = display_to_user(doc.pdf, index, image.shape[1], image.shape[0]) @ prepared.to_original
    ppp = 72.0 / dpi
    same_frame = read_as is not None and page_rotation(prepared) == read_as.rotation \
        and abs(prepared.skew - read_as.skew) < 1e-6
    cells = [(text, tuple(v / ppp for v in bbox)) for text, bbox in (known or [])] if same_frame else []
    placed = []
    # A cell's ink without its rulings: a rule's edge left inside the cell box (a skewed scan's
    # rules are blurred by the deskew) would stretch the text over to it and into the next cell.
    cell_ink = without_rulings(prepared) if cells else prepared.gray
    for text, (x0, y0, x1, y1) in cells:
        box = _ink_box(cell_ink, (x0, y0, x1, y1), ink_bbox)
        if box is None:
            continue
        lines = [t.strip() for t in text.split("\n")]
        for line, line_box in zip(lines, _line_boxes(cell_ink, box, len(lines))):
            if line:
                placed.append(place_line(line, line_box, ppp, to_user))
    # Lines are sought only in the rows that hold ink no placed cell accounts for.
    boxes = lines_outside(engine, prepared.gray, dpi, [box for _, box in cells], cell_ink, LAYER_LINE_DPI)
    crops = [prepared.gray[int(y0):int(np.ceil(y1)), int(x0):int(np.ceil(x1))] for x0, y0, x1, y1 in boxes]
    for box, reading in zip(boxes, engine.recognize(crops) if crops else []):
        text = reading.text.strip()
        if text:
            box = _ink_box(prepared.gray, box, ink_bbox) or tuple(int(round(v)) for v in box)
            placed.append(place_line(text, box, ppp, to_user))
    log.debug("page %d: %d OCR lines (%d cells as read) at %.0f dpi (rotation %d, skew %.2f)",
              index + 1, len(placed), len(cells), dpi, prepared.rotation, prepared.skew)
    return placed


def _inside(cells: Optional[list], regions: list) -> list:
    """The cells (text, bbox) whose middle lies in one of the regions: a picture's, not the
    layer's own table beside it, whose text the page holds already."""
    def middle_in(bbox, region):
        x, y = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
        return region[0] <= x <= region[2] and region[1] <= y <= region[3]
    return [(text, bbox) for text, bbox in cells or [] if any(middle_in(bbox, r) for r in regions)]


def _line_boxes(gray: np.ndarray, box, n: int) -> list[tuple[float, float, float, float]]:
    """The ink boxes of a cell's n lines of text (a wrapped label): cut at the n-1 widest gaps
    between ink rows, each line as wide as its own ink — a short last line stretched over the
    cell's width would be read with the line above it. Even slices where the ink has fewer gaps."""
    from .ocr.crop import ink_mask

    x0, y0, x1, y1 = box
    if n > 1:
        mask = ink_mask(gray[y0:y1, x0:x1])
        rows = np.flatnonzero(mask.any(axis=1))
        gaps = [(rows[k + 1] - rows[k], k) for k in range(len(rows) - 1) if rows[k + 1] - rows[k] > 1]
        if len(gaps) >= n - 1:
            cuts = sorted(k for _, k in sorted(gaps, reverse=True)[:n - 1])
            starts = [rows[0]] + [rows[k + 1] for k in cuts]
            ends = [rows[k] + 1 for k in cuts] + [rows[-1] + 1]
            boxes = []
            for a, b in zip(starts, ends):
                cols = np.flatnonzero(mask[a:b].any(axis=0))
                boxes.append((x0 + cols[0], y0 + a, x0 + cols[-1] + 1, y0 + b))
            return boxes
    step = (y1 - y0) / n
    return [(x0, y0 + k * step, x1, y0 + (k + 1) * step) for k in range(n)]


def _ink_box(gray: np.ndarray, box, ink_bbox) -> Optional[tuple[int, int, int, int]]:
    """The ink inside box (pixels), as (x0, y0, x1, y1); None where there is none."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0 = max(0, x0), max(0, y0)
    ink = ink_bbox(gray[y0:y1, x0:x1]) if y1 > y0 and x1 > x0 else None
    return None if ink is None else (x0 + ink[0], y0 + ink[1], x0 + ink[2], y0 + ink[3])


def display_to_user(pdf, index: int, width_px: int, height_px: int) -> np.ndarray:
    """3x3 affine: pixel of the page rendered at width_px x height_px → user space relative to
    the MediaBox's lower-left corner, through the page's display frame (/Rotate and the CropBox
    as the render that the pixels came from)."""
    page = pdf[index]
    try:
        to_user = pdfio.display_frame(page).inverse()
        sx, sy = page.get_width() / width_px, page.get_height() / height_px
        mx0, my0, _, _ = page.get_mediabox()
    finally:
        page.close()
    return np.array([[to_user.a * sx, to_user.c * sy, to_user.e - mx0],
                     [to_user.b * sx, to_user.d * sy, to_user.f - my0],
                     [0.0, 0.0, 1.0]])


def place_line(text: str, box: tuple[float, float, float, float], ppp: float,
               to_user: np.ndarray) -> PlacedLine:
    """Size, stretch and position `text` so that its glyphs cover `box` (ink, prepared pixels)."""
    from .preprocess import affine_at

    x0, y0, x1, y1 = box
    font = _pil_font()
    # The font's own ink box of this text at 1000 units: sets the size from the ink height and
    # the baseline from how far this text's glyphs reach below it.
    _, top, _, bottom = font.getbbox(text, anchor="ls")
    advance = max(font.getlength(text), 1.0)
    ink_height_em = max((bottom - top) / 1000.0, 0.3)
    size_pt = max((y1 - y0) * ppp / ink_height_em, 1.0)
    scale = 100.0 * (x1 - x0) * ppp / (advance / 1000.0 * size_pt)
    baseline_px = y1 - (bottom / 1000.0) * size_pt / ppp
    # The line's frame in prepared pixels: x along the text, y up, in points. A rectified page's
    # map is projective: a line is placed by how it maps where the line is.
    local = np.array([[1.0 / ppp, 0.0, x0], [0.0, -1.0 / ppp, baseline_px], [0.0, 0.0, 1.0]])
    m = affine_at(to_user, (x0 + x1) / 2, baseline_px) @ local
    return PlacedLine(text, float(size_pt), float(max(scale, 1.0)),
                      (float(m[0, 0]), float(m[1, 0]), float(m[0, 1]), float(m[1, 1]),
                       float(m[0, 2]), float(m[1, 2])))


_pil_fonts: dict = {}


def _pil_font():
    from PIL import ImageFont
    if "font" not in _pil_fonts:
        _pil_fonts["font"] = ImageFont.truetype(FONT_PATH, 1000, index=FONT_INDEX)
    return _pil_fonts["font"]


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        # reportlab embeds subsets of the glyphs used, each with its /ToUnicode.
        pdfmetrics.registerFont(TTFont(FONT_NAME, FONT_PATH, subfontIndex=FONT_INDEX))


def draw_layers(layers: dict[int, list[PlacedLine]], sizes: dict[int, tuple[float, float]]) -> bytes:
    """A PDF with one page per entry of `layers` (in key order) holding only invisible text."""
    from reportlab.pdfgen import canvas as rl_canvas

    _register_font()
    buffer = io.BytesIO()
    canvas = rl_canvas.Canvas(buffer, pageCompression=1)
    for index in sorted(layers):
        canvas.setPageSize(sizes[index])
        for line in layers[index]:
            canvas.saveState()
            canvas.transform(*line.matrix)
            text = canvas.beginText()
            text.setTextRenderMode(3)
            text.setFont(FONT_NAME, line.size)
            text.setHorizScale(line.scale)
            text.setTextOrigin(0, 0)
            text.textOut(line.text)
            canvas.drawText(text)
            canvas.restoreState()
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _mediabox(page) -> tuple[float, float]:
    x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    return (x1 - x0, y1 - y0)


def merge_layers(pdf, overlay_bytes: bytes, indexes: list[int]) -> None:
    """Draw each overlay page as a form XObject on top of its page, at the MediaBox's corner.

    Placed by hand, not by Page.add_overlay: that one undoes the page's /Rotate, while the
    overlay is already drawn in the page's unrotated user space.
    """
    import pikepdf

    with pikepdf.open(io.BytesIO(overlay_bytes)) as overlay:
        for index, layer_page in zip(sorted(indexes), overlay.pages):
            page = pdf.pages[index]
            form = pdf.copy_foreign(layer_page.as_form_xobject())
            name = page.add_resource(form, pikepdf.Name.XObject, prefix="GRText")
            mx0, my0 = float(page.mediabox[0]), float(page.mediabox[1])
            # The page's own drawing is wrapped in q/Q so whatever state it leaves (a cm, a
            # clip) does not move the text layer.
            page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
            page.contents_add(pdf.make_stream(
                b"\nQ\nq 1 0 0 1 %.4f %.4f cm %s Do Q\n" % (mx0, my0, str(name).encode("ascii"))))


# --- junk layers ---------------------------------------------------------------------------------

_SHOW_OPS = {"Tj", "TJ", "'", '"'}


def strip_invisible_text(pdf, page) -> int:
    """Remove the text-showing operators drawn in render mode 3 from the page's content stream
    and from the Form XObjects it draws, nested ones included: OCR tools (OCRmyPDF, scanners'
    software) put their invisible layer in a form of its own.

    The render mode is graphics state: it survives BT/ET, is saved and restored by q/Q, and a
    form starts with the state of the Do that draws it, so it is followed through all three. '
    and " also move to the next line (and " sets the spacings); that part is kept. Returns the
    number of operators removed.
    """
    return _strip_invisible(pdf, page, page.obj.get("/Resources"), 0, set(), is_page=True)


def _strip_invisible(pdf, target, resources, mode: int, seen: set, is_page: bool = False) -> int:
    import pikepdf

    stack = []
    kept, removed = [], 0
    changed = False
    for operands, operator in pikepdf.parse_content_stream(target):
        op = str(operator)
        if op == "q":
            stack.append(mode)
        elif op == "Q":
            mode = stack.pop() if stack else 0
        elif op == "Tr" and operands:
            mode = int(operands[0])
        elif op == "Do" and operands:
            form = _form_named(resources, operands[0])
            if form is not None and form.objgen not in seen:
                seen.add(form.objgen)
                # A form without resources of its own uses its drawer's (older PDFs).
                removed += _strip_invisible(pdf, form, form.get("/Resources", resources), mode, seen)
        elif op in _SHOW_OPS and mode == 3:
            removed += 1
            changed = True
            if op == "'":
                kept.append(([], pikepdf.Operator("T*")))
            elif op == '"':
                kept.append(([operands[0]], pikepdf.Operator("Tw")))
                kept.append(([operands[1]], pikepdf.Operator("Tc")))
                kept.append(([], pikepdf.Operator("T*")))
            continue
        kept.append((operands, operator))
    if changed:
        data = pikepdf.unparse_content_stream(kept)
        if is_page:
            target.Contents = pdf.make_stream(data)
        else:
            target.write(data)          # the form's stream, its filters dropped
    return removed


def _form_named(resources, name):
    """The Form XObject `name` of `resources`, or None (an image, or nothing by that name)."""
    import pikepdf

    try:
        xobjects = resources.get("/XObject") if resources is not None else None
        form = xobjects.get(name) if xobjects is not None else None
    except (AttributeError, TypeError, ValueError):
        return None
    if isinstance(form, pikepdf.Stream) and form.get("/Subtype") == pikepdf.Name.Form:
        return form
    return None


# --- ToUnicode repair ----------------------------------------------------------------------------

# Stand-in characters for char codes while probing: ordinary BMP characters that pdfium extracts
# like any other (it drops plane-15 private-use ones), enough for any font's codes.
_PROBE_POOL_RANGES = ((0xE000, 0xF900), (0x4E00, 0xA000), (0xAC00, 0xD7A4), (0x3400, 0x4DC0))


@dataclass
class FontProbe:
    """One font (by BaseFont name) while probing: its current map and the stand-ins of its codes."""
    current: dict[int, str]
    decode: dict[str, int]      # stand-in character → code


def _probe_pool():
    for low, high in _PROBE_POOL_RANGES:
        yield from (chr(c) for c in range(low, high))


def probe_fonts(pdf_path: Path) -> tuple[bytes, dict[str, FontProbe]]:
    """A copy of the PDF whose ToUnicode maps give each code its own stand-in character.

    pdfium tells a character's font and box but not its code; through this copy, the text of a
    run names the codes it draws, so OCR's votes go to codes, not to the (maybe ambiguous)
    characters a lying map shows. Codes that read as whitespace keep it: runs end there.
    """
    import pikepdf

    probes: dict[str, FontProbe] = {}
    # Stand-ins unique over the whole document: a character alone names its font and code (pdfium
    # names two subsets of one font alike, "AAAAAA+X" and "AAAAAB+X" both "X").
    pool = _probe_pool()
    used: set[str] = set()
    with pikepdf.open(pdf_path) as pdf:
        for font in _tounicode_fonts(pdf):
            name = _base_font(font)
            cmap = parse_tounicode(font.ToUnicode.read_bytes())
            probe = probes.setdefault(name, FontProbe({}, {}))
            # The same stand-ins for every dictionary of one name: codes, not objects, are voted.
            by_code = {code: ch for ch, code in probe.decode.items()}
            mapping = {}
            for code, text in sorted(cmap.mapping.items()):
                probe.current.setdefault(code, text)
                if not text.strip():
                    mapping[code] = text
                    continue
                if code not in by_code:
                    ch = next(c for c in pool if c not in used)
                    used.add(ch)
                    by_code[code] = ch
                    probe.decode[ch] = code
                mapping[code] = by_code[code]
            cmap.mapping = mapping
            font.ToUnicode = pdf.make_stream(build_tounicode(cmap))
        buffer = io.BytesIO()
        pdf.save(buffer)
    return buffer.getvalue(), probes


def _tounicode_fonts(pdf):
    """Font dictionaries that carry a /ToUnicode stream (Type0 parents and simple fonts)."""
    import pikepdf

    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font \
                and isinstance(obj.get("/ToUnicode"), pikepdf.Stream) and _base_font(obj):
            yield obj


def learn_font_fixes(doc: pdfio.Document, indexes: list[int], config: Config) -> dict[str, dict[int, str]]:
    """Per font (pdfium's name: BaseFont without the slash): char code → true text.

    Each visible run on the pages is read by OCR on the render; where the reading and the run
    agree in length (spaces aside), the k-th glyph drawn is the k-th character read. Votes are
    counted per (font, code), and a code is remapped only when enough readings agree on it.
    """
    import cv2
    import pypdfium2 as pdfium

    from .ocr import crop_to_ink, get_engine

    engine = get_engine(config)
    data, probes = probe_fonts(doc.path)
    probe_pdf = pdfium.PdfDocument(data)
    votes: dict[tuple[str, int], Counter] = defaultdict(Counter)
    best_confidence: dict[tuple[str, int, str], float] = defaultdict(float)
    scale = REPAIR_DPI / 72.0
    try:
        for index in indexes:
            runs = []
            for run in pdfio.page_text_runs(probe_pdf, index, max_len=REPAIR_RUN_CHARS):
                probe = probes.get(run.font)
                codes = [probe.decode.get(ch) for ch in run.text] if probe and not run.invisible else [None]
                if None not in codes:
                    runs.append((run, codes))
            if not runs:
                continue
            # The probe copy draws exactly what the document draws: render either.
            gray = cv2.cvtColor(pdfio.render_page(probe_pdf, index, REPAIR_DPI), cv2.COLOR_BGR2GRAY)
            crops, owners = [], []
            for run, codes in runs:
                x0, y0, x1, y1 = run.bbox
                # Tight sideways: the next run's glyph may start right after this one's box.
                pad_y, pad_x = 0.15 * (y1 - y0), 0.02 * (y1 - y0)
                box = gray[max(0, int((y0 - pad_y) * scale)):int((y1 + pad_y) * scale) + 1,
                           max(0, int((x0 - pad_x) * scale)):int((x1 + pad_x) * scale) + 1]
                crop = crop_to_ink(box) if box.size else None
                if crop is not None:
                    crops.append(crop)
                    owners.append((run.font, codes))
            for (font, codes), reading in zip(owners, engine.recognize(crops) if crops else []):
                if reading.confidence < REPAIR_MIN_CONFIDENCE:
                    continue
                current = probes[font].current
                for code, read in aligned_codes(codes, current, reading.text):
                    target = _as_layer_form(current[code], read)
                    votes[(font, code)][target] += 1
                    key = (font, code, target)
                    best_confidence[key] = max(best_confidence[key], reading.confidence)
            log.debug("page %d: %d runs read to learn font maps", index + 1, len(crops))
    finally:
        probe_pdf.close()
    return decide_fixes(votes, best_confidence, probes)


def decide_fixes(votes: dict[tuple[str, int], Counter], best_confidence: dict, probes: dict[str, FontProbe]) -> dict[str, dict[int, str]]:
    """Codes to remap, per font: a clear majority of agreeing readings for another character.

    A code read once is remapped on a very confident reading, or on a confident one in a font
    that its well-attested codes show to lie: OCR of clean glyphs disagrees with a true map on a
    few percent of codes, a scrambled map on most, so a quarter is far from both.
    """
    attested: Counter = Counter()
    lying: Counter = Counter()
    for (font, code), counter in votes.items():
        target, count = counter.most_common(1)[0]
        if count >= REPAIR_MIN_VOTES and count / sum(counter.values()) >= REPAIR_MIN_AGREEMENT:
            attested[font] += 1
            lying[font] += target != probes[font].current[code]
    fixes: dict[str, dict[int, str]] = defaultdict(dict)
    for (font, code), counter in votes.items():
        target, count = counter.most_common(1)[0]
        total = sum(counter.values())
        if target == probes[font].current[code] or not target.isalnum() \
                or count / total < REPAIR_MIN_AGREEMENT:
            continue
        if count < REPAIR_MIN_VOTES:
            font_lies = attested[font] and lying[font] >= REPAIR_LYING_SHARE * attested[font]
            needed = REPAIR_MIN_CONFIDENCE if font_lies else REPAIR_SINGLE_VOTE_CONFIDENCE
            if best_confidence[(font, code, target)] < needed:
                continue
        fixes[font][code] = target
    for font, table in fixes.items():
        log.info("font %s: %d codes to remap", font, len(table))
    return dict(fixes)


def aligned_codes(codes: list[int], current: dict[int, str], read: str) -> list[tuple[int, str]]:
    """Pairs (code, character read) of a run and its reading, spaces aside.

    Equal lengths pair one to one. Otherwise the characters the layer already gets right anchor
    the alignment, and only stretches between anchors of equal length on both sides are paired:
    a reading that lost a bracket still teaches the rest of its run.
    """
    seen = [ch for ch in read if not ch.isspace()]
    if len(seen) == len(codes):
        return list(zip(codes, seen))
    layer = [unicodedata.normalize("NFKC", current[c]) for c in codes]
    ocr = [unicodedata.normalize("NFKC", ch) for ch in seen]
    pairs = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, layer, ocr, autojunk=False).get_opcodes():
        if tag in ("equal", "replace") and i2 - i1 == j2 - j1:
            pairs += list(zip(codes[i1:i2], seen[j1:j2]))
    return pairs


def _as_layer_form(current: str, read: str) -> str:
    """What OCR read, in the form the layer uses: OCR gives ASCII digits and brackets where the
    document may print full-width ones, and a lying map keeps the width of what it hides."""
    if unicodedata.normalize("NFKC", current) == unicodedata.normalize("NFKC", read):
        return current
    read = unicodedata.normalize("NFKC", read)
    if len(current) == 1 and "\uff01" <= current <= "\uff5e" and len(read) == 1 and "!" <= read <= "~":
        return chr(ord(read) + 0xFEE0)
    return read


def apply_font_fixes(pdf, fixes: dict[str, dict[int, str]]) -> int:
    """Rewrite the /ToUnicode of every font dictionary named in `fixes`; returns codes changed."""
    changed = 0
    for font in _tounicode_fonts(pdf):
        name = _base_font(font)
        table = fixes.get(name)
        if not table:
            continue
        cmap = parse_tounicode(font.ToUnicode.read_bytes())
        n = 0
        for code, target in table.items():
            if code in cmap.mapping and cmap.mapping[code] != target:
                cmap.mapping[code] = target
                n += 1
        if n:
            font.ToUnicode = pdf.make_stream(build_tounicode(cmap))
            changed += n
            log.info("font %s: %d codes remapped", name, n)
    return changed


def _base_font(font) -> str:
    base = font.get("/BaseFont")
    if base is None:
        return ""
    try:
        return str(base)[1:]
    except UnicodeDecodeError:
        return ""
