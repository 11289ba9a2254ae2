"""Shared fixtures: the real sample and its truth, and helpers to compare reports with truth."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("GOVREPORT_SHARED", ROOT.parent / "shared"))
REAL_PDF = SHARED / "samples" / "real" / "huaian-2024.pdf"
REAL_TRUTH = SHARED / "samples" / "real" / "huaian-2024.truth.json"
COMMITTED = ROOT / "samples" / "committed"

os.environ.setdefault("PADDLE_PDX_CACHE_HOME", str(ROOT / ".cache" / "paddlex"))


@pytest.fixture(scope="session")
def real_pdf() -> Path:
    if not REAL_PDF.exists():
        pytest.fail(f"shared sample missing: {REAL_PDF}")
    return REAL_PDF


@pytest.fixture(scope="session")
def real_truth() -> dict:
    return json.loads(REAL_TRUTH.read_text(encoding="utf-8"))


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
