"""Corrections: what a person settled, in tables of their own beside the batch results.

A machine reading is never overwritten: `cells` keeps what the pipeline read, `corrections` keeps
what a person decided about a cell, keyed by the document's content hash and the cell id, so that a
later `batch` run (which replaces a document's cells) leaves every correction in place and the
review station can show where the new reading disagrees with it.

Kinds of decision:
- `accept`: the value read is right;
- `correct`: the value is `new_value` (a number the person typed, or an alternative chosen);
- `blank`: the cell prints no number (value null);
- `as_printed`: the value read is what the document prints, though an identity fails with it
  (a document issue, not a misreading);
- `cleared`: the decision was taken back (the row stays, so versions only ever grow).

Every save checks the version the person saw (optimistic locking): when two people save the same
cell, the second is told who won and nothing is lost (every save is also in `correction_log`).

`review_queue` caches, per document, what the queue shows (its review cells in `review_keys`), so
that the queue reads one compact table however many reports there are; a row is recomputed when its
document was read again, which a signature of the documents table tells in constant time.
"""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Iterable, Optional

from pipeline import template
from pipeline.batch import db

KINDS = ("accept", "correct", "blank", "as_printed")
CLEARED = "cleared"

SCHEMA = """
CREATE TABLE IF NOT EXISTS corrections (
    sha256        TEXT NOT NULL,          -- the document's content hash (no foreign key: a re-run
    tbl           TEXT NOT NULL,          -- of batch deletes and rewrites its cells, never these)
    row           TEXT NOT NULL,
    col           TEXT NOT NULL,
    kind          TEXT NOT NULL,          -- accept | correct | blank | as_printed | cleared
    machine_value,                        -- the machine's value when it was settled
    machine_text  TEXT,                   -- the machine's text then
    new_value,                            -- the settled value (NULL: blank)
    note          TEXT,
    at            REAL NOT NULL,          -- unix time of the last save
    version       INTEGER NOT NULL,       -- 1, 2, ... one more at each save of this cell
    PRIMARY KEY (sha256, tbl, row, col)
);
CREATE TABLE IF NOT EXISTS correction_log (
    id            INTEGER PRIMARY KEY,
    sha256        TEXT NOT NULL,
    tbl           TEXT NOT NULL,
    row           TEXT NOT NULL,
    col           TEXT NOT NULL,
    kind          TEXT NOT NULL,
    machine_value,
    new_value,
    note          TEXT,
    at            REAL NOT NULL,
    version       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS review_queue (
    sha256        TEXT PRIMARY KEY,
    doc_rowid     INTEGER NOT NULL,       -- documents.rowid and finished_at it was computed from
    finished_at   REAL,
    agency        TEXT,                   -- copied from documents: the queue reads this table only
    year          INTEGER,
    path          TEXT NOT NULL,
    n_pages       INTEGER,
    version       TEXT,
    n_review      INTEGER NOT NULL,
    n_settled     INTEGER NOT NULL,
    n_failed      INTEGER NOT NULL,       -- failed checks (as read)
    n_issues      INTEGER NOT NULL,       -- document issues (as read)
    n_disagree    INTEGER NOT NULL        -- corrections whose machine value the new reading changed
);
CREATE INDEX IF NOT EXISTS review_queue_order ON review_queue(agency, year, path);
CREATE INDEX IF NOT EXISTS review_queue_year ON review_queue(year);
CREATE TABLE IF NOT EXISTS review_keys (
    sha256        TEXT PRIMARY KEY,
    keys          TEXT NOT NULL           -- JSON list of [table, row, column], print order
);
CREATE TABLE IF NOT EXISTS review_meta (
    name          TEXT PRIMARY KEY,
    value
);
"""

Key = tuple[str, str, str]


class Conflict(Exception):
    """The cell was saved by someone else since the client read it."""

    def __init__(self, current: Optional[dict]):
        super().__init__("saved by someone else meanwhile")
        self.current = current


@dataclass
class Correction:
    sha256: str
    table: str
    row: str
    column: str
    kind: str
    machine_value: object
    machine_text: Optional[str]
    new_value: object
    note: Optional[str]
    at: float
    version: int

    @property
    def key(self) -> Key:
        return (self.table, self.row, self.column)

    @property
    def active(self) -> bool:
        return self.kind != CLEARED

    def to_json(self) -> dict:
        return {"table": self.table, "row": self.row, "column": self.column, "kind": self.kind,
                "machine_value": self.machine_value, "machine_text": self.machine_text,
                "value": self.new_value, "note": self.note, "at": self.at, "version": self.version}


def ensure_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


def connect(path) -> sqlite3.Connection:
    """The batch database (db.connect: WAL, its schema) with the review tables added."""
    conn = db.connect(path)
    ensure_schema(conn)
    return conn


_COLUMNS = "sha256, tbl, row, col, kind, machine_value, machine_text, new_value, note, at, version"


