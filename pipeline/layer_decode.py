"""A garbled text layer decoded through a code map learned by OCR.

A lying ToUnicode map hides which character each glyph is, not which glyph is drawn where: every
cell still draws its glyphs by their codes. OCR tells, code by code, what the glyphs are; a cell
whose codes are known is then decoded from the layer without being read, and only cells with a
code not yet known are read by OCR (whose readings teach more codes).

Codes are told apart through a probe copy of the PDF (pipeline.searchable.probe_fonts), whose
maps give each code of each font a character of its own: the lying map may give several codes
the same character.

Two ways to learn, two strengths of knowing:

* A cell read by OCR votes for each of its codes (its reading paired glyph by glyph with the
  cell's codes, in reading order, where it has a character for each). A code is *settled* when
  OCR read it as the same character at least twice with confidence and never as another, or
  once where the layer's own map says the same (two witnesses either way). A cell whose codes
  are all settled is decoded: numbers are only ever decoded so.
* A *glimpse*: one upright glyph of each code not yet read, cut out by its box in the layer and
  set in a row with others, read as one line (pipeline.readers.vector_ocr). A glyph costs less
  than its own width to read, where a label cell read whole costs all its glyphs for the one or
  two nobody had read. A glimpse never settles a code. A code settled, or read by a glimpse or
  in a cell and never otherwise, is *known*.

A label needs no more than known codes: the matcher compares labels with the template's by
similarity, and a glyph misread on its own does no more than OCR's misreads of a scanned label
do. So a cell whose codes are all known is decoded where the text it gives is a label: no value
in it (pipeline.numbers.parse_value reads nothing there) and LABEL_MIN_CJK different Chinese
characters. A glimpse never decodes a number, a blank mark or a note beside a number — those
need settled codes or a reading of the cell — and a value cell misglimpsed reads as no value,
which goes to review: a lone "—" taken for "一" is no label.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Optional

import cv2
import numpy as np

from . import pdf as pdfio
from .labels import has_cjk
from .numbers import parse_value
from .types import BBox

log = logging.getLogger(__name__)

# A reading teaches its codes only at this confidence or above.
VOTE_MIN_CONFIDENCE = 0.9
# Cells read by OCR per round: the first rounds settle the common codes, the rest decode.
ROUND_CELLS = 24
# Readings of a code below VOTE_MIN_CONFIDENCE after which cells of it alone will not settle it:
# the same glyph read again reads alike (a lone "0" reads at ~0.8 each time). Where no cell of
# more glyphs is left to teach it, its cells are all read in one round, not two a round.
UNTAUGHT_READINGS = 2
# A glimpse's glyphs are cut by their loose boxes with GLIMPSE_PAD of their height in paper
# above and below, scaled to the recognizer's input height and to GLIMPSE_SQUEEZE of their width
# (the recognizer's time grows with its input's width; glyphs set apart read as well narrowed),
# GLIMPSE_GAP of paper between two (it reads two like glyphs touching as one), into lines of at
# most GLIMPSE_WIDTH pixels: two of its width steps (pipeline.ocr pads a line to the next 320),
# some twenty Chinese glyphs. A longer line risks more: a glyph misread out of place and the
# line teaches nothing.
GLIMPSE_HEIGHT = 48
GLIMPSE_WIDTH = 640
GLIMPSE_PAD = 0.15
GLIMPSE_SQUEEZE = 0.7
GLIMPSE_GAP = 0.12
# A glyph whose ink is less high or less wide than this share of its line's height is a mark.
GLIMPSE_SMALL = 0.3

# A cell decoded from known codes holds at least this many different Chinese characters: a
# blank mark glimpsed as one ("—" as "一") is no label.
LABEL_MIN_CJK = 2

Code = tuple[str, int]       # (font name, char code)


@dataclass
class Glyph:
    """A visible glyph of the layer: its code (None where its font has no map to tell it), its
    box and its loose box (the font's ascent to descent, its advance: a glyph there sits as in a
    line of text), points top-left, and whether it is drawn upright."""
    code: Optional[Code]
    box: BBox
    loose: BBox
    upright: bool

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2


@dataclass
class CodeMap:
    """What OCR taught so far: per code, the characters read and their best confidence."""
    current: dict[Code, str]                       # the layer's own (lying) map
    votes: dict[Code, Counter] = field(default_factory=lambda: defaultdict(Counter))
    best: dict[Code, float] = field(default_factory=lambda: defaultdict(float))
    glimpses: dict[Code, Counter] = field(default_factory=lambda: defaultdict(Counter))
    glimpse_best: dict[Code, float] = field(default_factory=lambda: defaultdict(float))
    untaught: Counter = field(default_factory=Counter)     # code -> readings too unsure to teach

    def settled(self, code: Code) -> Optional[str]:
        counter = self.votes.get(code)
        if not counter or len(counter) != 1:
            return None
        (char, count), = counter.items()
        return char if count >= 2 or self.current.get(code) == char else None

    def known(self, code: Code) -> Optional[str]:
        """The character the code settled as, or that every reading of it gave, cells and
        glimpses alike; None where none read it, or two read it otherwise."""
        settled = self.settled(code)
        if settled is not None:
            return settled
        chars = set(self.votes.get(code, ())) | set(self.glimpses.get(code, ()))
        return next(iter(chars)) if len(chars) == 1 else None

    def learn(self, codes: list[Code], text: str, confidence: float) -> None:
        """A cell's codes and OCR's reading of it, paired one to one where their lengths agree
        (spaces aside); a reading of another length teaches nothing."""
        read = [ch for ch in text if not ch.isspace()]
        if len(read) != len(codes):
            return
        if confidence < VOTE_MIN_CONFIDENCE:
            self.untaught.update(codes)
            return
        for code, ch in zip(codes, read):
            self.votes[code][ch] += 1
            self.best[code] = max(self.best[code], confidence)

    def learn_glimpse(self, codes: list[Code], text: str, confidence: float,
                      alternatives: list[tuple[str, float]] = ()) -> None:
        """A glimpse's codes and its reading (see glimpse_pairs)."""
        if confidence < VOTE_MIN_CONFIDENCE:
            return
        for code, ch in glimpse_pairs(codes, text, alternatives):
            self.glimpses[code][ch] += 1
            self.glimpse_best[code] = max(self.glimpse_best[code], confidence)

    def decode(self, codes: list[Code]) -> Optional[tuple[str, float]]:
        """The cell's text and the least confidence that settled one of its codes, or None
        while a code is unsettled."""
        chars = [self.settled(code) for code in codes]
        if not codes or None in chars:
            return None
        return "".join(chars), min(self.best[code] for code in codes)

    def decode_label(self, codes: list[Code]) -> Optional[tuple[str, float]]:
        """The cell's text from known codes where it is a label (LABEL_MIN_CJK Chinese characters
        in it, no value read in it: pipeline.numbers.parse_value), with the least confidence that
        taught one of its codes; None otherwise."""
        chars = [self.known(code) for code in codes]
        if not codes or None in chars:
            return None
        text = "".join(chars)
        if len({ch for ch in text if has_cjk(ch)}) < LABEL_MIN_CJK or parse_value(text).kind != "unreadable":
            return None
        return text, min(max(self.best.get(code, 0.0), self.glimpse_best.get(code, 0.0)) for code in codes)

    def wanted(self, codes: list[Code]) -> set[Code]:
        """What keeps a cell undecoded: its codes nobody read yet; once all are known, those not
        settled (a value's, or a label's that known codes do not make a label of)."""
        unknown = {code for code in codes if self.known(code) is None}
        return unknown or {code for code in codes if self.settled(code) is None}

    def needed(self, code: Code) -> Optional[int]:
        """Readings of cells the code still needs: to be settled (two alike, or one where the
        layer's map says the same as what was read before), or to be read at all; None where
        readings of cells disagree already: it never settles."""
        votes = self.votes.get(code)
        if votes and len(votes) > 1:
            return None
        if self.settled(code) is not None:
            return 0
        hint = next(iter(votes), None) if votes else self.known(code)
        if hint is None:
            return 1
        return (1 if self.current.get(code) == hint else 2) - (votes[hint] if votes else 0)

    def to_read(self, cells: dict[int, list[Code]], sizes: dict[int, float], limit: int) -> list[int]:
        """Which of these undecoded cells (their codes, and what reading each costs) to read by
        OCR next: those that no reading of others can decode (a code read otherwise by two
        readings, or too unsurely to teach where only cells of it alone are left), then, up to
        `limit`, the cells that give the codes they want the readings these still need at the
        least cost — a number of several digits before one of one
        (a lone glyph reads with less confidence, and teaches nothing below VOTE_MIN_CONFIDENCE)."""
        wanted = {k: self.wanted(codes) for k, codes in cells.items()}
        needed = {code: self.needed(code) for want in wanted.values() for code in want}
        taught_with_others = {code for codes in cells.values() if len(codes) > 1 for code in codes}
        stuck = {code for code, n in needed.items() if n and self.untaught[code] >= UNTAUGHT_READINGS
                 and code not in taught_with_others}
        batch = [k for k, want in wanted.items()
                 if any(needed[code] is None or code in stuck for code in want)]
        left = {code: n for code, n in needed.items() if n}
        for k in batch:
            for code in wanted[k]:
                if left.get(code):
                    left[code] -= 1
        rest = [k for k in cells if k not in set(batch)]
        while rest and len(batch) < limit:
            def gain(k: int) -> tuple[float, int]:
                return sum(1 for code in wanted[k] if left.get(code)) / sizes[k], len(cells[k])
            k = max(rest, key=gain)
            if gain(k)[0] <= 0:
                break
            batch.append(k)
            rest.remove(k)
            for code in wanted[k]:
                if left.get(code):
                    left[code] -= 1
        return batch or rest[:limit]


