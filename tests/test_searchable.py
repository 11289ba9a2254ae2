"""Searchable PDFs: kept good layers, OCR layers on scans, junk layers replaced, lying maps repaired.

Inputs are pages 4–5 of the real huaian report (its two tables of numbers) and degraded variants
of that subset made by samples.degrade. OCR runs for real; each variant's output is made once.
"""
from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest

from bench.searchable_cer import _squash, cell_cer, edit_distance, table_cells
from pipeline import pdf as pdfio
from pipeline.searchable import write_searchable
from pipeline.types import PageInfo, Report

TABLE_PAGES = (3, 4)            # 0-based pages 4 and 5 of the real report
VERDICT = {"clean": "good", "scan200": "none", "tounicode-both": "garbled",
           "junk-layer200": "garbled"}


@pytest.fixture(scope="module")
def subset_dir(tmp_path_factory, real_pdf) -> Path:
    folder = tmp_path_factory.mktemp("searchable")
    clean = folder / "clean" / "huaian-tables.pdf"
    clean.parent.mkdir()
    with pikepdf.open(real_pdf) as pdf, pikepdf.new() as new:
        for i in TABLE_PAGES:
            new.pages.append(pdf.pages[i])
        new.save(clean)
    from samples.degrade import write_variant
    for variant in VERDICT:
        if variant != "clean":
            write_variant(clean, folder / variant, variant, seed=0)
    return folder


@pytest.fixture(scope="module")
def outputs(subset_dir) -> dict[str, tuple[Path, Path]]:
    """variant → (input, searchable output), written with the verdicts the variant should get."""
    made = {}
    for variant, verdict in VERDICT.items():
        src = subset_dir / variant / "huaian-tables.pdf"
        report = Report(str(src), "", len(TABLE_PAGES), None, None, None,
                        [PageInfo(page=i + 1, text_layer=verdict) for i in range(len(TABLE_PAGES))],
                        [], [], False)
        out = subset_dir / "out" / variant / "huaian-tables.pdf"
        write_searchable(src, report, out)
        made[variant] = (src, out)
    return made


@pytest.fixture(scope="module")
def clean_cells(subset_dir):
    return table_cells(subset_dir / "clean" / "huaian-tables.pdf")


def _renders(path: Path, dpi: int = 100) -> list[np.ndarray]:
    document = pdfium.PdfDocument(str(path))
    try:
        return [document[i].render(scale=dpi / 72.0).to_numpy().astype(np.int16)
                for i in range(len(document))]
    finally:
        document.close()


def _page_texts(path: Path) -> list[str]:
    document = pdfium.PdfDocument(str(path))
    try:
        texts = []
        for i in range(len(document)):
            page = document[i]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()


def _cer(subset_dir, out, clean_cells) -> dict:
    totals = cell_cer(subset_dir / "clean" / "huaian-tables.pdf", out, clean_cells, None)
    totals["cer"] = totals["errors"] / totals["chars"]
    totals["digit_cer"] = totals["digit_errors"] / max(1, totals["digit_chars"])
    return totals


def test_outputs_have_the_permissions_of_any_new_file(outputs):
    """Written through a private temporary file, the searchable PDF still ends up readable as
    the JSON beside it is (the umask's permissions), not 0600."""
    import os

    umask = os.umask(0o022)
    os.umask(umask)
    for _, out in outputs.values():
        assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_good_layer_pages_untouched(outputs):
    src, out = outputs["clean"]
    with pikepdf.open(src) as a, pikepdf.open(out) as b:
        for pa, pb in zip(a.pages, b.pages, strict=True):
            pa.contents_coalesce(), pb.contents_coalesce()
            assert pa.Contents.read_bytes() == pb.Contents.read_bytes()
            assert sorted(pa.Resources.keys()) == sorted(pb.Resources.keys())


