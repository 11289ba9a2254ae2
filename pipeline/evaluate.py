"""Comparing a report with ground truth: the figures the tests and the benchmark count."""
from __future__ import annotations

from .compilation import ISSUE_RULE


def compare_with_truth(report_json: dict, truth: dict) -> dict:
    """Cells right / wrong / missing / extra, review cells, silent errors and false document issues.

    A cell-level silent error is a wrong, missing or extra value that the output does not point a
    reviewer to (not in `review_cells`), in any report; a report-level one is a report that is not
    fully right although `needs_review` is false.
    """
    got = {(c["table"], c["row"], c["column"]): c["value"] for c in report_json["cells"]}
    exp = {(c["table"], c["row"], c["column"]): c["value"] for c in truth["cells"]}
    wrong = {k: (got[k], v) for k, v in exp.items() if k in got and not _same(got[k], v)}
    missing = [k for k in exp if k not in got]
    extra = [k for k in got if k not in exp]
    right = len(exp) - len(wrong) - len(missing)
    bad = bool(wrong or missing or extra)
    review = {tuple(k) for k in report_json.get("review_cells", [])}
    silent_cells = sorted(k for k in list(wrong) + missing + extra if k not in review)
    meta_wrong = [k for k in ("version", "agency", "year") if report_json.get(k) != truth.get(k)]
    # The document said to contradict itself where its print adds up: a false claim, as silent
    # as a wrong value to a user who reads only what the output says is settled.
    false_issues = [] if truth.get("inconsistent") else \
        [i["rule"] for i in report_json.get("document_issues", []) if i["rule"] != ISSUE_RULE]
    return {"right": right, "total": len(exp), "wrong": wrong, "missing": missing, "extra": extra,
            "review_cells": len(review), "review_wrong": sum(1 for k in review if k in wrong or k in missing or k in extra),
            "silent_cells": silent_cells, "meta_wrong": meta_wrong, "false_issues": false_issues,
            "fully_right": not bad and not meta_wrong,
            "silent_error": (bad or bool(meta_wrong)) and not report_json["needs_review"]}


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) < 1e-9
