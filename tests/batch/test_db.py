"""The results database: round trip of a real report, replacement, skip-done keys, atomicity."""
from __future__ import annotations

import copy
import sqlite3

import pytest

from pipeline.batch import db


def _outcome(report, sha="a" * 64, status=db.STATUS_DONE, error=None):
    return db.Outcome(sha, report.source_path, status, error=error, report=report, seconds=1.5, worker="t:1")


def test_wal_mode_and_schema(tmp_path):
    conn = db.connect(tmp_path / "r.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"documents", "sources", "cells", "checks"} <= tables


def test_pipeline_version_is_recorded():
    import pipeline
    version = db.pipeline_version()
    assert version and version != "unknown"
    assert version == str(getattr(pipeline, "__version__", version))


def test_report_round_trips_through_the_database(tmp_path, sample_report):
    conn = db.connect(tmp_path / "r.sqlite")
    db.write_outcome(conn, _outcome(sample_report, sha=sample_report.sha256), "v1")
    assert db.report_json(conn, sample_report.sha256) == sample_report.to_json()
    row = conn.execute("SELECT status, agency, year, pipeline_version, seconds FROM documents").fetchone()
    assert row == ("done", sample_report.agency, sample_report.year, "v1", 1.5)


def test_int_and_float_values_keep_their_type(tmp_path, sample_report):
    report = copy.deepcopy(sample_report)
    report.cells[0].value, report.cells[1].value = 3.0, 7
    conn = db.connect(tmp_path / "r.sqlite")
    db.write_outcome(conn, _outcome(report), "v1")
    cells = db.report_json(conn, "a" * 64)["cells"]
    assert type(cells[0]["value"]) is float and type(cells[1]["value"]) is int


def test_rewrite_replaces_the_document(tmp_path, sample_report):
    conn = db.connect(tmp_path / "r.sqlite")
    db.write_outcome(conn, _outcome(sample_report), "v1")
    db.write_outcome(conn, _outcome(sample_report), "v2")
    assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM cells").fetchone()[0] == len(sample_report.cells)
    assert db.done_hashes(conn, "v1") == set()
    assert db.done_hashes(conn, "v2") == {"a" * 64}


def test_error_rows_and_retry_failed(tmp_path, sample_report):
    conn = db.connect(tmp_path / "r.sqlite")
    db.write_outcome(conn, db.Outcome("b" * 64, "x.pdf", db.STATUS_ERROR, error="encrypted PDF"), "v1")
    db.write_outcome(conn, db.Outcome("c" * 64, "y.pdf", db.STATUS_FAILED, error="timed out after 5 s"), "v1")
    assert db.done_hashes(conn, "v1") == {"b" * 64, "c" * 64}
    assert db.done_hashes(conn, "v1", retry_failed=True) == {"b" * 64}
    assert db.report_json(conn, "b" * 64) is None
    assert db.status_counts(conn) == {"error": 1, "failed": 1}


def test_a_failed_write_leaves_nothing(tmp_path, sample_report):
    """Two cells with the same ids break the primary key: the whole document must roll back."""
    report = copy.deepcopy(sample_report)
    report.cells.append(copy.deepcopy(report.cells[0]))
    conn = db.connect(tmp_path / "r.sqlite")
    with pytest.raises(sqlite3.IntegrityError):
        db.write_outcome(conn, _outcome(report), "v1")
    for table in ("documents", "cells", "checks"):
        assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0
