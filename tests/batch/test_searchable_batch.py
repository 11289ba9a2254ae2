"""`batch --searchable` from the command line: one file whose searchable PDF cannot be written (its
target path is a folder) keeps its data, gets the reason on its row and on stderr; the files around
it get their searchable PDFs."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import pikepdf

from pipeline.batch import db
from pipeline.config import ROOT

from .conftest import distinct_copy


def test_batch_searchable_failure_costs_one_file(tmp_path, sample_pdf, trusted_text_layers):
    for i, stem in enumerate("abc"):
        distinct_copy(sample_pdf, tmp_path / "in" / f"{stem}.pdf", i)
    searchable = tmp_path / "searchable"
    (searchable / "b.pdf").mkdir(parents=True)      # b's searchable PDF cannot replace a folder
    proc = subprocess.run([sys.executable, "-m", "pipeline", "batch", str(tmp_path / "in"),
                           "--db", str(tmp_path / "r.sqlite"), "--workers", "2", "--time-limit", "120",
                           "--searchable", str(searchable)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    # Every file was read: the searchable failure is noted on its row, said on stderr and in the
    # exit status (1, as extract gives), so a script running the batch sees an output missing.
    assert proc.returncode == 1, proc.stderr[-3000:]
    conn = sqlite3.connect(tmp_path / "r.sqlite")
    rows = {path.rsplit("/", 1)[-1]: (status, error, agency) for path, status, error, agency in
            conn.execute("SELECT path, status, error, agency FROM documents")}
    assert set(rows) == {"a.pdf", "b.pdf", "c.pdf"}
    assert all(status == db.STATUS_DONE and agency for status, _, agency in rows.values()), rows
    assert rows["a.pdf"][1] is None and rows["c.pdf"][1] is None
    assert rows["b.pdf"][1].startswith("searchable PDF not written: IsADirectoryError"), rows["b.pdf"]
    for stem in "ac":
        with pikepdf.open(searchable / f"{stem}.pdf") as pdf:
            assert len(pdf.pages) == 6
    assert not list((searchable / "b.pdf").iterdir()) and not list(searchable.glob("*.tmp"))
    warned = [line for line in proc.stderr.splitlines() if "searchable PDF not written" in line]
    assert len(warned) == 1 and "b.pdf" in warned[0], proc.stderr[-3000:]