class LayerCodes:
    """The codes a page's layer draws inside given boxes, through the probe copy."""

    def __init__(self, doc: pdfio.Document):
        import pypdfium2 as pdfium

        from .searchable import probe_fonts

        data, probes = probe_fonts(doc.path)
        self._pdf = pdfium.PdfDocument(data)
        # The probe's stand-ins are unique over the document: each names its font and code.
        self.owner = {ch: (font, code) for font, probe in probes.items() for ch, code in probe.decode.items()}
        self.current = {(font, code): text for font, probe in probes.items()
                        for code, text in probe.current.items()}

    def close(self) -> None:
        self._pdf.close()

    def glyphs(self, index: int) -> list[Glyph]:
        """The page's visible glyphs, in the layer's order."""
        import pypdfium2.raw as pdfium_c

        out = []
        with pdfio.text_page(self._pdf, index) as (page, tp):
            frame = pdfio.display_frame(page)
            matrix = pdfium_c.FS_MATRIX()
            for i in range(tp.count_chars()):
                ch = tp.get_text_range(i, 1)
                box = tp.get_charbox(i)
                if not ch.strip() or frame.empty_across(box) or pdfio._is_invisible(tp, i) \
                        or pdfio.is_overlay(tp.raw, i):
                    continue
                # Upright as displayed: a turned page's text is turned in user space.
                upright = bool(pdfium_c.FPDFText_GetMatrix(tp.raw, i, matrix)) \
                    and frame.turns_upright(matrix.a, matrix.b, matrix.c, matrix.d)
                out.append(Glyph(self.owner.get(ch), frame.box(*box),
                                 frame.box(*tp.get_charbox(i, loose=True)), upright))
        return out

    def glyphs_in_boxes(self, index: int, boxes: list[BBox], glyphs: Optional[list[Glyph]] = None
                        ) -> list[Optional[list[list[Glyph]]]]:
        """Per box (points, top-left), the lines of visible glyphs whose centre lies in it, in
        reading order; None where a glyph's code cannot be told (a font without a map).
        `glyphs`: the page's, where the caller has them already."""
        glyphs = self.glyphs(index) if glyphs is None else glyphs
        centres = np.array([g.centre for g in glyphs], dtype=float).reshape(-1, 2)
        out: list[Optional[list[list[Glyph]]]] = []
        for x0, y0, x1, y1 in boxes:
            at = np.flatnonzero((centres[:, 0] >= x0) & (centres[:, 0] <= x1)
                                & (centres[:, 1] >= y0) & (centres[:, 1] <= y1))
            inside = [glyphs[k] for k in at]
            out.append(None if any(g.code is None for g in inside) else reading_lines(inside))
        return out

    def in_boxes(self, index: int, boxes: list[BBox]) -> list[Optional[list[Code]]]:
        """Per box (points, top-left), the codes of the visible glyphs whose centre lies in it,
        in reading order; None where a glyph's code cannot be told (a font without a map)."""
        return [line_codes(lines) for lines in self.glyphs_in_boxes(index, boxes)]


