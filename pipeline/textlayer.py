"""Judging each page's text layer: good, garbled or none."""
from __future__ import annotations

from . import pdf as pdfio
from .config import Config


def judge_text_layers(doc: pdfio.Document, config: Config) -> list[str]:
    """A verdict per page. A page with no characters in its layer is "none"."""
    return ["good" if pdfio.page_char_count(doc.pdf, i) > 0 else "none" for i in range(doc.n_pages)]
