"""Files that bind several reports together (…各部门年度报告汇编, one agency's years in one file):
the first report is read, and a document issue names the pages of the others."""
from __future__ import annotations

import json

import pikepdf
import pytest

import pipeline
from pipeline.compilation import ISSUE_RULE
from pipeline.evaluate import compare_with_truth

from conftest import COMMITTED

FIRST, SECOND = COMMITTED / "synth-2024-002-2021.pdf", COMMITTED / "synth-2024-004-2019.pdf"


@pytest.fixture(scope="module")
def bound(tmp_path_factory):
    path = tmp_path_factory.mktemp("compilation") / "bound.pdf"
    with pikepdf.open(FIRST) as first, pikepdf.open(SECOND) as second:
        n_first = len(first.pages)
        first.pages.extend(second.pages)
        first.save(path)
    return path, n_first


def test_the_first_report_is_read_and_the_second_named(bound):
    """Read as one report, the second report's tables stood in for the first's, each consistent
    in itself and so confirmed: whole tables of wrong values under the first report's title."""
    path, n_first = bound
    data = pipeline.extract(path).to_json()
    truth = json.loads(FIRST.with_suffix(".truth.json").read_text(encoding="utf-8"))
    result = compare_with_truth(data, truth)
    assert result["right"] == result["total"] and not result["silent_error"], result["wrong"]
    assert (data["agency"], data["year"]) == (truth["agency"], truth["year"])
    assert len(data["pages"]) == data["source"]["pages"] > n_first
    issue, = [i for i in data["document_issues"] if i["rule"] == ISSUE_RULE]
    second = json.loads(SECOND.with_suffix(".truth.json").read_text(encoding="utf-8"))
    assert f"pages {n_first + 1}–{data['source']['pages']}" in issue["detail"]
    assert second["agency"] in issue["detail"] and f"only pages 1–{n_first}" in issue["detail"]
    assert data["needs_review"] is False
    assert bool([i for i in data["document_issues"] if i["rule"] != ISSUE_RULE]) == truth["inconsistent"]


def test_one_report_has_no_such_issue():
    data = pipeline.extract(FIRST).to_json()
    assert not [i for i in data["document_issues"] if i["rule"] == ISSUE_RULE]
