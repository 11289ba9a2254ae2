"""pipeline.pdf: pieces of a page drawn on their own stand where the whole render has them."""
from __future__ import annotations

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from pipeline import pdf as pdfio
from pipeline.config import ROOT

SAMPLE = ROOT / "samples" / "committed" / "synth-2024-002-2021.pdf"


@pytest.mark.parametrize("rotation", [0])
@pytest.mark.parametrize("dpi", [200, 97])
def test_regions_are_the_whole_renders_pixels(tmp_path, rotation, dpi):
    path = SAMPLE
    if rotation:
        doc = pdfium.PdfDocument(SAMPLE)
        doc[0].set_rotation(rotation)
        path = tmp_path / "turned.pdf"
        doc.save(path)
        doc.close()
    doc = pdfium.PdfDocument(path)
    try:
        full = pdfio.render_page(doc, 0, dpi)
        h, w = full.shape[:2]
        runs = pdfio.page_text_runs(doc, 0, max_len=10)
        scale = dpi / 72.0
        boxes = [(int(x0 * scale) - 4, int(y0 * scale) - 4, int(x1 * scale) + 4, int(y1 * scale) + 4)
                 for x0, y0, x1, y1 in (r.bbox for r in runs[:12])]
        boxes += [(-10, -10, 60, 40), (w - 30, h - 20, w + 10, h + 5)]    # cut by the page's edges
        pieces = pdfio.render_regions(doc, 0, dpi, boxes)
        inked = 0
        for (x0, y0, x1, y1), piece in zip(boxes, pieces):
            expected = full[max(0, y0):min(h, y1), max(0, x0):min(w, x1)]
            assert piece.shape == expected.shape
            difference = np.abs(piece.astype(int) - expected.astype(int))
            assert difference.mean() < 1.0      # anti-aliasing on a glyph's edge at most
            inked += int((expected < 128).any())
        assert inked >= 10                      # the runs' text is in the pieces
    finally:
        doc.close()


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_page_stored_turned_gives_its_layer_as_displayed(tmp_path, turn):
    """Content drawn turned in user space and /Rotate turning it back (landscape pages, some
    exporters): lines, runs and boxes come out as on the upright original, in the displayed frame."""
    import pikepdf

    from samples.degrade import turn_page

    path = tmp_path / "turned.pdf"
    with pikepdf.open(SAMPLE) as pdf:
        for page in pdf.pages:
            turn_page(pdf, page, turn)
        pdf.save(path)
    upright, turned = pdfium.PdfDocument(SAMPLE), pdfium.PdfDocument(path)
    try:
        for index in range(2):
            assert pdfio.page_size(turned, index) == pytest.approx(pdfio.page_size(upright, index), abs=0.01)
            expected = pdfio.page_text_lines(upright, index)
            got = pdfio.page_text_lines(turned, index)
            assert [line.text for line in got[:6]] == [line.text for line in expected[:6]]
            for a, b in zip(got[:6], expected[:6]):     # the same height on the page
                assert (a.bbox[1], a.bbox[3]) == pytest.approx((b.bbox[1], b.bbox[3]), abs=0.5)
            runs = pdfio.page_text_runs(upright, index, max_len=10)
            turned_runs = pdfio.page_text_runs(turned, index, max_len=10)
            assert len(turned_runs) == len(runs)
            for run in turned_runs:
                assert any(r.text == run.text and r.bbox == pytest.approx(run.bbox, abs=0.5) for r in runs)
            title = expected[0]
            assert pdfio.text_in_box(turned, index, title.bbox).strip() == title.text
    finally:
        upright.close()
        turned.close()


def _one_image_page(path, px: tuple[int, int], matrix: str, media=(595.0, 842.0), rotate: int = 0) -> None:
    """A page drawing one grey image of `px` (width, height) pixels by `matrix` ("a b c d e f")."""
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, bytes(px[0] * px[1]))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = px[0], px[1], 8
    image.ColorSpace = pikepdf.Name.DeviceGray
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, *media], Rotate=rotate,
                              Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
                              Contents=pikepdf.Stream(pdf, f"q {matrix} cm /Im0 Do Q".encode()))
    pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)


@pytest.mark.parametrize("px,matrix,media,rotate", [
    # A fax: 200 dpi across, 100 down, its pixels as wide as a turned page's would be.
    ((1654, 1169), "595 0 0 842 0 0", (595.0, 842.0), 0),
    # A landscape scan drawn turned onto a portrait page, and one upright on a page turned by /Rotate.
    ((2339, 1654), "0 842 -595 0 595 0", (595.0, 842.0), 0),
    ((1654, 2339), "595 0 0 842 0 0", (595.0, 842.0), 90),
])
def test_an_images_resolution_is_its_finer_axis_however_it_is_drawn(tmp_path, px, matrix, media, rotate):
    path = tmp_path / "page.pdf"
    _one_image_page(path, px, matrix, media, rotate)
    pdf = pdfium.PdfDocument(str(path))
    try:
        page = pdf[0]
        frame = pdfio.display_frame(page)
        obj = next(o for o in page.get_objects() if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE)
        assert pdfio.image_dpi(obj, frame.box(*obj.get_bounds()), page.get_rotation()) == pytest.approx(200, abs=1)
    finally:
        pdf.close()


def test_a_watermark_s_characters_are_not_the_layer_s_text(tmp_path):
    """Text laid over the print (slanted, or faint: a light fill at part opacity) is a watermark's
    or a stamp's; it is left out of the layer's lines and runs. Print, a grey footer, white
    labels on a dark fill, and an OCR tool's layer following a scan's skew of a few degrees stay."""
    from reportlab.pdfgen import canvas

    from samples.render import register_fonts

    register_fonts()
    path = tmp_path / "marked.pdf"
    c = canvas.Canvas(str(path), pagesize=(595, 842))
    c.setFont("zenhei", 12)
    c.drawString(72, 700, "行政许可 563")
    c.setFillColorRGB(0.5, 0.5, 0.5)
    c.drawString(72, 60, "第 2 页")                            # a grey footer: kept
    c.setFillColorRGB(0.1, 0.2, 0.5)
    c.rect(300, 690, 120, 20, stroke=0, fill=1)
    c.setFillColorRGB(1, 1, 1)
    c.drawString(310, 695, "自然人")                           # white on a dark fill: kept
    c.saveState()
    c.translate(72, 400)
    c.rotate(3)
    c.setFillColorRGB(0, 0, 0)
    c.drawString(0, 0, "本年新收申请")                         # an OCR layer over a skewed scan: kept
    c.restoreState()
    c.setFillColorRGB(0.7, 0.7, 0.7)
    c.setFillAlpha(0.5)
    c.setFont("zenhei", 40)
    c.drawString(60, 690, "仅供参考")                           # level, faint: left out
    c.saveState()
    c.translate(100, 300)
    c.rotate(35)
    c.setFillAlpha(1.0)
    c.setFillColorRGB(0, 0, 0)
    c.drawString(0, 0, "内部资料")                              # slanted, dark: left out
    c.restoreState()
    c.showPage()
    c.save()
    doc = pdfium.PdfDocument(path)
    try:
        lines = " ".join(line.text for line in pdfio.page_text_lines(doc, 0))
        runs = "".join(run.text for run in pdfio.page_text_runs(doc, 0))
    finally:
        doc.close()
    for text in (lines, runs):
        assert "563" in text and "第" in text and "本年新收申请" in text and "自然人" in text
        assert not set("仅供参考内部资料") & set(text), text