def test_scan_gets_an_aligned_text_layer(outputs, subset_dir, clean_cells):
    src, out = outputs["scan200"]
    assert _page_texts(src) == ["", ""]
    cer = _cer(subset_dir, out, clean_cells)
    # Cell by cell: the right characters inside the right cell's box.
    assert cer["chars"] > 500 and cer["cer"] <= 0.02 and cer["digit_cer"] <= 0.01, cer
    for before, after in zip(_renders(src), _renders(out)):
        assert np.abs(before - after).max() == 0
    # Every character drawn is invisible, in a font that carries its own Unicode map.
    runs = pdfio.page_text_runs(pdfium.PdfDocument(str(out)), 0)
    assert runs and all(r.invisible for r in runs)


def test_tounicode_repaired_renders_identical(outputs, subset_dir, clean_cells):
    src, out = outputs["tounicode-both"]
    assert _cer(subset_dir, src, clean_cells)["cer"] > 0.5      # the input lies
    cer = _cer(subset_dir, out, clean_cells)
    assert cer["digit_cer"] == 0 and cer["cer"] <= 0.01, cer
    for before, after in zip(_renders(src), _renders(out)):
        assert np.abs(before - after).max() == 0
    with pikepdf.open(src) as a, pikepdf.open(out) as b:
        for pa, pb in zip(a.pages, b.pages, strict=True):
            assert pa.Contents.read_bytes() == pb.Contents.read_bytes()


def test_junk_layer_replaced(outputs, subset_dir, clean_cells):
    src, out = outputs["junk-layer200"]
    junk, new = _page_texts(src), _page_texts(out)
    clean = _page_texts(subset_dir / "clean" / "huaian-tables.pdf")
    for j, n, c in zip(junk, new, clean):
        j, n, c = Counter(_squash(j)), Counter(_squash(n)), Counter(_squash(c))
        total = sum(c.values())
        # Junk is mostly wrong characters; what replaced it holds the page's characters (the
        # order of a page's text differs between the layers, so compared as multisets).
        assert sum((j & c).values()) < 0.8 * total
        assert sum((n & c).values()) >= 0.97 * total and sum(n.values()) <= 1.03 * total
    cer = _cer(subset_dir, out, clean_cells)
    assert cer["cer"] <= 0.02 and cer["digit_cer"] <= 0.01, cer
    for before, after in zip(_renders(src), _renders(out)):
        assert np.abs(before - after).max() == 0


def test_an_ocr_layer_that_passed_its_check_is_replaced_too(subset_dir, clean_cells, tmp_path):
    # An OCR tool's layer over a scan may read right where it was sampled and wrong elsewhere:
    # judged good, it is still replaced by our reading of the page.
    src = subset_dir / "junk-layer200" / "huaian-tables.pdf"
    report = Report(str(src), "", len(TABLE_PAGES), None, None, None,
                    [PageInfo(page=i + 1, text_layer="good") for i in range(len(TABLE_PAGES))], [], [], False)
    out = tmp_path / "huaian-tables.pdf"
    write_searchable(src, report, out)
    cer = _cer(subset_dir, out, clean_cells)
    assert cer["cer"] <= 0.02 and cer["digit_cer"] <= 0.01, cer


def test_qpdf_check_passes(outputs):
    for variant, (_, out) in outputs.items():
        result = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True)
        assert result.returncode == 0, (variant, result.stdout[-500:], result.stderr[-500:])