def _row(r) -> Correction:
    return Correction(*r)


def corrections_for(conn: sqlite3.Connection, sha256: str, include_cleared: bool = False) -> dict[Key, Correction]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM corrections WHERE sha256 = ?", (sha256,))
    out = {}
    for r in rows:
        c = _row(r)
        if include_cleared or c.active:
            out[c.key] = c
    return out


def all_corrections(conn: sqlite3.Connection) -> dict[str, dict[Key, Correction]]:
    out: dict[str, dict[Key, Correction]] = {}
    for r in conn.execute(f"SELECT {_COLUMNS} FROM corrections WHERE kind != ?", (CLEARED,)):
        c = _row(r)
        out.setdefault(c.sha256, {})[c.key] = c
    return out


def get(conn: sqlite3.Connection, sha256: str, key: Key) -> Optional[Correction]:
    r = conn.execute(f"SELECT {_COLUMNS} FROM corrections WHERE sha256 = ? AND tbl = ? AND row = ? AND col = ?",
                     (sha256, *key)).fetchone()
    return _row(r) if r else None


def save(conn: sqlite3.Connection, sha256: str, key: Key, kind: str, new_value=None,
         note: Optional[str] = None, expected_version: int = 0) -> Correction:
    """Record a decision about one cell, if nobody saved it since `expected_version` (0: never saved).

    The machine value stored beside it is the one in `cells` now, never the client's word.
    Raises Conflict (with the current correction) when the version moved, ValueError on a bad kind.
    """
    if kind not in KINDS + (CLEARED,):
        raise ValueError(f"unknown kind {kind!r}")
    with db._transaction(conn):
        current = get(conn, sha256, key)
        have = current.version if current else 0
        if have != expected_version:
            raise Conflict(current)
        cell = conn.execute("SELECT value, text FROM cells WHERE sha256 = ? AND tbl = ? AND row = ? AND col = ?",
                            (sha256, *key)).fetchone()
        machine_value, machine_text = cell if cell else (None, None)
        if kind in ("accept", "as_printed"):
            new_value = machine_value
        elif kind in ("blank", CLEARED):
            new_value = None
        now = time.time()
        version = have + 1
        conn.execute(f"INSERT OR REPLACE INTO corrections({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                     (sha256, *key, kind, machine_value, machine_text, new_value, note, now, version))
        conn.execute("INSERT INTO correction_log(sha256, tbl, row, col, kind, machine_value, new_value, note,"
                     " at, version) VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (sha256, *key, kind, machine_value, new_value, note, now, version))
        _recount(conn, sha256)
    return get(conn, sha256, key)


# --- review cells and the queue summary -------------------------------------------------------

def _is_doubtful(status: Optional[str], flags: Optional[str]) -> bool:
    """govreport/2 status; a database written before it (status NULL): the cell's flags."""
    if status is None:
        return bool(flags and json.loads(flags))
    return status != "confirmed"


def review_keys(conn: sqlite3.Connection, sha256: str) -> list[Key]:
    """Every cell a person must look at: the document's review_cells and its doubtful cells (the
    contract makes the first hold the second; both are read so that neither is ever missed)."""
    doc = conn.execute("SELECT review_cells FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
    listed = [tuple(k) for k in json.loads(doc[0])] if doc and doc[0] else []
    cells = conn.execute("SELECT tbl, row, col, status, flags FROM cells WHERE sha256 = ? ORDER BY seq",
                         (sha256,)).fetchall()
    return order_keys([k[:3] for k in cells if _is_doubtful(k[3], k[4])] + listed,
                      [tuple(k[:3]) for k in cells])


_TEMPLATE_ORDER = {k: i for i, k in enumerate(template.all_cell_keys())}


def order_keys(keys: Iterable, cell_order: list[Key]) -> list[Key]:
    """Distinct keys in the document's print order, keys it does not print after, in template order."""
    pos = {k: i for i, k in enumerate(cell_order)}
    distinct = list(dict.fromkeys(tuple(k) for k in keys))
    return sorted(distinct, key=lambda k: (0, pos[k]) if k in pos else (1, _TEMPLATE_ORDER.get(k, 10**6)))


def _recount(conn: sqlite3.Connection, sha256: str) -> None:
    row = conn.execute("SELECT keys FROM review_keys WHERE sha256 = ?", (sha256,)).fetchone()
    if row is None:
        return
    keys = {tuple(k) for k in json.loads(row[0])}
    mine = corrections_for(conn, sha256)
    values = {(t, r, c): v for t, r, c, v in conn.execute("SELECT tbl, row, col, value FROM cells WHERE sha256 = ?",
                                                          (sha256,))}
    settled = sum(1 for k in mine if k in keys)
    disagree = sum(1 for k, c in mine.items() if disagrees(c, values.get(k), k in values))
    conn.execute("UPDATE review_queue SET n_settled = ?, n_disagree = ? WHERE sha256 = ?", (settled, disagree, sha256))


def _signature(conn: sqlite3.Connection) -> str:
    """Changes whenever a document is written or deleted: a rewrite gets a new rowid, or the same
    (the last one) with a new finished_at; a deletion changes the count (read from an index)."""
    top = conn.execute("SELECT rowid, finished_at FROM documents ORDER BY rowid DESC LIMIT 1").fetchone()
    count = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]    # SQLite counts on an index
    return json.dumps([list(top) if top else None, count])


def refresh_summaries(conn: sqlite3.Connection, force: bool = False) -> int:
    """(Re)compute the queue row of every done document read since its row was made; return how many."""
    signature = _signature(conn)
    if not force:
        seen = conn.execute("SELECT value FROM review_meta WHERE name = 'documents'").fetchone()
        if seen and seen[0] == signature:
            return 0
    have = {r[0]: tuple(r[1:]) for r in conn.execute("SELECT sha256, doc_rowid, finished_at FROM review_queue")}
    docs = conn.execute("SELECT sha256, rowid, finished_at FROM documents WHERE status = ?", (db.STATUS_DONE,)).fetchall()
    current = {sha for sha, _, _ in docs}
    gone = [sha for sha in have if sha not in current]
    # a rewritten document has a new rowid, or the same one (it was the last) with a new finished_at
    stale = [sha for sha, rowid, finished_at in docs if have.get(sha) != (rowid, finished_at)]
    for start in range(0, len(stale), 500):
        _summarise(conn, stale[start:start + 500])
    with db._transaction(conn):
        for sha in gone:
            conn.execute("DELETE FROM review_queue WHERE sha256 = ?", (sha,))
        conn.execute("INSERT OR REPLACE INTO review_meta VALUES ('documents', ?)", (signature,))
    return len(stale)


def _summarise(conn: sqlite3.Connection, chunk: list[str]) -> None:
    marks = ",".join("?" * len(chunk))
    docs = {r[0]: r[1:] for r in conn.execute(
        f"SELECT sha256, rowid, finished_at, agency, year, path, n_pages, version, review_cells, document_issues"
        f" FROM documents WHERE sha256 IN ({marks})", chunk)}
    # only the doubtful cells (and, for documents with corrections, the values) are read
    doubtful: dict[str, list] = {}
    for sha, tbl, row, col, status, flags in conn.execute(
            f"SELECT sha256, tbl, row, col, status, flags FROM cells WHERE sha256 IN ({marks})"
            " AND (status IS NULL OR status != 'confirmed') ORDER BY sha256, seq", chunk):
        if _is_doubtful(status, flags):
            doubtful.setdefault(sha, []).append((tbl, row, col))
    failed = dict(conn.execute(f"SELECT sha256, COUNT(*) FROM checks WHERE ok = 0 AND sha256 IN ({marks})"
                               " GROUP BY sha256", chunk).fetchall())
    corr: dict[str, list[Correction]] = {}
    for r in conn.execute(f"SELECT {_COLUMNS} FROM corrections WHERE kind != ? AND sha256 IN ({marks})",
                          (CLEARED, *chunk)):
        c = _row(r)
        corr.setdefault(c.sha256, []).append(c)
    rows, key_rows = [], []
    for sha in chunk:
        rowid, finished_at, agency, year, path, n_pages, version, listed, issues = docs[sha]
        listed_keys = [tuple(k) for k in (json.loads(listed) if listed else [])]
        mine = corr.get(sha, [])
        # print order for the doubtful cells; a listed cell the document does not print goes after them,
        # in template order (where the row would be)
        keys = order_keys(doubtful.get(sha, []) + listed_keys, doubtful.get(sha, []))
        keyset = set(keys)
        disagree = 0
        if mine:
            values = dict(((t, r, c), v) for t, r, c, v in conn.execute(
                "SELECT tbl, row, col, value FROM cells WHERE sha256 = ?", (sha,)))
            disagree = sum(1 for c in mine if disagrees(c, values.get(c.key), c.key in values))
        settled = sum(1 for c in mine if c.key in keyset)
        rows.append((sha, rowid, finished_at, agency, year, path, n_pages, version, len(keys), settled,
                     failed.get(sha, 0), len(json.loads(issues)) if issues else 0, disagree))
        key_rows.append((sha, json.dumps(keys, ensure_ascii=False)))
    with db._transaction(conn):
        conn.executemany("INSERT OR REPLACE INTO review_queue VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        conn.executemany("INSERT OR REPLACE INTO review_keys VALUES (?,?)", key_rows)


def disagrees(c: Correction, current_value, present: bool = True) -> bool:
    """The document was read again and the new reading differs from both the reading the person
    settled and the value they settled on: someone should look again."""
    if not present and c.machine_value is None:
        return False
    return not _same(current_value, c.machine_value) and not _same(current_value, c.new_value)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-9
