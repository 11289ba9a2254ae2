"""OCRmyPDF variants (bench only): a scan comes back with an invisible text layer and nothing else changed.

Skipped where the bench's OCRmyPDF venv is absent (`make bench-deps` makes it); `make test` never needs it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFont

from samples import ocrmypdf_variants as variants


def _installed() -> bool:
    try:
        variants.find_ocrmypdf()
    except variants.OcrmypdfMissing:
        return False
    return True


needs_ocrmypdf = pytest.mark.skipif(not _installed(), reason="no OCRmyPDF venv (make bench-deps)")


@pytest.fixture(scope="module")
def scan_dir(tmp_path_factory) -> Path:
    """A one-page image-only PDF (150 dpi JPEG, no text at all) with a truth file beside it."""
    folder = tmp_path_factory.mktemp("scan")
    dpi = 150
    page = Image.new("RGB", (int(8.27 * dpi), int(5 * dpi)), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 40) \
        if Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").exists() else ImageFont.load_default(40)
    for k, line in enumerate(["Annual report 2024", "Applications received 1234", "Carried over 567"]):
        draw.text((80, 80 + 90 * k), line, fill="black", font=font)
    page.save(folder / "one.pdf", resolution=dpi, quality=85)
    (folder / "one.truth.json").write_text(json.dumps({"cells": []}), encoding="utf-8")
    return folder


def _render(path: Path) -> np.ndarray:
    document = pdfium.PdfDocument(str(path))
    try:
        return document[0].render(scale=1.0).to_numpy().copy()
    finally:
        document.close()


@needs_ocrmypdf
def test_the_variant_has_an_invisible_layer_and_the_same_image(scan_dir, tmp_path):
    failures = variants.write_variants(scan_dir, tmp_path, variants.find_ocrmypdf(), ["ocrmypdf-eng"])
    assert failures == 0
    folder = tmp_path / "ocrmypdf-eng"
    assert sorted(p.name for p in folder.iterdir()) == ["one.pdf", "one.truth.json"]
    out = folder / "one.pdf"

    document = pdfium.PdfDocument(str(out))
    text = document[0].get_textpage().get_text_range()
    document.close()
    assert re.search(r"1234", text) and "567" in text          # the layer is there and reads the scan

    np.testing.assert_array_equal(_render(out), _render(scan_dir / "one.pdf"))   # and draws nothing

    with pikepdf.open(scan_dir / "one.pdf") as src, pikepdf.open(out) as pdf:
        src_images = [x.read_raw_bytes() for x in src.pages[0].obj.Resources.XObject.values()]
        xobjects = list(pdf.pages[0].obj.Resources.XObject.values())
        images = [x.read_raw_bytes() for x in xobjects if x.Subtype == "/Image"]
        forms = [x for x in xobjects if x.Subtype == "/Form"]
        assert images == src_images                              # the scan's JPEG, byte for byte
        assert len(forms) == 1                                   # the text lives in one Form XObject
        ops = pikepdf.parse_content_stream(forms[0])
        modes = {int(operands[0]) for operands, op in ops if str(op) == "Tr"}
        assert modes == {3}                                      # render mode 3: invisible
        assert any(str(op) in ("Tj", "TJ") for _, op in ops)
        page_ops = {str(op) for _, op in pikepdf.parse_content_stream(pdf.pages[0])}
        assert not page_ops & {"Tj", "TJ", "'", '"'}             # no text in the page's own stream


def test_a_missing_ocrmypdf_is_a_clear_error(scan_dir, tmp_path, capsys):
    code = variants.main(["--src", str(scan_dir), "--out", str(tmp_path), "--ocrmypdf", str(tmp_path / "nope")])
    assert code == 2
    assert "make bench-deps" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
