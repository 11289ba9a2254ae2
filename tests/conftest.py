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