def line_codes(lines: Optional[list[list[Glyph]]]) -> Optional[list[Code]]:
    """The codes of lines of glyphs, in reading order (None stays None: a code not told)."""
    return None if lines is None else [g.code for line in lines for g in line]


def reading_lines(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Glyphs as OCR reads them: line by line, left to right.

    Lines are told by the glyphs' loose boxes, which all glyphs of a line share (its font's
    ascent and descent over the same baseline): a point or a comma sits low on the line, a
    quotation mark high and a "一" in the middle, and their own boxes overlap little or nothing
    of the others'. A glyph belongs to the line whose band its own overlaps by half the lesser
    height."""
    lines: list[tuple[list[float], list[Glyph]]] = []     # ([top, bottom], glyphs)
    for g in sorted(glyphs, key=lambda g: _band(g)[0] + _band(g)[1]):
        top, bottom = _band(g)
        if lines:
            extent, members = lines[-1]
            overlap = min(bottom, extent[1]) - max(top, extent[0])
            if overlap >= 0.5 * min(max(bottom - top, 1e-3), extent[1] - extent[0]):
                members.append(g)
                extent[0], extent[1] = min(extent[0], top), max(extent[1], bottom)
                continue
        lines.append(([top, bottom], [g]))
    return [sorted(members, key=lambda g: g.centre[0]) for _, members in lines]


def _band(g: Glyph) -> tuple[float, float]:
    """The glyph's line band: its loose box's top and bottom, or its own where the loose box is
    not around it (a font's odd metrics)."""
    x, y = g.centre
    if g.loose[1] <= y <= g.loose[3] and g.loose[3] - g.loose[1] > 0:
        return g.loose[1], g.loose[3]
    return g.box[1], g.box[3]


def glimpse_pairs(codes: list[Code], text: str, alternatives: list[tuple[str, float]] = ()
                  ) -> list[tuple[Code, str]]:
    """A glimpse's codes and its reading, paired one to one (spaces aside): the best reading
    where it has as many characters as the glimpse glyphs, else the likeliest alternative that
    has. A glyph the recognizer hesitated over is left out: where another reading of as many
    characters differs, and where the best one (when another is taken) has a character more or
    less."""
    readings = [[ch for ch in t if not ch.isspace()] for t in [text] + [a for a, _ in alternatives]]
    read = next((r for r in readings if len(r) == len(codes)), None)
    if read is None:
        return []
    doubtful: set[int] = set()
    for other in readings:
        if other is read or (len(other) != len(read) and other is not readings[0]):
            continue
        for tag, i1, i2, _, _ in SequenceMatcher(None, read, other, autojunk=False).get_opcodes():
            if tag != "equal":
                doubtful |= set(range(i1 - (tag == "insert"), i2 + (tag == "insert")))
    return [(code, ch) for k, (code, ch) in enumerate(zip(codes, read)) if k not in doubtful]


def glimpse_units(lines: list[list[Glyph]], codes: set[Code]) -> list[list[Glyph]]:
    """A glyph of each of these codes, upright ones only (a turned glyph reads as another), to
    be glimpsed: each on its own, or with the glyph before it in its line (after it, at the
    line's start) where it is a mark much smaller than its line (a point, a comma, a quotation
    mark), which read alone is taken for another mark or for nothing."""
    units: dict[Code, list[Glyph]] = {}
    for line in lines:
        for k, g in enumerate(line):
            if g.code not in codes or g.code in units or not g.upright:
                continue
            unit = [g]
            size = g.loose[3] - g.loose[1]
            if g.box[3] - g.box[1] < GLIMPSE_SMALL * size or g.box[2] - g.box[0] < GLIMPSE_SMALL * size:
                for j in (k - 1, k + 1):
                    n = line[j] if 0 <= j < len(line) else None
                    if n is not None and n.upright and abs(n.loose[3] - n.loose[1] - size) < 0.2 * size \
                            and min(abs(n.loose[0] - g.loose[2]), abs(g.loose[0] - n.loose[2])) < 0.5 * size:
                        unit = [n, g] if j < k else [g, n]
                        break
            units[g.code] = unit
    return list(units.values())


def glimpse_lines(image: np.ndarray, units: list[list[Glyph]], points_per_pixel: float
                  ) -> list[tuple[np.ndarray, list[Code]]]:
    """Lines to read made of glimpses: each unit (a glyph, or two side by side in a line) cut
    from the page's image (grey, in the frame of the layer's points / points_per_pixel) by its
    glyphs' loose boxes, paper above and below, scaled and set apart as the GLIMPSE_ constants
    say; with the codes they show, in order."""
    height, width = image.shape[:2]
    paper = int(np.median(image)) if image.size else 255
    gap = np.full((GLIMPSE_HEIGHT, int(GLIMPSE_GAP * GLIMPSE_HEIGHT)) + image.shape[2:], paper, image.dtype)
    pieces = []
    for unit in units:
        if any(not (g.loose[0] <= g.centre[0] <= g.loose[2] and g.loose[1] <= g.centre[1] <= g.loose[3])
               for g in unit):
            continue        # a loose box that is not around its glyph: a font's odd metrics
        x0, y0 = min(g.loose[0] for g in unit), min(g.loose[1] for g in unit)
        x1, y1 = max(g.loose[2] for g in unit), max(g.loose[3] for g in unit)
        a, b = max(0, int(x0 / points_per_pixel)), max(0, int(y0 / points_per_pixel))
        c, d = min(width, int(np.ceil(x1 / points_per_pixel))), min(height, int(np.ceil(y1 / points_per_pixel)))
        if c - a < 2 or d - b < 4:
            continue
        pad = int(round(GLIMPSE_PAD * (d - b)))
        crop = cv2.copyMakeBorder(image[b:d, a:c], pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=paper)
        scaled_width = int(round(GLIMPSE_SQUEEZE * crop.shape[1] * GLIMPSE_HEIGHT / crop.shape[0]))
        scaled = cv2.resize(crop, (max(1, scaled_width), GLIMPSE_HEIGHT))
        pieces.append((scaled, [g.code for g in unit]))
    out: list[tuple[np.ndarray, list[Code]]] = []
    line: list[np.ndarray] = []
    codes: list[Code] = []
    for scaled, unit_codes in pieces:
        if line and sum(p.shape[1] for p in line) + scaled.shape[1] + 2 * gap.shape[1] > GLIMPSE_WIDTH:
            out.append((np.hstack(line + [gap]), codes))
            line, codes = [], []
        line += [gap, scaled]
        codes += unit_codes
    if line:
        out.append((np.hstack(line + [gap]), codes))
    return out
