"""Which reader each kind of page gets (pipeline.readers.choose_reader), on real rendered PDFs:
a good layer with vector rulings, a garbled layer over vector rulings, a scan, a scan under an
invisible layer, and a text page whose tables are pictures."""
from __future__ import annotations

import dataclasses
import json

import pytest

import pipeline
from pipeline import pdf as pdfio
from pipeline.config import DEFAULT
from pipeline.evaluate import compare_with_truth
from pipeline.readers import choose_reader, open_pages
from pipeline.readers.text import find_vector_grids
from pipeline.textlayer import UNJUDGED, judge_text_layers
from pipeline.title import find_title
from samples.degrade import write_variant

TABLE_PAGES = (2, 3, 4)       # the committed report: title and prose on 1, tables on 2-4 (4 landscape), prose on 5


def readers_of(path, config=DEFAULT) -> tuple[list[str], list]:
    doc = pdfio.open_document(path, config)
    try:
        pages = open_pages(doc, config, judge_text_layers(doc, config, defer_scan_layers=True))
        find_vector_grids(pages, config)
        kinds = [choose_reader(p, config) for p in pages]
        for p in pages:     # what the tests look at, read while the document is open
            p.is_image, p.pictures
        return kinds, pages
    finally:
        doc.close()


def test_good_layer_with_vector_rulings_is_read_by_its_layer(variants):
    kinds, pages = readers_of(variants["clean"])
    assert kinds == ["text"] * 5
    assert all(p.has_vector_grids for p in pages if p.number in TABLE_PAGES)


def test_scan_is_read_from_pixels(variants):
    kinds, pages = readers_of(variants["scan150"])
    assert kinds == ["scan"] * 5
    assert {p.text_layer for p in pages} == {"none"} and all(p.is_image for p in pages)


def test_garbled_layer_over_vector_rulings_keeps_its_vector_grid_and_reads_by_ocr(variants):
    kinds, pages = readers_of(variants["tounicode-digits"])
    by_page = dict(zip((p.number for p in pages), kinds))
    assert {p.text_layer for p in pages if p.number in TABLE_PAGES} == {"garbled"}
    assert [by_page[n] for n in TABLE_PAGES] == ["vector_ocr"] * 3
    # A garbled page drawn without rulings (the title page) is read through its layer too:
    # nothing to prepare, the title on the layer's lines; over an image it is a scan (below).
    prose = [k for p, k in zip(pages, kinds) if p.text_layer == "garbled" and not p.has_vector_grids]
    assert prose and all(k == "vector_ocr" for k in prose)


def test_scan_under_an_invisible_layer(variants):
    # Trusted, the layer is good, and the page is still read as a scan: grid and cells from the
    # image, title from the pixels (the layer's lines only where the pixels show none).
    trusting = dataclasses.replace(DEFAULT, verify_text_layer=False)
    kinds, pages = readers_of(variants["junk-layer200"], trusting)
    assert kinds == ["scan"] * 5
    assert all(p.is_image and p.text_layer == "good" for p in pages)
    # Its values are still read from the pixels: a layer someone's OCR wrote, however well it
    # reads where it was checked, is not taken for what a cell prints (this one is junk).
    truth = json.loads(variants["junk-layer200"].with_suffix(".truth.json").read_text(encoding="utf-8"))
    data = pipeline.extract(variants["junk-layer200"], trusting).to_json()
    result = compare_with_truth(data, truth)
    assert result["right"] == result["total"] and not result["extra"]
    assert all(p["read_by"] == "ocr" for p in data["pages"] if p["page"] in TABLE_PAGES)
    # So is the title: the junk layer's would name no agency.
    assert (data["agency"], data["year"]) == (truth["agency"], truth["year"])
    # Checked, the layer waits for that reading to be judged by (pipeline.textlayer.
    # judge_by_reading): no sample of it is read by OCR first.
    kinds, pages = readers_of(variants["junk-layer200"])
    assert kinds == ["scan"] * 5 and {p.text_layer for p in pages} == {UNJUDGED}


def test_a_title_one_reader_read_is_not_looked_for_again_by_another(tmp_path, real_pdf):
    """The real report under a lying map: its title page draws paths without a table (the scan
    reader's), the next page is prose (the vector reader's). The title read on page 1 is not
    looked for on page 2, whichever reader would have run first."""
    import shutil

    from pipeline.readers import read_pages

    shutil.copy(real_pdf, tmp_path / "real.pdf")
    garbled = write_variant(tmp_path / "real.pdf", tmp_path / "v", "tounicode-digits", seed=5)
    kinds, _ = readers_of(garbled)
    assert kinds[:2] == ["scan", "vector_ocr"]
    doc = pdfio.open_document(garbled, DEFAULT)
    try:
        contents = read_pages(doc, DEFAULT, {})
    finally:
        doc.close()
    assert find_title(contents[0].lines) is not None
    assert contents[1].lines == []


def test_tables_pasted_as_pictures_into_a_text_page(variants):
    kinds, pages = readers_of(variants["picture-tables"])
    assert kinds == ["text", "mixed", "mixed", "mixed", "text"]
    for page in pages:
        assert page.text_layer == "good" and not page.is_image and not page.has_vector_grids
    for page in pages[1:4]:
        assert page.picture_tables and set(page.picture_tables) <= {bbox for bbox, _ in page.pictures}
        dpi = {d for _, d in page.pictures}
        assert all(120 <= round(d) <= 200 for d in dpi)


def test_page_renders_once_at_each_dpi_and_forgets_on_release(variants):
    doc = pdfio.open_document(variants["scan150"], DEFAULT)
    try:
        page = open_pages(doc, DEFAULT, ["none"] * doc.n_pages)[0]
        assert page.scan_dpi == pytest.approx(150, abs=1)
        first = page.render(page.scan_dpi)
        assert page.render(page.scan_dpi) is first
        assert first.shape[1] == pytest.approx(page.width * 150 / 72, abs=2)
        page.release()
        assert page.render(page.scan_dpi) is not first
    finally:
        doc.close()


def test_a_pasted_table_over_most_of_the_page_is_not_a_scan(tmp_path):
    """A picture over more than half the page, with the layer's text around it and none over it:
    a pasted table (mixed), not a scan under an invisible layer (image_layer)."""
    import shutil

    from conftest import COMMITTED

    src = COMMITTED / "synth-2024-006-2021.pdf"
    shutil.copy(src, tmp_path / src.name)
    out = write_variant(tmp_path / src.name, tmp_path / "picture-tables", "picture-tables", seed=3)
    kinds, pages = readers_of(out)
    assert pages[2].is_image and pages[2].text_layer == "good"
    assert kinds[2] == "mixed"
    assert all(k in ("text", "mixed") for k in kinds)
