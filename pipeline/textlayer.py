"""Judging each page's text layer: good, garbled or none.

A layer can lie in ways no statistic of its characters shows: a ToUnicode map that swaps digits
for other digits, or common CJK for other common CJK, still yields plausible text. So the verdict
compares the layer with what the page shows: a sample of the layer's runs (numbers first, then
labels and prose) is rendered, recognised by OCR, and compared character by character.
"""
from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from . import pdf as pdfio
from .config import Config
from .types import TextLine

log = logging.getLogger(__name__)

VERDICT_DPI = 200


@dataclass
class Agreement:
    """How much of the layer's sampled text OCR confirms, by kind of character."""
    digits: int = 0
    digits_agreed: int = 0
    cjk: int = 0
    cjk_agreed: int = 0

    def rate(self, kind: str) -> float | None:
        total, agreed = (self.digits, self.digits_agreed) if kind == "digits" else (self.cjk, self.cjk_agreed)
        return agreed / total if total else None


def judge_text_layers(doc: pdfio.Document, config: Config) -> list[str]:
    """A verdict per page: "none" (no characters), "good", or "garbled"."""
    verdicts = []
    for i in range(doc.n_pages):
        if pdfio.page_char_count(doc.pdf, i) == 0:
            verdicts.append("none")
        elif not config.verify_text_layer:
            verdicts.append("good")
        else:
            verdicts.append(judge_page(doc, i, config))
    return verdicts


def judge_page(doc: pdfio.Document, index: int, config: Config) -> str:
    runs = sample_runs(pdfio.page_text_runs(doc.pdf, index), config.verdict_samples)
    if not runs:
        return "good"       # only spaces or invisible marks: nothing that could mislead
    from .ocr import crop_to_ink, get_engine

    image = pdfio.render_page(doc.pdf, index, VERDICT_DPI)
    gray = image.mean(axis=2).astype(np.uint8)
    scale = VERDICT_DPI / 72.0
    crops, kept = [], []
    for run in runs:
        x0, y0, x1, y1 = run.bbox
        pad = 0.15 * (y1 - y0)
        box = gray[max(0, int((y0 - pad) * scale)):int((y1 + pad) * scale) + 1,
                   max(0, int((x0 - pad) * scale)):int((x1 + pad) * scale) + 1]
        crop = crop_to_ink(box) if box.size else None
        if crop is None:
            # The layer claims text where the page shows no ink: an invisible junk layer.
            crops.append(None); kept.append(run)
        else:
            crops.append(crop); kept.append(run)
    engine = get_engine(config)
    readings = engine.recognize([c for c in crops if c is not None])
    it = iter(readings)
    agreement = Agreement()
    for run, crop in zip(kept, crops):
        ocr_text = next(it).text if crop is not None else ""
        compare(run.text, ocr_text, agreement)
    verdict = verdict_of(agreement)
    log.info("page %d text layer %s (digits %s, CJK %s)", index + 1, verdict,
             _pct(agreement.rate("digits")), _pct(agreement.rate("cjk")))
    return verdict


def sample_runs(runs: list[TextLine], limit: int) -> list[TextLine]:
    """Runs with digits first (values live there), then CJK runs, spread over the page."""
    with_digits = [r for r in runs if sum(ch.isdigit() for ch in r.text) >= 1]
    with_cjk = [r for r in runs if r not in with_digits and sum(_is_cjk(ch) for ch in r.text) >= 3]
    half = limit // 2
    picked = _spread(with_digits, half) + _spread(with_cjk, limit - half)
    if len(picked) < limit:
        rest = [r for r in with_digits + with_cjk if r not in picked]
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
    for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for k in range(block.a, block.a + block.size):
            matched[k] = True
    for ch, ok in zip(a, matched):
        if ch.isdigit():
            agreement.digits += 1
            agreement.digits_agreed += ok
        elif _is_cjk(ch):
            agreement.cjk += 1
            agreement.cjk_agreed += ok


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
    return "good"


def _canon(text: str) -> str:
    t = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in t if not ch.isspace())


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{100 * rate:.0f}%"
