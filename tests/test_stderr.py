"""stderr carries only our own lines: running extract on a scan (OCR models loaded, a searchable
PDF written) prints our log lines and nothing of paddle's, pikepdf's or any other library's."""
from __future__ import annotations

import re
import subprocess
import sys

import pikepdf
import pytest

from pipeline.config import ROOT

# Our logging format (pipeline.cli): "2024-05-01 12:00:00,123 INFO pipeline.ocr.paddle: ..."
OUR_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) "
                          r"pipeline(\.[\w.]+)?: ")


@pytest.fixture(scope="module")
def one_page_scan(tmp_path_factory, real_pdf):
    from samples.degrade import ScanRecipe, make_scan
    folder = tmp_path_factory.mktemp("scan")
    with pikepdf.open(real_pdf) as pdf:
        del pdf.pages[4:]
        del pdf.pages[:3]                  # page 4: a table page
        pdf.save(folder / "page4.pdf")
    make_scan(folder / "page4.pdf", folder / "scan.pdf", ScanRecipe(dpi=150, jpeg_quality=75), seed=3)
    return folder / "scan.pdf"


@pytest.mark.slow
def test_extract_on_a_scan_prints_only_our_lines(tmp_path, one_page_scan):
    proc = subprocess.run([sys.executable, "-m", "pipeline", "extract", str(one_page_scan),
                           "--out", str(tmp_path / "out"), "--searchable", str(tmp_path / "searchable")],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "out" / "scan.json").is_file() and (tmp_path / "searchable" / "scan.pdf").is_file()
    lines = proc.stderr.splitlines()
    foreign = [line for line in lines if not OUR_LOG_LINE.match(line)]
    assert not foreign, foreign
    assert any("OCR models loaded" in line for line in lines), "the OCR path was not taken"
    assert proc.stdout == ""