def test_rotated_page_layer_lands_on_its_glyphs(tmp_path, outputs, clean_cells):
    """A page displayed through /Rotate: its layer lands on the same glyphs (same user space) as
    the layer of the page shown upright."""
    src, upright = outputs["scan200"]
    turned = tmp_path / "turned.pdf"
    with pikepdf.open(src) as pdf, pikepdf.new() as new:
        new.pages.append(pdf.pages[1])
        new.pages[0].Rotate = 90
        new.save(turned)
    report = Report(str(turned), "", 1, None, None, None, [PageInfo(page=1, text_layer="none")], [], [], False)
    out = tmp_path / "deeper" / "turned-searchable.pdf"
    write_searchable(turned, report, out)
    assert out.exists() and not list(out.parent.glob("*.tmp"))
    a, b = pdfium.PdfDocument(str(upright)), pdfium.PdfDocument(str(out))
    try:
        ta, tb = a[1].get_textpage(), b[0].get_textpage()
        height = a[1].get_mediabox()[3]
        chars = errors = 0
        for x0, y0, x1, y1 in clean_cells[2]:
            want = _squash(ta.get_text_bounded(left=x0, bottom=height - y1, right=x1, top=height - y0))
            got = _squash(tb.get_text_bounded(left=x0, bottom=height - y1, right=x1, top=height - y0))
            chars += len(want)
            # Lines of a wrapped label may come in another order: the place is what is tested.
            errors += edit_distance(sorted(want), sorted(got))
    finally:
        a.close(), b.close()
    assert chars > 200 and errors <= 0.02 * chars


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["scan200", "tounicode-both"])
def test_extract_reads_its_own_output_alike(outputs, variant):
    from pipeline import extract

    src, out = outputs[variant]
    before = extract(src)
    after = extract(out)
    # The layer we wrote reads right wherever it is checked; being an OCR layer over an image, it
    # gives the title, and the values are read from the pixels again.
    assert all(p.text_layer == "good" for p in after.pages), after.pages
    values = lambda r: {(c.table, c.row, c.column): c.value for c in r.cells}
    assert values(after) == values(before)


def test_a_scan_reuses_the_cells_its_extraction_read(subset_dir, clean_cells, tmp_path):
    """The extraction's readings of the grid cells are placed as read (never read twice), only
    the lines outside the tables are recognised, and the layer is as right as a full reading."""
    import pipeline
    from pipeline.config import DEFAULT
    from pipeline.searchable import ocr_page_lines

    src = subset_dir / "scan200" / "huaian-tables.pdf"
    report = pipeline.extract(src)
    assert report.read_lines and all(report.read_lines.values())
    out = tmp_path / "out.pdf"
    write_searchable(src, report, out)
    cer = _cer(subset_dir, out, clean_cells)
    assert cer["chars"] > 500 and cer["cer"] <= 0.02 and cer["digit_cer"] <= 0.01, cer
    # A cell's text, whatever it is, is placed as the extraction read it; on a page prepared
    # otherwise than it was read (another turn), the readings are not used.
    doc = pdfio.open_document(src, DEFAULT)
    try:
        page = min(report.read_lines)
        known = [("XYZZY", report.read_lines[page][0][1])] + report.read_lines[page][1:]
        info = next(p for p in report.pages if p.page == page)
        placed = [line.text for line in ocr_page_lines(doc, page - 1, DEFAULT, known=known, read_as=info)]
        assert "XYZZY" in placed
        turned = PageInfo(page=page, rotation=(info.rotation + 180) % 360, skew=info.skew)
        placed = [line.text for line in ocr_page_lines(doc, page - 1, DEFAULT, known=known, read_as=turned)]
        assert "XYZZY" not in placed and placed
    finally:
        doc.close()


def test_a_skewed_scan_gets_each_cell_text_in_its_cell(subset_dir, clean_cells, tmp_path):
    """On a scan fed skewed, a cell's text is drawn over the cell's own ink: not stretched to a
    ruling left in the cell box (deskewing blurs rules), where it reaches into the next cell."""
    import json

    import pipeline
    from samples.degrade import write_variant

    write_variant(subset_dir / "clean" / "huaian-tables.pdf", tmp_path / "skew", "scan200-skew", seed=0)
    src = tmp_path / "skew" / "huaian-tables.pdf"
    sidecar = json.loads(src.with_suffix(".degrade.json").read_text(encoding="utf-8"))
    assert all(abs(p["skew_deg_ccw"]) >= 0.5 for p in sidecar["pages"])
    out = tmp_path / "out.pdf"
    write_searchable(src, pipeline.extract(src), out)
    totals = cell_cer(subset_dir / "clean" / "huaian-tables.pdf", out, clean_cells, sidecar)
    cer, digit_cer = totals["errors"] / totals["chars"], totals["digit_errors"] / max(1, totals["digit_chars"])
    # Measured 0.043 and 0 (the measure's box around a rotated cell takes in some of its
    # neighbours); the text stretched to a rule left in the box gave 0.48 and 0.63.
    assert totals["chars"] > 500 and cer <= 0.08 and digit_cer <= 0.02, totals
