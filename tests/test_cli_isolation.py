"""`extract` isolates every output of every file: one file whose searchable PDF cannot be written
(its target path is a folder), or whose JSON cannot be written, costs that file only; the files
before and after it get all their outputs, and the run says which file failed and why."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pikepdf

from pipeline.config import ROOT


def _inputs(tmp_path, real_pdf):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        shutil.copyfile(real_pdf, inputs / name)
    return inputs


def _extract(*args):
    return subprocess.run([sys.executable, "-m", "pipeline", "extract", *map(str, args), "--trust-text-layer"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def _failure_lines(proc) -> list[str]:
    """stderr lines that are a file's one-line reason (log lines carry a timestamp and level)."""
    return [line for line in proc.stderr.splitlines() if " INFO " not in line and " DEBUG " not in line]


def test_searchable_failure_costs_one_file(tmp_path, real_pdf):
    inputs = _inputs(tmp_path, real_pdf)
    out, searchable = tmp_path / "out", tmp_path / "searchable"
    (searchable / "b.pdf").mkdir(parents=True)      # b's searchable PDF cannot replace a folder
    proc = _extract(inputs, "--out", out, "--searchable", searchable)
    assert proc.returncode == 1, proc.stderr[-2000:]
    for stem in "abc":                                # every file's data was read and written
        assert json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))["year"] == 2024
        assert not (out / f"{stem}.error.json").exists()
    for stem in "ac":                                 # before and after the failing one
        with pikepdf.open(searchable / f"{stem}.pdf") as pdf:
            assert len(pdf.pages) == 6
    assert (searchable / "b.pdf").is_dir() and not list((searchable / "b.pdf").iterdir())
    assert not list(searchable.glob("*.tmp")), "a half-written PDF was left behind"
    failures = _failure_lines(proc)
    assert len(failures) == 1, proc.stderr[-2000:]
    assert failures[0].startswith(f"{inputs / 'b.pdf'}: searchable PDF not written to {searchable / 'b.pdf'}: ")
    assert "IsADirectoryError" in failures[0]


def test_unwritable_json_costs_one_file(tmp_path, real_pdf):
    inputs = _inputs(tmp_path, real_pdf)
    out = tmp_path / "out"
    (out / "b.json").mkdir(parents=True)            # b's result cannot replace a folder
    proc = _extract(inputs, "--out", out)
    assert proc.returncode == 1, proc.stderr[-2000:]
    for stem in "ac":
        assert json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))["year"] == 2024
    error = json.loads((out / "b.error.json").read_text(encoding="utf-8"))["error"]
    assert error.startswith(f"result not written to {out / 'b.json'}: IsADirectoryError"), error
    failures = _failure_lines(proc)
    assert len(failures) == 1 and failures[0] == f"{inputs / 'b.pdf'}: {error}", proc.stderr[-2000:]
