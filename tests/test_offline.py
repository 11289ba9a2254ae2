"""A full run that uses OCR (a scanned report, extract end to end) never touches the network, and
loads only what a scan needs: not paddle, not camelot and pandas (vector rulings only)."""
from __future__ import annotations

import os
import subprocess
import sys

import pypdfium2 as pdfium

from conftest import REAL_PDF, ROOT

BLOCK_AND_EXTRACT = r"""
import socket, sys
def refuse(*args, **kwargs):
    raise RuntimeError("network access attempted")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
import pipeline
report = pipeline.extract(sys.argv[1])
assert any(p.read_by == "ocr" for p in report.pages)
loaded = [m for m in sys.modules if m.split(".")[0] in ("paddle", "camelot", "pandas")]
assert not loaded, f"a scan loaded {loaded}"
print(len(report.cells))
"""


def test_scanned_report_extracts_with_sockets_blocked(tmp_path):
    pdf = pdfium.PdfDocument(str(REAL_PDF))
    images = [pdf[i].render(scale=150 / 72).to_pil().convert("RGB") for i in (0, 4)]
    scan = tmp_path / "scan.pdf"
    images[0].save(scan, save_all=True, append_images=images[1:], resolution=150)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PADDLE_PDX")}
    env["HOME"] = str(tmp_path)          # no cached hub settings either
    proc = subprocess.run([sys.executable, "-c", BLOCK_AND_EXTRACT, str(scan)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert int(proc.stdout.strip().splitlines()[-1]) >= 15      # the review table's cells at least
