"""Shared fixtures: the real sample and its truth, and helpers to compare reports with truth."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.config import REAL_SAMPLE_PDF, REAL_SAMPLE_TRUTH, ROOT, SHARED_DIR

SHARED = SHARED_DIR                     # ../shared beside the checkout, or GOVREPORT_SHARED
REAL_PDF = REAL_SAMPLE_PDF
REAL_TRUTH = REAL_SAMPLE_TRUTH
COMMITTED = ROOT / "samples" / "committed"

os.environ.setdefault("PADDLE_PDX_CACHE_HOME", str(ROOT / ".cache" / "paddlex"))


@pytest.fixture(scope="session")
def real_pdf() -> Path:
    return require_shared(REAL_PDF)


def require_shared(path: Path) -> Path:
    """A file of the shared material, or a test failure naming it: a missing sample is an error,
    never a skip (a machine laid out differently must not pass by testing nothing)."""
    if not path.is_file():
        pytest.fail(f"shared sample missing: {path} (../shared beside the checkout, or set GOVREPORT_SHARED)")
    return path


@pytest.fixture(scope="session")
def heavy_bilevel_scan(tmp_path_factory) -> Path:
    """The committed 2021-template report as an office scanner's 1-bit archive setting with a
    heavy threshold leaves it (samples.degrade's bilevel300-heavy): its shaded header cells turned
    to dense speckle."""
    from samples.degrade import write_variant
    return write_variant(COMMITTED / "synth-2024-002-2021.pdf", tmp_path_factory.mktemp("heavy"),
                         "bilevel300-heavy", seed=0)


@pytest.fixture(scope="session")
def real_truth() -> dict:
    return json.loads(require_shared(REAL_TRUTH).read_text(encoding="utf-8"))
