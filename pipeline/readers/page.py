"""A page as the readers see it: its number and size, its text-layer verdict, what it holds (an
image over most of it, vector rulings, pictures), and its own renders at a dpi, made once."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Optional

import numpy as np
import pypdfium2.raw as pdfium_c

from .. import pdf as pdfio
from ..config import Config
from ..types import BBox, Grid, TextLine

if TYPE_CHECKING:
    from ..preprocess import PreparedPage

# A picture at least this wide (inches) and this tall may hold a table; smaller ones are logos,
# seals and signatures.
PICTURE_MIN_W_IN, PICTURE_MIN_H_IN = 2.0, 0.8


@dataclass
class ScanRender:
    image: np.ndarray              # BGR
    dpi: float                     # pixels per inch of the paper
    bilevel: bool                  # its scan is 1-bit
    page_dpi: float                # pixels per inch of the page as the PDF declares it


@dataclass(eq=False)
class Page:
    doc: pdfio.Document
    config: Config
    number: int                    # 1-based
    width: float                   # points, as displayed
    height: float
    text_layer: str                # good | garbled | none (pipeline.textlayer)
    # The layer's own ruled tables (from the vector rulings, pipeline.grid_pdf): None where none
    # were looked for (no layer, no paths) or where the rulings could not be read.
    vector_grids: Optional[list[Grid]] = None
    vector_unparsed: bool = False  # the page draws paths whose rulings could not be read
    # Pictures on a born-digital page that hold a ruled table the layer does not (tables pasted
    # as screenshots), bbox in points top-left; set by pipeline.readers.mixed.find_picture_tables.
    picture_tables: list[BBox] = field(default_factory=list)
    # The page as the scan reader prepared it (preprocess.PreparedPage), kept where a later
    # reading of the same pixels may need it (readers.scan.read_by_spacing); gone with release().
    prepared: Optional["PreparedPage"] = field(default=None, repr=False)
    _renders: dict = field(default_factory=dict, repr=False)

    @property
    def index(self) -> int:
        return self.number - 1

    @property
    def has_layer(self) -> bool:
        return self.text_layer != "none"

    @cached_property
    def is_image(self) -> bool:
        """An image covers most of the page: a scan, with or without an invisible layer."""
        return pdfio.page_is_image(self.doc.pdf, self.index)

    @cached_property
    def has_paths(self) -> bool:
        """The page draws vector paths (a table's rulings are paths)."""
        return pdfio.page_has_paths(self.doc.pdf, self.index)

    @cached_property
    def reads_turned(self) -> bool:
        """Most of its layer's text does not read upright as displayed: a born-digital page
        shown sideways or upside down (a wrong /Rotate), whose layer boxes and lines run across
        the page. Its pixels are read as a turned scan's are."""
        matrix = pdfium_c.FS_MATRIX()
        with pdfio.text_page(self.doc.pdf, self.index) as (page, tp):
            frame = pdfio.display_frame(page)
            upright = turned = 0
            for i in range(tp.count_chars()):
                if pdfium_c.FPDFText_GetUnicode(tp.raw, i) <= 32 or pdfio.is_overlay(tp.raw, i) \
                        or not pdfium_c.FPDFText_GetMatrix(tp.raw, i, matrix):
                    continue
                if frame.turns_upright(matrix.a, matrix.b, matrix.c, matrix.d, tolerance=0.1):
                    upright += 1
                else:
                    turned += 1
        return turned > upright

    @property
    def has_vector_grids(self) -> bool:
        return bool(self.vector_grids)

    @cached_property
    def largest_image(self) -> tuple[float, bool]:
        """The resolution its largest image was made at (0: none), and whether it is 1-bit."""
        from ..scan import largest_image
        return largest_image(self.doc, self.index)

    @cached_property
    def paper_scale(self) -> float:
        """How many times larger its paper is than the page declares (pipeline.scan.paper_scale)."""
        from ..scan import paper_scale
        return paper_scale(self.largest_image[0], self.width, self.height)

    @cached_property
    def scan_dpi(self) -> float:
        """The resolution its largest image was made at, per inch of paper, within the range OCR
        reads well."""
        from ..scan import dpi_to_read
        dpi, bilevel = self.largest_image
        return dpi_to_read(dpi / self.paper_scale, bilevel, self.config)

    @property
    def is_coarse(self) -> bool:
        """Its largest image was made below pipeline.scan.COARSE_DPI (read at MIN_DPI, upscaled)."""
        from ..scan import COARSE_DPI
        return 0 < self.largest_image[0] / self.paper_scale < COARSE_DPI

    @property
    def is_bilevel(self) -> bool:
        """Its largest image is 1-bit: a scan whose thin strokes the scanner's threshold cut."""
        return self.largest_image[1]

    @cached_property
    def pictures(self) -> list[tuple[BBox, float]]:
        """Images large enough to hold a table, as (bbox in points top-left, their own dpi),
        on a page that is not itself an image."""
        page = self.doc.pdf[self.index]
        try:
            frame = pdfio.display_frame(page)
            out = []
            for obj in page.get_objects(max_depth=3):
                if obj.type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
                    continue
                box = frame.box(*obj.get_bounds())
                if box[2] - box[0] < PICTURE_MIN_W_IN * 72 or box[3] - box[1] < PICTURE_MIN_H_IN * 72:
                    continue
                out.append((box, pdfio.image_dpi(obj, box, page.get_rotation())))
            return out
        finally:
            page.close()

    def render(self, dpi: float) -> np.ndarray:
        """The page as displayed, BGR, at dpi: rendered once, kept until release()."""
        key = float(dpi)
        if key not in self._renders:
            self._renders[key] = pdfio.render_page(self.doc.pdf, self.index, dpi)
        return self._renders[key]

    def render_scan(self) -> "ScanRender":
        """The page at its scan's resolution: what a pixel reader needs of the PDF, asked in the
        thread that holds it (readers.overlap). The render is not kept."""
        page_dpi = self.scan_dpi * self.paper_scale
        image = self.render(page_dpi)
        self._renders.clear()
        return ScanRender(image, self.scan_dpi, self.is_bilevel, page_dpi)

    def release(self) -> None:
        """Forget the renders and the kept preparation (a page at 300 dpi is 25 MB)."""
        self._renders.clear()
        self.prepared = None

    def text_lines(self) -> list[TextLine]:
        return pdfio.page_text_lines(self.doc.pdf, self.index)

    def text(self) -> str:
        return pdfio.page_text(self.doc.pdf, self.index)

    def text_in_box(self, bbox: BBox) -> str:
        return pdfio.text_in_box(self.doc.pdf, self.index, bbox)
