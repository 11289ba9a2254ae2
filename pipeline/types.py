"""Plain data passed between the stages: Document → PageImage → Grid → Cells → Report."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

BBox = tuple[float, float, float, float]   # x0, y0, x1, y1 in PDF points, origin top-left

SCHEMA = "govreport/2"
STATUS_CONFIRMED = "confirmed"
STATUS_DOUBTFUL = "doubtful"
# The confidence a scan reader gives a blank mark ("—", "/") told by its shape rather than by a
# recognizer; pipeline.evidence knows such a cell by it.
SHAPE_CONFIDENCE = 0.99
# A reading below this confidence had no belief behind it: a piece of the cell read as nothing
# (the recognizer scores an empty reading 0), a cell a seal or a pen's stroke covers.
NO_BELIEF = 0.05


@dataclass
class TextLine:
    """A line of text on a page outside (or inside) tables: title, headings, prose."""
    text: str
    bbox: BBox
    confidence: float = 1.0
    font: str = ""             # text layer only: the font the run is drawn in
    # OCR only: other readings the recognizer found plausible (a title's 淮 that might be 准)
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    invisible: bool = False    # text layer only: drawn in render mode 3 (an OCR layer)
    # OCR only: the line's image, for a second recognizer's reading (not written anywhere).
    image: object = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "image": None}     # pixels stay in the reading process


@dataclass
class GridCell:
    """One cell of a detected table grid, spans resolved (a merged cell appears once)."""
    row: int
    col: int
    rowspan: int
    colspan: int
    bbox: BBox
    text: str = ""
    confidence: float = 1.0
    # Alternative readings (text, confidence) that the recognizer found plausible; the checks may
    # choose among them, never invent one.
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    # Read from pixels: the number's ink lies in more pieces than it has digits and points — a
    # glyph broken apart (a 1-bit scan's thin strokes), which any reader may take for another.
    broken: bool = False
    # Read from a 1-bit page: the readings with the recognizer's next likeliest digit at one or
    # two characters (pipeline.ocr.ctc.digit_readings; of all the cell's ink, for a blank mark in
    # doubt). The threshold may have cut a stroke away (a 4's diagonal, a 2 down to its foot),
    # and the identities may choose among these where the cell is in doubt.
    digit_readings: list[tuple[str, float]] = field(default_factory=list)
    # Read from pixels: the number's ink reaches well above or below the line its table's other
    # numbers keep — a pen's tick, circle or underline touches it (pipeline.scan.mark_overdrawn).
    overdrawn: bool = False
    # The second recognizer's reading of the cell (text, confidence), made where the cell was
    # read: a garbled layer's cell decoded from its codes is read again code by code, one glyph
    # of each (pipeline.readers.vector_ocr), not as a whole.
    second_reading: Optional[tuple[str, float]] = None
    # Its table has no rules at all: its row and column are where the text's spacing puts it
    # (pipeline.grid.implied_rows), not proven by a rule, however exact its text.
    placed_by_spacing: bool = False


@dataclass
class Grid:
    """A ruled table found on one page. Row/column indexes are of the full grid of rulings."""
    page: int                      # 1-based
    bbox: BBox
    n_rows: int
    n_cols: int
    cells: list[GridCell]
    row_edges: list[float] = field(default_factory=list)   # y of each horizontal rule (points)
    col_edges: list[float] = field(default_factory=list)   # x of each vertical rule (points)


@dataclass
class PageInfo:
    page: int
    text_layer: str = "none"       # good | garbled | none
    read_by: str = "text"          # text | ocr
    rotation: int = 0
    skew: float = 0.0
    # rotation and skew were measured on the page's pixels (the scan reader prepared it), not
    # left at their defaults: `--searchable` prepares the page in that frame again, unmeasured.
    frame_measured: bool = False

    def measured_frame(self) -> Optional[tuple[int, float]]:
        """The (turn, skew) that `preprocess.prepare_page` applies to read the page as it was
        read here; None where nothing was measured. `rotation` counts the turn as the scanner
        made it, so the turn that undoes it is its complement."""
        if not self.frame_measured:
            return None
        return ((360 - self.rotation) % 360, self.skew)


@dataclass
class PageContent:
    """What one page gave: its tables and its loose text lines, whatever read them."""
    info: PageInfo
    width: float                   # points, as displayed
    height: float
    grids: list[Grid] = field(default_factory=list)
    lines: list[TextLine] = field(default_factory=list)
    # Maps a bbox of the frame the grids were read in (an OCR'd page is turned upright and
    # deskewed first) to points of the page as displayed; None: the same frame.
    to_page: Optional[Callable[[BBox], BBox]] = None
    # Where its cells' text came from: "text_layer" (a born-digital layer) or "ocr" (our
    # recognizer; an invisible layer over an image is not read for values); see pipeline.evidence.
    cell_source: str = "text_layer"
    # Read from a scan too coarse for two readings of a cell to confirm it (pipeline.evidence).
    coarse: bool = False
    # Read from a 1-bit scan: the scanner's threshold took the same strokes from every glyph.
    bilevel: bool = False
    # A grid cell's bbox (in the frame the grids were read in), and whether its lines are asked
    # for -> its image prepared for the second recognizer (None when no ink is there) and its
    # lines' images (scan.second_look_reader); set where the page was read from pixels.
    second_look: Optional[Callable[..., tuple[object, list]]] = None
    # Prose lines that can be read as printed (a good text layer): the narrative witness.
    prose: list[TextLine] = field(default_factory=list)
    # Pages read from pixels: reads the page's prose by OCR when called. Prose costs ~0.1 s a
    # line to read, so it is read only where a cell needs its witness (pipeline.extract).
    read_prose: Optional[Callable[[], list[TextLine]]] = None


@dataclass
class Cell:
    """One template data cell of the output contract."""
    table: str
    row: str
    column: str
    value: Optional[float | int]
    text: str
    confidence: float
    page: Optional[int]
    bbox: Optional[BBox]
    flags: list[str] = field(default_factory=list)   # why this cell is uncertain, if it is
    # Other values the recognizer found plausible for this cell, with their support; only the
    # identities may choose among them (not written to the JSON).
    candidates: list[tuple[float | int, float]] = field(default_factory=list, repr=False)
    # govreport/2: "confirmed" only by evidence (see pipeline.evidence), else "doubtful".
    status: str = STATUS_DOUBTFUL
    evidence: list[str] = field(default_factory=list)
    # What the cell prints beside its value ("其中修订16件"), else None.
    note: Optional[str] = None
    # Other readings of this cell kept for a reviewer: (value, text, by whom), e.g. the second
    # recognizer's reading where it disagrees with the first.
    alternatives: list[tuple[Optional[float | int], str, str]] = field(default_factory=list)
    # Where the cell was read from: "text_layer" (a born-digital layer judged good) or "ocr" (our
    # recognizer).
    source: str = "ocr"
    # The cell's image prepared for the second recognizer (None: nothing printed), and its lines'
    # images where the first reader read several ([] otherwise), where the page was read from
    # pixels; not written to the JSON.
    second_look: Optional[Callable[[], tuple[object, list]]] = field(default=None, repr=False, compare=False)
    # Or the second recognizer's reading made already (GridCell.second_reading).
    second_reading: Optional[tuple[str, float]] = field(default=None, repr=False, compare=False)
    # Placed in its table by the text's spacing alone (GridCell.placed_by_spacing): the layer's
    # text is no evidence of its place; not written to the JSON.
    placed_by_spacing: bool = field(default=False, repr=False)
    # Read from a 1-bit scan, whose threshold took the same strokes from every glyph alike: a
    # digit misread there, every digit like it may be misread the same way
    # (pipeline.evidence.slip_repeated); not written to the JSON.
    bilevel: bool = field(default=False, repr=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.table, self.row, self.column)

    def __getstate__(self) -> dict:
        # The second look holds the page image and lives inside the reading process only: a
        # report crosses to a batch parent or a dask client as data.
        return {**self.__dict__, "second_look": None}

    def to_json(self) -> dict:
        d = {"table": self.table, "row": self.row, "column": self.column, "value": self.value,
             "text": self.text, "confidence": round(float(self.confidence), 4), "page": self.page,
             "bbox": [round(v, 2) for v in self.bbox] if self.bbox else None,
             "status": self.status, "evidence": list(self.evidence), "note": self.note}
        if self.flags:
            d["flags"] = list(self.flags)
        if self.alternatives:
            d["alternatives"] = [{"value": v, "text": t, "by": by} for v, t, by in self.alternatives]
        return d


@dataclass
class Check:
    rule: str
    column: str
    ok: bool
    detail: str
    # "ok", "document" (the document prints it so, read with confidence), "reading" (uncertain
    # reading), "incomplete" (a term is blank or missing)
    cause: str = "ok"

    def to_json(self) -> dict:
        d = {"rule": self.rule, "column": self.column, "ok": self.ok, "detail": self.detail}
        if not self.ok:
            d["cause"] = self.cause
        return d


@dataclass
class Report:
    source_path: str
    sha256: str
    n_pages: int
    version: Optional[str]
    agency: Optional[str]
    year: Optional[int]
    pages: list[PageInfo]
    cells: list[Cell]
    checks: list[Check]
    needs_review: bool
    review_reasons: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    # govreport/2: every doubtful cell and every cell of a row or table not found, as
    # [table, row, column]; identity and prose failures whose every term is confirmed.
    review_cells: list[list[str]] = field(default_factory=list)
    document_issues: list[dict] = field(default_factory=list)
    # Not part of the contract: per page read by the scan reader, each grid cell's text as read
    # and its bbox in the frame the grids were found in (the page prepared upright), so that a
    # searchable PDF places those lines without reading them again.
    read_lines: dict = field(default_factory=dict, repr=False)

    def to_json(self) -> dict:
        return {
            "schema": SCHEMA,
            "source": {"path": self.source_path, "sha256": self.sha256, "pages": self.n_pages},
            "version": self.version,
            "agency": self.agency,
            "year": self.year,
            "pages": [{"page": p.page, "text_layer": p.text_layer, "read_by": p.read_by,
                       "rotation": p.rotation, "skew": round(float(p.skew), 2) + 0.0}    # never -0.0
                      for p in self.pages],
            "cells": [c.to_json() for c in self.cells],
            "checks": [c.to_json() for c in self.checks],
            "review_cells": [list(k) for k in self.review_cells],
            "document_issues": list(self.document_issues),
            "needs_review": self.needs_review,
            "review_reasons": self.review_reasons,
        }


class InputError(Exception):
    """A file that cannot be read as a report: the message is the one-line reason for the user."""
