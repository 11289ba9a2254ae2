"""The text-layer path over the committed synthetic reports: every layout feature they cover."""
from __future__ import annotations

import json

import pytest

import pipeline
from pipeline.evaluate import compare_with_truth

from conftest import COMMITTED

REPORTS = sorted(COMMITTED.glob("*.pdf"))


def test_committed_corpus_present():
    assert len(REPORTS) >= 6


@pytest.mark.parametrize("pdf", REPORTS, ids=lambda p: p.stem)
def test_committed_report_fully_right(pdf):
    truth = json.loads(pdf.with_suffix(".truth.json").read_text(encoding="utf-8"))
    data = pipeline.extract(pdf).to_json()
    result = compare_with_truth(data, truth)
    assert result["wrong"] == {} and result["missing"] == [] and result["extra"] == []
    assert (data["version"], data["agency"], data["year"]) == (truth["version"], truth["agency"], truth["year"])
    # govreport/2: every value of a good text layer is confirmed; a report that prints
    # inconsistent figures has them in document_issues, the document named as the cause, and
    # needs no person for that alone.
    assert data["needs_review"] is False and data["review_cells"] == []
    assert all(c["status"] == "confirmed" and "text_layer" in c["evidence"] for c in data["cells"])
    failed = [c for c in data["checks"] if not c["ok"]]
    assert bool(failed) == truth["inconsistent"] == bool(data["document_issues"])
    assert all(c["cause"] == "document" for c in failed)
    assert len(data["document_issues"]) == len(failed)
