"""Web variants: reports as a website shows them, printed to PDF by headless Chromium (make
system-deps installs it), read as a user's saved page is."""
from __future__ import annotations

import json

import pypdfium2 as pdfium
import pytest

import pipeline
from pipeline.evaluate import compare_with_truth
from samples import web_variants as web

SEED = 2024


def _installed() -> bool:
    try:
        web.find_chromium()
    except web.ChromiumMissing:
        return False
    return True


pytestmark = pytest.mark.skipif(not _installed(), reason="chromium not installed: make system-deps installs it")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("web")
    # 1: cells boxed each on its own (separate borders), no header; 2: collapsed borders, with the
    # browser's header and footer (date, title, address, page count).
    assert web.write_variants([(SEED, 1, None), (SEED, 2, None)], out, web.find_chromium()) == 0
    return out


@pytest.mark.parametrize("index,borders", [(1, "separate"), (2, "collapse")])
def test_a_browser_printed_report_is_a_text_pdf_whose_every_cell_reads(made, index, borders):
    name = f"web-{SEED}-{index:03d}-" + ("2019" if index % 3 == 1 else "2021")
    pdf = made / web.WEB_DIR / f"{name}.pdf"
    truth = json.loads(pdf.with_suffix(".truth.json").read_text(encoding="utf-8"))
    assert f"borders:{borders}" in truth["layout"] and "engine:chromium" in truth["layout"]
    assert ("browser_header_footer" in truth["layout"]) == web.with_header_footer(index)
    document = pdfium.PdfDocument(str(pdf))
    try:
        assert len(document) == truth["pages"] and truth["title"][:6] in document[0].get_textpage().get_text_range()
    finally:
        document.close()
    assert (made / web.SCAN_DIR / f"{name}.pdf").exists() and (made / web.SCAN_DIR / f"{name}.truth.json").exists()
    data = pipeline.extract(pdf).to_json()
    result = compare_with_truth(data, truth)
    assert result["right"] == result["total"] and not result["silent_cells"]
    assert {p["read_by"] for p in data["pages"]} == {"text"}
    assert (data["agency"], data["year"], data["version"]) == (truth["agency"], truth["year"], truth["version"])


@pytest.mark.parametrize("index,borders", [(1, "zebra"), (2, "none")])
def test_a_page_printed_with_no_table_border_reads_by_its_spacing(made, index, borders):
    """The same page with its tables' borders off (a site whose stylesheet is lost; every other
    row shaded on a striped one): no rule anywhere, yet the cells are read from the text's
    spacing, and no value silently wrong. The layer confirms only cells of rows that print one
    figure for each of their columns (their order fixes their place; elsewhere it is the
    spacing's guess). Report 2's table 四 starts at a page's foot, its header's first row there
    (行政复议, 行政诉讼) and the rest over the page, where the review group's outcomes stand
    centred beside the two suit groups' header lines: the spacing ran the header's words
    together across columns, and 10 of its 15 cells were lost. Its one row prints all fifteen
    figures, which in order are its columns: both reports go straight through."""
    name = f"web-{SEED}-{index:03d}-" + ("2019" if index % 3 == 1 else "2021")
    pdf = made / web.BORDERLESS_DIR / f"{name}.pdf"
    truth = json.loads(pdf.with_suffix(".truth.json").read_text(encoding="utf-8"))
    assert f"borders:{borders}" in truth["layout"]
    data = pipeline.extract(pdf).to_json()
    result = compare_with_truth(data, truth)
    assert result["right"] == result["total"] and not result["silent_cells"]
    assert not data["needs_review"]
    by_layer = [c for c in data["cells"] if "text_layer" in c["evidence"]]
    assert by_layer and all(c["text"].strip() for c in by_layer)


def test_a_scan_of_cells_boxed_apart_takes_no_side_of_a_box_for_a_pen_mark(made):
    """Scanned, a table whose cells are boxed each on its own keeps, inside the grid's cell, the
    side of the box the grid did not take for its rule, beside the value ("0" read "lo", "4" read
    "14"). Taken off, it is the table's own ruling, no pen's mark: the value is not marked
    overdrawn, and the two readers may confirm it (table 四's went to review)."""
    name = f"web-{SEED}-001-2019"
    pdf = made / web.SCAN_DIR / f"{name}.pdf"
    truth = json.loads(pdf.with_suffix(".truth.json").read_text(encoding="utf-8"))
    assert "borders:separate" in truth["layout"]
    data = pipeline.extract(pdf).to_json()
    result = compare_with_truth(data, truth)
    assert result["right"] == result["total"] and not result["silent_cells"]
    assert not [c["column"] for c in data["cells"] if "a mark drawn over the print" in c.get("flags", [])]
    assert not data["needs_review"], data["review_cells"]
