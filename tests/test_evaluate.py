"""How the bench scores a report against its truth (pipeline/evaluate.py)."""
from __future__ import annotations

from pipeline.compilation import ISSUE_RULE
from pipeline.evaluate import compare_with_truth


def _report(issues: list[dict]) -> dict:
    return {"cells": [{"table": "review", "row": "all", "column": "review.total", "value": 3}],
            "review_cells": [], "needs_review": False, "version": "2021", "agency": "某局", "year": 2024,
            "document_issues": issues}


def test_a_document_issue_on_a_print_that_adds_up_is_false():
    """Saying the document contradicts itself where its print adds up is a claim as wrong as a
    misread value; where the truth records the misprint, it is right. A file holding several
    reports says so truly whatever its sums."""
    truth = {"cells": [{"table": "review", "row": "all", "column": "review.total", "value": 3}],
             "version": "2021", "agency": "某局", "year": 2024, "inconsistent": False}
    sum_issue = {"rule": "review: review.total = upheld+corrected+other+pending", "column": "review.total",
                 "detail": "3 = 1+1+0+0"}
    several = {"rule": ISSUE_RULE, "column": None, "detail": "2 reports"}
    assert compare_with_truth(_report([sum_issue, several]), truth)["false_issues"] == [sum_issue["rule"]]
    assert compare_with_truth(_report([sum_issue]), {**truth, "inconsistent": True})["false_issues"] == []
    assert compare_with_truth(_report([]), truth)["false_issues"] == []
