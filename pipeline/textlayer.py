"""Judging each page's text layer: good, garbled or none.

A layer can lie in ways no statistic of its characters shows: a ToUnicode map that swaps digits
for other digits, or common CJK for other common CJK, still yields plausible text. So the verdict
compares the layer with what the page shows: a sample of the layer's runs (numbers first, then
labels and prose) is rendered, recognised by OCR, and compared character by character.

An OCR tool's layer over a scan is read again from the pixels whatever it says (its cells and its
title, pipeline.readers.scan), and that reading is what it is compared with (`judge_by_reading`):
no sample is read for it, except on a page where too little was read to tell.
"""
from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher


from . import pdf as pdfio
from .config import Config
from .types import BBox, TextLine

log = logging.getLogger(__name__)

VERDICT_DPI = 200
RUN_CHARS = 10
# The verdict of a page whose layer is all invisible text over a scan, until its pixels are read.
UNJUDGED = "unjudged"
# Digits and CJK a page's reading must show for its verdict of the layer to stand.
READING_SHOWN = 16


@dataclass
class Agreement:
    """How much of the layer's sampled text OCR confirms, by kind of character."""
    digits: int = 0
    digits_agreed: int = 0
    cjk: int = 0
    cjk_agreed: int = 0
    # The other way round: digits and CJK that OCR read on the page, and how many the layer has.
    # A layer can be right in what little it says and still not say what the page shows (Latin
    # junk that an OCR tool set to English wrote over Chinese: no CJK of its own to disprove).
    shown: int = 0
    shown_in_layer: int = 0

    def rate(self, kind: str) -> float | None:
        total, agreed = {"digits": (self.digits, self.digits_agreed), "cjk": (self.cjk, self.cjk_agreed),
                         "shown": (self.shown, self.shown_in_layer)}[kind]
        return agreed / total if total else None

    def add(self, other: "Agreement") -> None:
        self.digits += other.digits; self.digits_agreed += other.digits_agreed
        self.cjk += other.cjk; self.cjk_agreed += other.cjk_agreed
        self.shown += other.shown; self.shown_in_layer += other.shown_in_layer


# Enough checked characters of a font for its verdict to stand for the whole document.
SETTLED_DIGITS, SETTLED_CJK = 8, 16


def judge_text_layers(doc: pdfio.Document, config: Config, defer_scan_layers: bool = False) -> list[str]:
    """A verdict per page: "none" (no characters), "good", or "garbled"; with
    `defer_scan_layers`, UNJUDGED for a scan whose only text is invisible (an OCR tool's layer),
    which its reader judges by its own reading of the pixels (`judge_by_reading`).

    A lying ToUnicode map belongs to a font, and a document draws all its pages in a few fonts: a
    font's verdict, once enough of its characters were checked, holds on every page, so OCR runs on
    the first pages each font appears on. Invisible text (an OCR layer over a scan) is judged page
    by page: its quality changes from page to page, whatever its font.
    """
    evidence: dict[str, Agreement] = {}
    verdicts = []
    for i in range(doc.n_pages):
        if pdfio.page_char_count(doc.pdf, i) == 0:
            verdicts.append("none")
        elif not config.verify_text_layer:
            verdicts.append("good")
        else:
            verdicts.append(judge_page(doc, i, config, evidence, defer_scan_layers))
    return verdicts


def judge_page(doc: pdfio.Document, index: int, config: Config, evidence: dict[str, Agreement],
               defer_scan_layer: bool = False) -> str:
    # Short runs: the recognizer's time grows with a line's width, and a dozen characters say enough.
    # Invisible runs are checked whatever they hold: junk of Latin letters over Chinese print
    # is what a tool reading the wrong language writes.
    runs = [r for r in pdfio.page_text_runs(doc.pdf, index, max_len=RUN_CHARS)
            if _countable(r.text) or (r.invisible and r.text.strip())]
    if not runs:
        return "good"       # only spaces or marks: nothing that could mislead
    if defer_scan_layer and all(r.invisible for r in runs) and pdfio.page_is_image(doc.pdf, index) \
            and not pdfio.page_has_paths(doc.pdf, index):
        return UNJUDGED
    invisible = [r for r in runs if r.invisible]
    visible = [r for r in runs if not r.invisible]
    page_evidence = Agreement()
    to_check = sample_runs(invisible, config.verdict_samples) if invisible else []
    budget = config.verdict_samples - len(to_check)
    fonts = {r.font for r in visible}
    settled = {font: _settled(font, visible, evidence) for font in fonts}
    unsettled = [r for r in visible if not settled[r.font]]
    to_check += sample_runs(unsettled, budget) if budget > 0 else []
    # In two halves, each of both kinds of run: where the first already shows a garbled layer,
    # the page is read from its pixels whatever the rest would say, and the rest is not read.
    checked = 0
    for half in (to_check[::2], to_check[1::2]):
        if not half:
            continue
        for run, result in zip(half, _ocr_agreement(doc, index, half, config)):
            if run.invisible:
                page_evidence.add(result)
            else:
                evidence.setdefault(run.font, Agreement()).add(result)
        checked += len(half)
        if verdict_of(page_evidence) == "garbled" or any(
                verdict_of(evidence[f]) == "garbled" for f in fonts if f in evidence):
            break
    verdict = "good"
    if invisible and verdict_of(page_evidence) == "garbled":
        verdict = "garbled"
    for font in fonts:
        if font in evidence and verdict_of(evidence[font]) == "garbled":
            verdict = "garbled"
    log.debug("page %d text layer %s (%d runs checked; %s)", index + 1, verdict, checked,
             ", ".join(f"{f or '?'}: digits {_pct(evidence[f].rate('digits'))} CJK "
                       f"{_pct(evidence[f].rate('cjk'))}" for f in fonts if f in evidence))
    return verdict


