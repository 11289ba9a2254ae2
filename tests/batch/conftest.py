"""Shared inputs for the batch tests: the real sample report, copies of it, and broken files."""
from __future__ import annotations

import logging
import random
import shutil
from pathlib import Path

import pikepdf
import pytest



@pytest.fixture(autouse=True)
def _info_logs(caplog):
    caplog.set_level(logging.INFO)


@pytest.fixture
def trusted_text_layers(monkeypatch):
    """Reader children trust text layers (a real setting, GOVREPORT_TRUST_TEXT_LAYER=1) instead of
    checking them by OCR: the tests of batch mechanics then take seconds, not minutes, on 2 cores.
    The tests comparing batch with extract and the dask test keep the default, OCR-checked path."""
    monkeypatch.setenv("GOVREPORT_TRUST_TEXT_LAYER", "1")


@pytest.fixture(scope="session")
def sample_pdf(real_pdf) -> Path:
    """The real sample report (tests/conftest.py: a missing one fails the test, never skips it)."""
    return real_pdf


@pytest.fixture(scope="session")
def sample_report(sample_pdf):
    """The real extract output for the sample (read once per test session)."""
    import pipeline
    return pipeline.extract(str(sample_pdf))


def distinct_copy(src: Path, dest: Path, n: int) -> Path:
    """The same readable PDF with a different sha256: bytes after %%EOF are ignored by readers."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    with open(dest, "ab") as f:
        f.write(f"\n% copy {n}\n".encode())
    return dest


def make_broken_files(src: Path, folder: Path) -> dict[str, Path]:
    """One file per kind of bad input the batch must survive, named by its kind."""
    folder.mkdir(parents=True, exist_ok=True)
    data = src.read_bytes()
    files = {}

    files["corrupt"] = folder / "corrupt.pdf"
    files["corrupt"].write_bytes(b"%PDF-1.7\n" + random.Random(1).randbytes(40_000))

    files["truncated"] = folder / "truncated.pdf"
    files["truncated"].write_bytes(data[: len(data) // 3])

    files["encrypted"] = folder / "encrypted.pdf"
    with pikepdf.open(src) as pdf:
        pdf.save(files["encrypted"], encryption=pikepdf.Encryption(owner="owner-pw", user="user-pw"))

    files["zero_pages"] = folder / "zero_pages.pdf"
    with pikepdf.new() as pdf:
        pdf.save(files["zero_pages"])

    files["text"] = folder / "text.pdf"
    files["text"].write_text("这不是PDF文件，只是一段文字。\n" * 50, encoding="utf-8")

    files["absurd_size"] = folder / "absurd_size.pdf"
    with pikepdf.new() as pdf:
        page = pdf.add_blank_page(page_size=(595, 842))
        # Past the 14400-unit limit that pikepdf's own helper enforces: what a broken producer writes.
        page.obj.MediaBox = pikepdf.Array([0, 0, 900_000, 900_000])
        pdf.save(files["absurd_size"])

    files["many_pages"] = folder / "many_pages.pdf"
    with pikepdf.new() as pdf:
        for _ in range(500):
            pdf.add_blank_page(page_size=(595, 842))
        pdf.save(files["many_pages"])

    files["not_report"] = folder / "not_report.pdf"
    _write_text_pdf(files["not_report"], ["Minutes of the annual meeting", "No tables in this file."] * 10)

    files["empty"] = folder / "empty.pdf"
    files["empty"].write_bytes(b"")
    return files


def _write_text_pdf(path: Path, lines: list[str]) -> None:
    """A readable PDF with a good text layer and no table: a PDF, but not an annual report."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    c = canvas.Canvas(str(path), pagesize=A4)
    for i, line in enumerate(lines):
        c.drawString(72, 770 - 18 * i, line)
    c.save()
