"""Comparing a report with ground truth: the figures the tests and the benchmark count."""
from __future__ import annotations


def compare_with_truth(report_json: dict, truth: dict) -> dict:
    """Cells right / wrong / missing / extra, and silent errors (wrong while needs_review false)."""
    got = {(c["table"], c["row"], c["column"]): c["value"] for c in report_json["cells"]}
    exp = {(c["table"], c["row"], c["column"]): c["value"] for c in truth["cells"]}
    wrong = {k: (got[k], v) for k, v in exp.items() if k in got and got[k] != v}
    missing = [k for k in exp if k not in got]
    extra = [k for k in got if k not in exp]
    right = len(exp) - len(wrong) - len(missing)
    bad = bool(wrong or missing or extra)
    return {"right": right, "total": len(exp), "wrong": wrong, "missing": missing, "extra": extra,
            "silent_error": bad and not report_json["needs_review"]}
