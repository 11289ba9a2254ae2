"""Batch runs on real files: broken inputs isolated, skip-done, kill -9 recovery, same results as extract."""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


from pipeline.batch import db, runner

from .conftest import distinct_copy, make_broken_files

ROOT = Path(__file__).resolve().parents[2]


def _rows(db_path) -> dict[str, tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return {Path(p).name: (status, error, finished) for p, status, error, finished in
                conn.execute("SELECT path, status, error, finished_at FROM documents")}
    finally:
        conn.close()


def test_broken_files_get_a_reason_and_the_batch_goes_on(tmp_path, sample_pdf, trusted_text_layers):
    broken = make_broken_files(sample_pdf, tmp_path / "in")
    good = distinct_copy(sample_pdf, tmp_path / "in" / "good.pdf", 0)
    start = time.perf_counter()
    summary = runner.run_batch([tmp_path / "in"], tmp_path / "r.sqlite", workers=2,
                               limits=runner.Limits(time_s=120, threads=1), show_progress=False)
    elapsed = time.perf_counter() - start
    rows = _rows(tmp_path / "r.sqlite")
    assert rows[good.name][0] == db.STATUS_DONE
    for kind, path in broken.items():
        status, error, _ = rows[path.name]
        assert status in (db.STATUS_ERROR, db.STATUS_NOT_REPORT), (kind, status, error)
        assert error and "\n" not in error, kind
    assert rows[broken["not_report"].name][0] == db.STATUS_NOT_REPORT
    assert summary.read == len(broken) + 1
    assert elapsed < 240


def test_rerun_skips_done_files(tmp_path, sample_pdf, trusted_text_layers):
    inputs = [distinct_copy(sample_pdf, tmp_path / "in" / f"r{i}.pdf", i) for i in range(2)]
    (tmp_path / "in" / "junk.pdf").write_bytes(b"not a pdf")
    first = runner.run_batch([tmp_path / "in"], tmp_path / "r.sqlite", workers=1, show_progress=False)
    assert first.read == 3
    before = _rows(tmp_path / "r.sqlite")
    # A duplicate of a done file under another name is the same content: nothing to read.
    shutil.copyfile(inputs[0], tmp_path / "in" / "dup.pdf")
    second = runner.run_batch([tmp_path / "in"], tmp_path / "r.sqlite", workers=1, show_progress=False)
    assert (second.read, second.skipped) == (0, 3)
    assert _rows(tmp_path / "r.sqlite") == before
    conn = sqlite3.connect(tmp_path / "r.sqlite")
    assert conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0] == 4


def test_results_identical_to_single_file_extract(tmp_path, sample_pdf, sample_report):
    runner.run_batch([sample_pdf], tmp_path / "r.sqlite", workers=1, show_progress=False,
                     limits=runner.Limits(time_s=600))
    conn = db.connect(tmp_path / "r.sqlite")
    from_batch = db.report_json(conn, sample_report.sha256)
    assert from_batch == sample_report.to_json()


def test_timeout_and_memory_limit_kill_the_child_and_a_fresh_one_takes_over(tmp_path, sample_pdf,
                                                                           trusted_text_layers):
    task = runner.Task(str(sample_pdf), "f" * 64)
    slow = runner.IsolatedReader(runner.Limits(time_s=0.3))
    outcome = slow.read(task)
    assert (outcome.status, outcome.error) == (db.STATUS_FAILED, "timed out after 0.3 s")
    assert slow.proc is None
    fat = runner.IsolatedReader(runner.Limits(time_s=120, memory_mb=5))
    outcome = fat.read(task)
    assert outcome.status == db.STATUS_FAILED and outcome.error.startswith("memory limit exceeded")
    fat.limits = runner.Limits(time_s=120)
    assert fat.read(task).status == db.STATUS_DONE
    fat.close()


def test_kill_9_mid_batch_loses_nothing_finished(tmp_path, sample_pdf, trusted_text_layers):
    n = 8
    for i in range(n):
        distinct_copy(sample_pdf, tmp_path / "in" / f"r{i}.pdf", i)
    db_path = tmp_path / "r.sqlite"
    code = ("import logging, sys; logging.basicConfig(level=logging.INFO);"
            "from pipeline.batch.runner import run_batch;"
            f"run_batch([{str(tmp_path / 'in')!r}], {str(db_path)!r}, workers=1, show_progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    try:
        deadline = time.time() + 180
        while time.time() < deadline and len(_done(db_path)) < 2:
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    finished = _done(db_path)
    assert 2 <= len(finished) < n, "the batch must be killed mid-way"
    summary = runner.run_batch([tmp_path / "in"], db_path, workers=1, show_progress=False)
    assert summary.skipped == len(finished)
    assert summary.read == n - len(finished)
    after = _rows(db_path)
    assert all(after[name][0] == db.STATUS_DONE for name in after) and len(after) == n
    assert all(after[name][2] == t for name, t in finished.items()), "finished rows were not redone"


def _done(db_path) -> dict[str, float]:
    if not Path(db_path).exists():
        return {}
    try:
        return {name: row[2] for name, row in _rows(db_path).items() if row[0] == db.STATUS_DONE}
    except sqlite3.OperationalError:   # the schema is not there yet
        return {}


def test_discover_keeps_named_files_of_any_extension(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.pdf").write_bytes(b"1")
    (tmp_path / "a" / "notes.txt").write_bytes(b"2")
    named = tmp_path / "report.PDF.txt"
    named.write_bytes(b"3")
    found = runner.discover([tmp_path / "a", named, tmp_path / "missing.pdf"])
    assert sorted(i.path.name for i in found) == ["report.PDF.txt", "x.pdf"]


def test_threads_fit_the_cores(monkeypatch):
    """Workers share the cores: threads per worker = cores // workers, at least 1; every core used
    when the workers divide them; at most 8 workers by default."""
    expected = {8: {1: 8, 2: 4, 3: 2, 8: 1, 16: 1}, 2: {1: 2, 2: 1, 3: 1}, 1: {1: 1, 4: 1}}
    for cores, by_workers in expected.items():
        monkeypatch.setattr(runner.os, "cpu_count", lambda: cores)
        assert {w: runner.threads_per_worker(w) for w in by_workers} == by_workers, cores
        assert runner.default_workers() == min(cores, 8)
    monkeypatch.setattr(runner.os, "cpu_count", lambda: None)      # unknown: one core
    assert (runner.default_workers(), runner.threads_per_worker(1)) == (1, 1)
    env = runner.child_env(3)
    assert env["GOVREPORT_THREADS"] == "3"
    assert all(env[name] == "3" for name in runner.THREAD_ENV_VARS)
