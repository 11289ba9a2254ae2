"""The batch results database: SQLite in WAL mode, one transaction per document.

Documents are keyed by the sha256 of their bytes, so the same report found under two paths is read
once, and a re-run knows what is already done. A document's row, cells and checks are written in one
transaction: a batch killed at any moment leaves each document either complete or absent.
"""
from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from pipeline.types import SCHEMA as JSON_SCHEMA, Report

log = logging.getLogger(__name__)

# Document statuses. Every one but RUNNING is final: a re-run with the same pipeline version skips it.
STATUS_DONE = "done"                # read; cells and checks stored (needs_review may still be true)
STATUS_NOT_REPORT = "not_report"    # a readable PDF that is not such an annual report
STATUS_ERROR = "error"              # not a readable report: corrupt, encrypted, empty, not a PDF...
STATUS_FAILED = "failed"            # the reader itself failed: timeout, memory limit, crash, bug
FINAL_STATUSES = (STATUS_DONE, STATUS_NOT_REPORT, STATUS_ERROR, STATUS_FAILED)

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    sha256           TEXT PRIMARY KEY,
    path             TEXT NOT NULL,      -- the path it was first read from (all paths: sources)
    status           TEXT NOT NULL,      -- done | not_report | error | failed
    error            TEXT,               -- one-line reason when status is not done
    version          TEXT,               -- template version "2021" | "2019" | NULL
    agency           TEXT,
    year             INTEGER,
    n_pages          INTEGER,
    needs_review     INTEGER,
    review_reasons   TEXT,               -- JSON list
    review_cells     TEXT,               -- JSON list of [table, row, column] (govreport/2)
    document_issues  TEXT,               -- JSON list of failed checks the document prints so
    pages            TEXT,               -- JSON list, as in the extract contract
    pipeline_version TEXT NOT NULL,
    seconds          REAL,               -- wall-clock time of the whole read, in the worker
    timings          TEXT,               -- JSON dict of stage timings from extract
    worker           TEXT,               -- host:pid that read it
    finished_at      REAL                -- unix time
);
CREATE TABLE IF NOT EXISTS sources (
    path   TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cells (
    sha256     TEXT NOT NULL REFERENCES documents(sha256) ON DELETE CASCADE,
    tbl        TEXT NOT NULL,
    row        TEXT NOT NULL,
    col        TEXT NOT NULL,
    value,                               -- no declared type: INTEGER stays INTEGER, 3.0 stays REAL
    text       TEXT,
    confidence REAL,
    page       INTEGER,
    bbox       TEXT,                     -- JSON [x0, y0, x1, y1] or NULL
    flags      TEXT,                     -- JSON list or NULL
    seq        INTEGER NOT NULL,         -- order in the report
    status     TEXT,                     -- confirmed | doubtful (govreport/2)
    evidence   TEXT,                     -- JSON list, e.g. ["identity:applications row 1"]
    note       TEXT,                     -- what the cell prints beside its value, or NULL
    alternatives TEXT,                   -- JSON list of {value, text, by} or NULL
    PRIMARY KEY (sha256, tbl, row, col)
);
CREATE TABLE IF NOT EXISTS checks (
    sha256 TEXT NOT NULL REFERENCES documents(sha256) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    rule   TEXT NOT NULL,
    col    TEXT NOT NULL,
    ok     INTEGER NOT NULL,
    detail TEXT,
    cause  TEXT,
    PRIMARY KEY (sha256, seq)
);
CREATE INDEX IF NOT EXISTS documents_agency_year ON documents(agency, year);
CREATE INDEX IF NOT EXISTS documents_needs_review ON documents(needs_review, agency, year);
CREATE INDEX IF NOT EXISTS sources_sha256 ON sources(sha256);
"""


@dataclass
class Outcome:
    """What reading one file gave: a Report, or a status other than done with its reason."""
    sha256: str
    path: str
    status: str
    error: Optional[str] = None
    report: Optional[Report] = None
    seconds: float = 0.0
    worker: str = ""
    extra_timings: dict = field(default_factory=dict)

    @property
    def n_pages(self) -> int:
        return self.report.n_pages if self.report else 0


def pipeline_version() -> str:
    """pipeline.__version__, or the version in pyproject.toml when the package does not define it."""
    import pipeline
    version = getattr(pipeline, "__version__", None)
    if version:
        return str(version)
    pyproject = Path(pipeline.__file__).resolve().parent.parent / "pyproject.toml"
    try:
        match = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"), re.M)
    except OSError:
        match = None
    return match.group(1) if match else "unknown"


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating it and its folder if needed) a results database in WAL mode."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=60, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a killed process (not a power cut) and avoids an fsync per commit.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(SCHEMA)
    _add_missing_columns(conn)
    return conn


# Columns added after a database may have been created: (table, column, declaration).
_LATER_COLUMNS = [
    ("documents", "review_cells", "TEXT"), ("documents", "document_issues", "TEXT"),
    ("cells", "status", "TEXT"), ("cells", "evidence", "TEXT"), ("cells", "note", "TEXT"),
    ("cells", "alternatives", "TEXT"),
]


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """A database written by an older version gains the new columns (rows keep NULL there)."""
    for table, column, decl in _LATER_COLUMNS:
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


def done_hashes(conn: sqlite3.Connection, version: str, retry_failed: bool = False) -> set[str]:
    """Hashes that need no new read with this pipeline version."""
    statuses = [s for s in FINAL_STATUSES if not (retry_failed and s == STATUS_FAILED)]
    marks = ",".join("?" * len(statuses))
    rows = conn.execute(f"SELECT sha256 FROM documents WHERE pipeline_version = ? AND status IN ({marks})",
                        (version, *statuses))
    return {r[0] for r in rows}


def record_sources(conn: sqlite3.Connection, pairs: Iterable[tuple[str, str]]) -> None:
    """Remember every (path, sha256) seen, duplicates of content included."""
    with _transaction(conn):
        conn.executemany("INSERT OR REPLACE INTO sources(path, sha256) VALUES (?, ?)", list(pairs))


def write_outcome(conn: sqlite3.Connection, outcome: Outcome, version: str) -> None:
    """Replace whatever the database holds for this document, in one transaction."""
    report = outcome.report
    timings = dict(report.timings) if report else {}
    timings.update(outcome.extra_timings)
    with _transaction(conn):
        conn.execute("DELETE FROM documents WHERE sha256 = ?", (outcome.sha256,))
        conn.execute(
            "INSERT INTO documents(sha256, path, status, error, version, agency, year, n_pages,"
            " needs_review, review_reasons, pages, pipeline_version, seconds, timings, worker,"
            " finished_at, review_cells, document_issues) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (outcome.sha256, outcome.path, outcome.status, outcome.error,
             report.version if report else None, report.agency if report else None,
             report.year if report else None, report.n_pages if report else None,
             int(report.needs_review) if report else None,
             json.dumps(report.review_reasons, ensure_ascii=False) if report else None,
             json.dumps(report.to_json()["pages"]) if report else None,
             version, round(outcome.seconds, 3), json.dumps(timings), outcome.worker, time.time(),
             json.dumps(report.review_cells, ensure_ascii=False) if report else None,
             json.dumps(report.document_issues, ensure_ascii=False) if report else None))
        if report:
            conn.executemany("INSERT INTO cells(sha256, tbl, row, col, value, text, confidence, page,"
                             " bbox, flags, seq, status, evidence, note, alternatives)"
                             " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                             _cell_rows(outcome.sha256, report))
            conn.executemany("INSERT INTO checks VALUES (?,?,?,?,?,?,?)",
                             _check_rows(outcome.sha256, report))


def _cell_rows(sha256: str, report: Report) -> list[tuple]:
    rows = []
    for seq, c in enumerate(report.cells):
        d = c.to_json()
        rows.append((sha256, c.table, c.row, c.column, d["value"], d["text"], d["confidence"], d["page"],
                     json.dumps(d["bbox"]) if d["bbox"] else None,
                     json.dumps(d["flags"], ensure_ascii=False) if d.get("flags") else None, seq,
                     d["status"], json.dumps(d["evidence"], ensure_ascii=False), d["note"],
                     json.dumps(d["alternatives"], ensure_ascii=False) if d.get("alternatives") else None))
    return rows


def _check_rows(sha256: str, report: Report) -> list[tuple]:
    return [(sha256, seq, c.rule, c.column, int(c.ok), c.detail, None if c.ok else c.cause)
            for seq, c in enumerate(report.checks)]


class _transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on error (the connection is in autocommit mode)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb):
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        return False


def report_json(conn: sqlite3.Connection, sha256: str) -> Optional[dict]:
    """The extract contract JSON of a done document, rebuilt from the database rows."""
    doc = conn.execute("SELECT path, n_pages, version, agency, year, pages, needs_review, review_reasons,"
                       " review_cells, document_issues"
                       " FROM documents WHERE sha256 = ? AND status = ?", (sha256, STATUS_DONE)).fetchone()
    if doc is None:
        return None
    path, n_pages, version, agency, year, pages, needs_review, reasons, review_cells, issues = doc
    cells = []
    for tbl, row, col, value, text, conf, page, bbox, flags, status, evidence, note, alts in conn.execute(
            "SELECT tbl, row, col, value, text, confidence, page, bbox, flags, status, evidence, note,"
            " alternatives FROM cells WHERE sha256 = ? ORDER BY seq", (sha256,)):
        cell = {"table": tbl, "row": row, "column": col, "value": value, "text": text,
                "confidence": conf, "page": page, "bbox": json.loads(bbox) if bbox else None,
                "status": status, "evidence": json.loads(evidence) if evidence else [], "note": note}
        if flags:
            cell["flags"] = json.loads(flags)
        if alts:
            cell["alternatives"] = json.loads(alts)
        cells.append(cell)
    checks = []
    for rule, col, ok, detail, cause in conn.execute(
            "SELECT rule, col, ok, detail, cause FROM checks WHERE sha256 = ? ORDER BY seq", (sha256,)):
        check = {"rule": rule, "column": col, "ok": bool(ok), "detail": detail}
        if not ok:
            check["cause"] = cause
        checks.append(check)
    return {"schema": JSON_SCHEMA, "source": {"path": path, "sha256": sha256, "pages": n_pages},
            "version": version, "agency": agency, "year": year, "pages": json.loads(pages),
            "cells": cells, "checks": checks,
            "review_cells": json.loads(review_cells) if review_cells else [],
            "document_issues": json.loads(issues) if issues else [],
            "needs_review": bool(needs_review),
            "review_reasons": json.loads(reasons) if reasons else []}


def status_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT status, COUNT(*) FROM documents GROUP BY status").fetchall())
