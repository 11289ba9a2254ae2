"""A garbled text layer decoded through a code map learned by OCR.

A lying ToUnicode map hides which character each glyph is, not which glyph is drawn where: every
cell still draws its glyphs by their codes. OCR of some cells tells, code by code, what the
glyphs are; a cell whose every code is settled is then decoded from the layer without being read,
and only cells with a code not yet settled are read by OCR (whose readings settle more codes).
A table repeats few codes (ten digits and a point), so most value cells are decoded.

Codes are told apart through a probe copy of the PDF (pipeline.searchable.probe_fonts), whose
maps give each code of each font a character of its own: the lying map may give several codes
the same character.

A code is settled when OCR read it as the same character at least twice with confidence and
never as another, or once where the layer's own map says the same (two witnesses either way).
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Optional

from . import pdf as pdfio
from .types import BBox

log = logging.getLogger(__name__)

# A reading teaches its codes only at this confidence or above.
VOTE_MIN_CONFIDENCE = 0.9
# Cells read by OCR per round: the first rounds settle the common codes, the rest decode.
ROUND_CELLS = 24

Code = tuple[str, int]       # (font name, char code)


@dataclass
class CodeMap:
    """What OCR taught so far: per code, the characters read and their best confidence."""
    current: dict[Code, str]                       # the layer's own (lying) map
    votes: dict[Code, Counter] = field(default_factory=lambda: defaultdict(Counter))
    best: dict[Code, float] = field(default_factory=lambda: defaultdict(float))

    def settled(self, code: Code) -> Optional[str]:
        counter = self.votes.get(code)
        if not counter or len(counter) != 1:
            return None
        (char, count), = counter.items()
        return char if count >= 2 or self.current.get(code) == char else None

    def learn(self, codes: list[Code], text: str, confidence: float) -> None:
        """A cell's codes and OCR's reading of it, paired one to one where their lengths agree
        (spaces aside); a reading of another length teaches nothing."""
        read = [ch for ch in text if not ch.isspace()]
        if confidence < VOTE_MIN_CONFIDENCE or len(read) != len(codes):
            return
        for code, ch in zip(codes, read):
            self.votes[code][ch] += 1
            self.best[code] = max(self.best[code], confidence)

    def decode(self, codes: list[Code]) -> Optional[tuple[str, float]]:
        """The cell's text and the least confidence that settled one of its codes, or None
        while a code is unsettled."""
        chars = [self.settled(code) for code in codes]
        if not codes or None in chars:
            return None
        return "".join(chars), min(self.best[code] for code in codes)


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

    def in_boxes(self, index: int, boxes: list[BBox]) -> list[Optional[list[Code]]]:
        """Per box (points, top-left), the codes of the visible glyphs whose centre lies in it,
        in reading order; None where a glyph's code cannot be told (a font without a map)."""
        chars = []
        with pdfio.text_page(self._pdf, index) as (page, tp):
            height = page.get_height()
            for i in range(tp.count_chars()):
                ch = tp.get_text_range(i, 1)
                left, bottom, right, top = tp.get_charbox(i)
                if not ch.strip() or right <= left or pdfio._is_invisible(tp, i):
                    continue
                chars.append(((left + right) / 2, height - (bottom + top) / 2, top - bottom,
                              self.owner.get(ch)))
        out: list[Optional[list[Code]]] = []
        for x0, y0, x1, y1 in boxes:
            inside = _reading_order([c for c in chars if x0 <= c[0] <= x1 and y0 <= c[1] <= y1])
            out.append(None if None in inside else inside)
        return out


def _reading_order(chars: list[tuple]) -> list:
    """Codes of (x, y, height, code) glyphs as OCR reads them: line by line, left to right."""
    lines: list[list[tuple]] = []
    for c in sorted(chars, key=lambda c: c[1]):
        if lines and c[1] - lines[-1][-1][1] <= 0.5 * max(c[2], 1.0):
            lines[-1].append(c)
        else:
            lines.append([c])
    return [c[3] for line in lines for c in sorted(line, key=lambda c: c[0])]
