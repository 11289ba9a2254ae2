"""Text-layer verdicts: a lying layer is caught by comparing it with OCR of the same place."""
from __future__ import annotations

import json
import shutil

import pytest

import pipeline
from pipeline import pdf as pdfio
from pipeline.config import DEFAULT
from pipeline.evaluate import compare_with_truth
from pipeline.textlayer import judge_text_layers
from samples.degrade import write_variant

from conftest import COMMITTED, REAL_PDF, REAL_TRUTH


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    root = tmp_path_factory.mktemp("layers")
    src = root / "src"
    src.mkdir()
    shutil.copy(REAL_PDF, src / "real.pdf")
    shutil.copy(REAL_TRUTH, src / "real.truth.json")
    return {v: write_variant(src / "real.pdf", root / v, v, seed=5)
            for v in ("tounicode-digits", "tounicode-cjk", "junk-layer200", "junk-layer200-latin")}


def _verdicts(path):
    doc = pdfio.open_document(path, DEFAULT)
    try:
        return judge_text_layers(doc, DEFAULT)
    finally:
        doc.close()


@pytest.mark.parametrize("pdf", [REAL_PDF] + sorted(COMMITTED.glob("*.pdf"))[:3], ids=lambda p: p.stem)
def test_good_layers_are_judged_good(pdf):
    assert set(_verdicts(pdf)) == {"good"}


@pytest.mark.parametrize("variant", ["tounicode-digits", "tounicode-cjk", "junk-layer200", "junk-layer200-latin"])
def test_lying_layers_are_judged_garbled(variants, variant):
    # Digits swapped for other digits, or common CJK for other common CJK, still look like text:
    # only the comparison with the page's pixels tells. Latin letters over Chinese print (an OCR
    # tool set to English; its digits right) have no CJK to disprove: what the page shows and the
    # layer lacks tells.
    verdicts = _verdicts(variants[variant])
    assert verdicts[3:5] == ["garbled", "garbled"]        # the table pages
    assert verdicts.count("garbled") >= 5


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["tounicode-digits", "junk-layer200"])
def test_garbled_report_reads_as_the_true_one(variants, variant):
    truth = json.loads(REAL_TRUTH.read_text(encoding="utf-8"))
    data = pipeline.extract(variants[variant]).to_json()
    result = compare_with_truth(data, truth)
    assert result["right"] == result["total"] and not result["extra"]
    assert (data["agency"], data["year"]) == (truth["agency"], truth["year"])
    table_pages = [p for p in data["pages"] if p["page"] in (3, 4, 5)]
    assert all(p["text_layer"] == "garbled" and p["read_by"] == "ocr" for p in table_pages)
    # A scan's junk layer is judged by the reading of its pixels (its tables, its title), and by
    # a sample read by OCR on the pages where little was read (prose): garbled alike.
    assert [p["text_layer"] for p in data["pages"]].count("garbled") >= 5
