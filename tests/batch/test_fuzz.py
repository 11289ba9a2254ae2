"""Seeded fuzzing: mutated copies of a real report, read in a batch, give rows and never a crash or hang."""
from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

from pipeline.batch import db, runner

SEED = 20240501
N_MUTANTS = 10
TIME_LIMIT_S = 90


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One of a few damage kinds that real downloads show: flipped bytes, cut files, spliced junk."""
    buf = bytearray(data)
    kind = rng.choice(("flip", "truncate", "splice", "zero_run", "duplicate_run"))
    if kind == "flip":
        for _ in range(rng.randint(1, 200)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif kind == "truncate":
        del buf[rng.randrange(len(buf) // 10, len(buf)):]
    elif kind == "splice":
        at = rng.randrange(len(buf))
        buf[at:at] = rng.randbytes(rng.randint(1, 4096))
    elif kind == "zero_run":
        at = rng.randrange(len(buf))
        buf[at:at + rng.randint(16, 8192)] = b"\0" * min(len(buf) - at, 8192)
    else:
        at, length = rng.randrange(len(buf)), rng.randint(16, 4096)
        buf[at:at] = buf[at:at + length]
    return bytes(buf)


def test_mutated_pdfs_never_crash_or_hang_the_batch(tmp_path, sample_pdf, trusted_text_layers):
    rng = random.Random(SEED)
    data = sample_pdf.read_bytes()
    folder = tmp_path / "fuzz"
    folder.mkdir()
    for i in range(N_MUTANTS):
        (folder / f"m{i:02d}.pdf").write_bytes(mutate(data, rng))
    start = time.perf_counter()
    summary = runner.run_batch([folder], tmp_path / "r.sqlite", workers=2,
                               limits=runner.Limits(time_s=TIME_LIMIT_S, threads=1), show_progress=False)
    elapsed = time.perf_counter() - start
    conn = sqlite3.connect(tmp_path / "r.sqlite")
    rows = conn.execute("SELECT path, status, error FROM documents").fetchall()
    assert len(rows) == summary.files == summary.read
    for path, status, error in rows:
        assert status in db.FINAL_STATUSES
        assert status == db.STATUS_DONE or error, Path(path).name
        # A timeout or a dead worker is a hang or a crash of the reader: the fuzz test's target.
        assert not (status == db.STATUS_FAILED and ("timed out" in error or "died" in error)), (path, error)
    assert elapsed < N_MUTANTS * TIME_LIMIT_S