def judge_by_reading(doc: pdfio.Document, index: int, readings: list[tuple[BBox, str]]) -> str | None:
    """The verdict of a page's invisible layer from what its pixels were read as: each reading
    (bbox in points of the page as displayed, its text: a cell, a title line) compared with the
    layer's runs whose middle lies in its box. None where the reading shows too few digits and
    CJK to tell (a page without tables, read only for its title or not at all)."""
    runs = pdfio.page_text_runs(doc.pdf, index, max_len=RUN_CHARS)
    agreement = Agreement()
    for (x0, y0, x1, y1), text in readings:
        inside = [r.text for r in runs
                  if x0 <= (r.bbox[0] + r.bbox[2]) / 2 <= x1 and y0 <= (r.bbox[1] + r.bbox[3]) / 2 <= y1]
        compare("".join(inside), text, agreement)
    if agreement.shown < READING_SHOWN:
        return None
    log.debug("page %d invisible layer by its reading: digits %s CJK %s shown %s", index + 1,
              _pct(agreement.rate("digits")), _pct(agreement.rate("cjk")), _pct(agreement.rate("shown")))
    return verdict_of(agreement)


def _settled(font: str, runs: list[TextLine], evidence: dict[str, Agreement]) -> bool:
    seen = evidence.get(font)
    if seen is None:
        return False
    text = "".join(r.text for r in runs if r.font == font)
    digits_here = sum(ch.isdigit() for ch in text)
    cjk_here = sum(_is_cjk(ch) for ch in text)
    return (seen.digits >= min(SETTLED_DIGITS, digits_here) or verdict_of(seen) == "garbled") \
        and (seen.cjk >= min(SETTLED_CJK, cjk_here) or verdict_of(seen) == "garbled")


def _ocr_agreement(doc: pdfio.Document, index: int, runs: list[TextLine], config: Config) -> list[Agreement]:
    """Render the page, read each run's place by OCR, compare with the run's text.

    The reader is the second recognizer (ONNX Runtime, loaded in a fraction of a second): a
    report whose layers are good then never imports paddle nor waits for its models."""
    from .ocr import crop_to_ink
    from .ocr.second import get_second_recognizer

    import cv2

    scale = VERDICT_DPI / 72.0
    boxes = []
    for run in runs:
        x0, y0, x1, y1 = run.bbox
        pad = 0.15 * (y1 - y0)
        boxes.append((int((x0 - pad) * scale), int((y0 - pad) * scale),
                      int((x1 + pad) * scale) + 1, int((y1 + pad) * scale) + 1))
    # Only the runs' places are drawn: a tenth of the time of the whole page.
    pieces = pdfio.render_regions(doc.pdf, index, VERDICT_DPI, boxes)
    crops = []
    for piece in pieces:
        # No ink where the layer claims text: an invisible layer over nothing, read as "".
        crops.append(crop_to_ink(cv2.cvtColor(piece, cv2.COLOR_BGR2GRAY)) if piece.size else None)
    readings = iter(get_second_recognizer(config).recognize([c for c in crops if c is not None]))
    results = []
    for run, crop in zip(runs, crops):
        agreement = Agreement()
        compare(run.text, next(readings).text if crop is not None else "", agreement)
        results.append(agreement)
    return results


def _countable(text: str) -> bool:
    return any(ch.isdigit() or _is_cjk(ch) for ch in text)


def sample_runs(runs: list[TextLine], limit: int) -> list[TextLine]:
    """Runs with digits first (values live there), then CJK runs, spread over the page."""
    if limit <= 0:
        return []
    with_digits = [r for r in runs if sum(ch.isdigit() for ch in r.text) >= 1]
    with_cjk = [r for r in runs if r not in with_digits and sum(_is_cjk(ch) for ch in r.text) >= 2]
    half = limit // 2
    picked = _spread(with_digits, half) + _spread(with_cjk, limit - half)
    if len(picked) < limit:
        rest = [r for r in runs if r not in picked]
        picked += _spread(rest, limit - len(picked))
    return picked


def _spread(items: list, n: int) -> list:
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(k * step)] for k in range(n)]


def compare(layer_text: str, ocr_text: str, agreement: Agreement) -> None:
    a, b = _canon(layer_text), _canon(ocr_text)
    matched = [False] * len(a)
    found = [False] * len(b)
    for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for k in range(block.a, block.a + block.size):
            matched[k] = True
        for k in range(block.b, block.b + block.size):
            found[k] = True
    for ch, ok in zip(a, matched):
        if ch.isdigit():
            agreement.digits += 1
            agreement.digits_agreed += ok
        elif _is_cjk(ch):
            agreement.cjk += 1
            agreement.cjk_agreed += ok
    for ch, ok in zip(b, found):
        if ch.isdigit() or _is_cjk(ch):
            agreement.shown += 1
            agreement.shown_in_layer += ok


def verdict_of(agreement: Agreement) -> str:
    """Garbled when OCR confirms too little of the layer's digits or CJK.

    OCR of clean rendered text agrees on well over 90% of characters; a scrambled map or a junk
    layer on well under half. The thresholds sit between, and need a few characters to speak.
    """
    digits, cjk = agreement.rate("digits"), agreement.rate("cjk")
    if digits is not None and agreement.digits >= 4 and digits < 0.7:
        return "garbled"
    if cjk is not None and agreement.cjk >= 8 and cjk < 0.6:
        return "garbled"
    shown = agreement.rate("shown")
    if shown is not None and agreement.shown >= 8 and shown < 0.6:
        return "garbled"
    return "good"


def _canon(text: str) -> str:
    t = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in t if not ch.isspace())


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{100 * rate:.0f}%"
