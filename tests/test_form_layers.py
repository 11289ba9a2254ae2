"""Invisible text layers inside Form XObjects, as OCR tools write them (OCRmyPDF and scanners'
software draw their layer from a form of its own, per page): judged invisible by the text-layer
verdict, and found and replaced by --searchable wherever it lives (page, form, nested forms).

The input is page 4 of the real report, scanned at 200 dpi by samples.degrade with a junk
invisible layer over it, the layer two Form XObjects deep."""
from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest

from pipeline import pdf as pdfio
from pipeline.config import Config
from pipeline.searchable import strip_invisible_text, write_searchable
from pipeline.types import PageInfo, Report

PAGE = 3                         # 0-based: the real report's applications table


@pytest.fixture(scope="module")
def pages(tmp_path_factory, real_pdf) -> dict[str, Path]:
    from samples.degrade import VARIANTS, make_junk_layer

    folder = tmp_path_factory.mktemp("form-layers")
    clean = folder / "clean.pdf"
    with pikepdf.open(real_pdf) as pdf, pikepdf.new() as new:
        new.pages.append(pdf.pages[PAGE])
        new.save(clean)
    junk = folder / "junk-form.pdf"
    recipe = VARIANTS["junk-layer200-form"]
    assert recipe.in_form == 2
    make_junk_layer(clean, junk, recipe, seed=5)
    return {"clean": clean, "junk": junk}


def _text(path: Path) -> str:
    document = pdfium.PdfDocument(str(path))
    try:
        return document[0].get_textpage().get_text_range()
    finally:
        document.close()


def _render(path: Path) -> np.ndarray:
    document = pdfium.PdfDocument(str(path))
    try:
        return document[0].render(scale=100 / 72).to_numpy().astype(np.int16)
    finally:
        document.close()


def _squash(text: str) -> str:
    return "".join(text.split())


def test_the_layer_lives_in_nested_forms(pages):
    with pikepdf.open(pages["junk"]) as pdf:
        page = pdf.pages[0]
        page.contents_coalesce()
        assert b"Tj" not in page.Contents.read_bytes() and b"TJ" not in page.Contents.read_bytes()
        outer = [x for x in page.Resources.XObject.values() if "/XObject" in x.get("/Resources", {})
                 and any(k.startswith("/OCRLayer") for k in x.Resources.XObject.keys())]
        assert outer, "the junk layer is not two forms deep"


def test_form_text_is_invisible(pages):
    document = pdfium.PdfDocument(str(pages["junk"]))
    try:
        runs = pdfio.page_text_runs(document, 0)
        assert len(runs) > 20 and all(r.invisible for r in runs)
        assert pdfio.page_is_image(document, 0)
    finally:
        document.close()


def test_strip_reaches_text_in_nested_forms(pages, tmp_path):
    out = tmp_path / "stripped.pdf"
    with pikepdf.open(pages["junk"]) as pdf:
        removed = strip_invisible_text(pdf, pdf.pages[0])
        pdf.save(out)
    assert removed > 20
    assert _squash(_text(out)) == ""
    assert np.abs(_render(out) - _render(pages["junk"])).max() == 0


def test_strip_leaves_visible_text_in_forms(tmp_path):
    """Text drawn visibly inside a form, and invisibly beside it: only the invisible goes; the
    mode set before a Do reaches the form's text."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "forms.pdf"
    c = canvas.Canvas(str(path))
    c.beginForm("visible")
    c.drawString(100, 700, "VISIBLE")
    c.endForm()
    c.beginForm("inherits")
    t = c.beginText(100, 600)
    t.textOut("INHERITED")          # no Tr of its own: the drawer's mode 3 holds
    c.drawText(t)
    c.endForm()
    c.doForm("visible")
    c.saveState()
    c._code.append("3 Tr")
    c.doForm("inherits")
    c.restoreState()
    c.showPage()
    c.save()
    with pikepdf.open(path) as pdf:
        assert strip_invisible_text(pdf, pdf.pages[0]) == 1
        pdf.save(tmp_path / "out.pdf")
    assert _squash(_text(tmp_path / "out.pdf")) == "VISIBLE"


@pytest.mark.slow
def test_form_layer_judged_and_replaced(pages, tmp_path):
    """The verdict finds the junk (OCR of the page disagrees with it), and --searchable's output
    holds the page's own text in place of the junk, the drawing untouched."""
    from pipeline.textlayer import judge_text_layers

    config = Config()
    doc = pdfio.open_document(pages["junk"], config)
    try:
        assert judge_text_layers(doc, config) == ["garbled"]
    finally:
        doc.close()
    report = Report(str(pages["junk"]), "", 1, None, None, None,
                    [PageInfo(page=1, text_layer="garbled")], [], [], False)
    out = tmp_path / "searchable.pdf"
    write_searchable(pages["junk"], report, out, config)
    junk, new, clean = (Counter(_squash(_text(p))) for p in (pages["junk"], out, pages["clean"]))
    total = sum(clean.values())
    assert sum((junk & clean).values()) < 0.8 * total
    assert sum((new & clean).values()) >= 0.97 * total and sum(new.values()) <= 1.03 * total
    assert np.abs(_render(out) - _render(pages["junk"])).max() == 0
    result = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-500:]
