"""LibreOffice Writer variants (bench only): one report typeset by Writer, and its 150 dpi scan.

Skipped where LibreOffice is not installed (`make bench-deps` installs libreoffice-writer-nogui);
`make test` never needs it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest

from pipeline.template import (
    ACTIVE_HEADER_FIRST, APPLICANT_GROUP, ORG_GROUP, REVIEW_GROUPS, REVIEW_SUIT_GROUP, TABLE_ACTIVE, TABLE_REVIEW,
)
from samples import writer_variants as wv
from samples.generate import generate_one

SEED = 2024
INDEX = 1          # a 2019 report: stacked parent cells, table 三 over two pages, 第 N 页 footer


def _installed() -> bool:
    try:
        wv.find_soffice()
    except wv.SofficeMissing:
        return False
    return True


pytestmark = pytest.mark.skipif(not _installed(), reason="LibreOffice (soffice) not installed: "
                                                        "make bench-deps installs libreoffice-writer-nogui")


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, dict, dict]:
    out = tmp_path_factory.mktemp("writer")
    assert wv.write_variants([(SEED, INDEX, None)], out, wv.find_soffice()) == 0
    reportlab_truth = generate_one(SEED, INDEX, tmp_path_factory.mktemp("clean"))
    name = reportlab_truth["report"].replace("synth-", "writer-", 1)
    truth = json.loads((out / wv.WRITER_DIR / f"{name}.truth.json").read_text(encoding="utf-8"))
    return out / wv.WRITER_DIR / f"{name}.pdf", truth, reportlab_truth


def _squashed_text(path: Path) -> list[str]:
    document = pdfium.PdfDocument(str(path))
    try:
        return [re.sub(r"\s+", "", document[i].get_textpage().get_text_range()) for i in range(len(document))]
    finally:
        document.close()


def test_writer_made_the_pdf_with_the_template_tables(made):
    pdf, truth, _ = made
    with pikepdf.open(pdf) as doc:
        assert "LibreOffice" in str(doc.docinfo.get("/Producer", ""))
        assert len(doc.pages) == truth["pages"] >= 3
    text = "".join(_squashed_text(pdf))
    labels = [ACTIVE_HEADER_FIRST, APPLICANT_GROUP, ORG_GROUP, "予以公开", "本机关不掌握相关政府信息",
              "结转下年度继续办理", REVIEW_SUIT_GROUP, *(label for _, label in REVIEW_GROUPS), "结果维持", "尚未审结"]
    assert [label for label in labels if label not in text] == []
    # Every value printed in tables 二 and 四 is in the text layer.
    printed = [c.get("printed", str(c["value"])) for c in truth["cells"]
               if c["table"] in (TABLE_ACTIVE, TABLE_REVIEW) and c["value"] is not None]
    assert [p for p in printed if re.sub(r"\s+", "", p) not in text] == []


def test_truth_is_the_generators_for_the_same_report(made):
    _, truth, reportlab_truth = made
    for key in ("version", "agency", "year", "title", "split_six", "inconsistent", "inconsistencies"):
        assert truth[key] == reportlab_truth[key], key
    strip = [{k: v for k, v in c.items() if k not in ("page", "bbox")} for c in reportlab_truth["cells"]]
    assert truth["cells"] == strip
    assert truth["report"] == truth["file"][:-4] and truth["file"].startswith("writer-")


def test_scan_is_150_dpi_images_only(made):
    pdf, truth, _ = made
    scan = pdf.parent.parent / wv.SCAN_DIR / pdf.name
    assert json.loads(scan.with_suffix(".truth.json").read_text(encoding="utf-8")) == truth
    with pikepdf.open(scan) as doc:
        assert len(doc.pages) == truth["pages"]
        for page in doc.pages:
            images = list(page.get_images().values())
            assert len(images) == 1
            width_pt = float(page.mediabox[2]) - float(page.mediabox[0])
            assert abs(images[0].Width * 72.0 / width_pt - 150) < 0.5
    assert all(t == "" for t in _squashed_text(scan))
