"""Seeded fuzzing: damaged copies of a text report, a garbled one and a scan, read in a batch, each
give a row with a reason; none is a crash of the reader (an internal error), a dead worker or a hang.

The damage is bench/mutation.py's (the mutation bench runs 200+ of the same kinds): bytes, object
numbers, stream lengths, filters, the cross-reference table or stream, stream data.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench.mutation import KINDS, SOURCES, make_sources, write_mutants
from pipeline.batch import db, runner

SEED = 20240501
N_MUTANTS = 18          # every (source, kind) once: 6 text, 6 garbled, 6 scans (the mutation bench runs more)
# A hang is a read that never ends: the limit is far above a one-page scan's read (~10 s on 2
# cores, model load included), so a busy machine is not taken for a hang.
TIME_LIMIT_S = 240


@pytest.fixture(scope="module")
def sources(tmp_path_factory, real_pdf) -> dict[str, bytes]:
    return make_sources(tmp_path_factory.mktemp("sources"), seed=SEED, real_pdf=real_pdf)


def test_sources_are_sound(sources, tmp_path):
    """The undamaged sources: what the mutants differ from is itself sound."""
    from pipeline.pdf import count_unreadable
    assert set(sources) == set(SOURCES)
    for name, data in sources.items():
        (tmp_path / f"{name}.pdf").write_bytes(data)
        assert count_unreadable(tmp_path / f"{name}.pdf") == 0, name


def test_damaged_pdfs_never_crash_or_hang_the_batch(tmp_path, sources, trusted_text_layers):
    folder = tmp_path / "fuzz"
    records = write_mutants(sources, folder, N_MUTANTS, SEED)
    assert {(r["source"], r["kind"]) for r in records} == {(s, k) for s in SOURCES for k in KINDS}
    summary = runner.run_batch([folder], tmp_path / "r.sqlite", workers=2,
                               limits=runner.Limits(time_s=TIME_LIMIT_S, threads=1), show_progress=False)
    conn = sqlite3.connect(tmp_path / "r.sqlite")
    rows = {Path(p).name: (status, error) for p, status, error in
            conn.execute("SELECT path, status, error FROM documents")}
    conn.close()
    how = {r["file"]: f"{r['source']}/{r['kind']}/{r['how']}" for r in records}
    assert summary.read == len(rows) == len({r["file"] for r in records}), sorted(set(how) - set(rows))
    # `failed` is the reader's own fault: an internal error (an exception we did not turn into a
    # reason), a worker that died, ran out of memory or timed out. Damage is never that.
    crashed = {name: (how[name], error) for name, (status, error) in rows.items()
               if status == db.STATUS_FAILED or (error or "").startswith("internal error")}
    assert not crashed, crashed
    for name, (status, error) in rows.items():
        assert status in (db.STATUS_DONE, db.STATUS_ERROR, db.STATUS_NOT_REPORT), (how[name], status)
        assert status == db.STATUS_DONE or error, (how[name], status)
        assert "\n" not in (error or ""), how[name]
