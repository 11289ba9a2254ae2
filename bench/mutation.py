"""Mutation bench: damaged copies of real reports through `python -m pipeline batch`.

    python -m bench.mutation --count 200 --seed 0 [--workers 2] [--time-limit 300] [--verify-text-layers]
                             [--keep DIR]

From three sources — the real report with its good text layer (`text`), the same report with
ToUnicode maps that lie (`garbled`, samples/degrade.py) and an image-only scan of its table pages
(`scan`) — it writes `count` damaged PDFs, seeded, spread evenly over the kinds of damage that real
downloads and broken producers show:

  bytes           flipped bytes, a cut file, spliced junk, zeroed or duplicated runs
  object_numbers  object headers renumbered (duplicates, dangling references), references broken
  lengths         stream /Length values too short, too long, absurd or not numbers
  filters         stream /Filter names swapped, removed or added where the data is not encoded so
  xref            startxref moved, the cross-reference table or stream damaged or cut off
  streams         stream data damaged: flipped, cut short, zeroed, replaced

then reads them all with `python -m pipeline batch` (N workers, a time limit per file) and prints,
per kind: files, rows with a reason (every file not done has one), not_report, done, failed
(internal errors, dead workers, memory), hangs (timed out). The target: every file a row with a
reason, 0 internal errors, 0 hangs. The tests (tests/batch/test_fuzz.py) use the same mutators.

Text layers are trusted (GOVREPORT_TRUST_TEXT_LAYER=1, as in the fuzz test) unless
--verify-text-layers is given: checking every layer by OCR makes each garbled mutant a full OCR
read (minutes each on 2 cores) without reaching any other code that damage can break. Scans are
read by OCR either way. The time limit is the batch's own default; a file that reaches it is a hang.
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from pipeline.config import REAL_SAMPLE_PDF

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("bench.mutation")

SOURCES = ("text", "garbled", "scan")
SCAN_PAGES = (4,)                 # 1-based pages of the real report kept in the scan (a table page)


# --- sources -------------------------------------------------------------------------------------

def make_sources(folder: Path, seed: int = 0, real_pdf: Path = REAL_SAMPLE_PDF) -> dict[str, bytes]:
    """The three undamaged sources, as bytes (also written into folder)."""
    import pikepdf

    from samples.degrade import ScanRecipe, ToUnicodeRecipe, make_scan, scramble_tounicode

    if not Path(real_pdf).is_file():
        raise FileNotFoundError(f"real sample missing: {real_pdf} (../shared beside the checkout, "
                                "or set GOVREPORT_SHARED)")
    folder.mkdir(parents=True, exist_ok=True)
    text = folder / "text.pdf"
    shutil.copyfile(real_pdf, text)
    garbled = folder / "garbled.pdf"
    scramble_tounicode(text, garbled, ToUnicodeRecipe(), seed=seed)
    pages = folder / "table-pages.pdf"
    with pikepdf.open(text) as pdf:
        keep = [pdf.pages[p - 1] for p in SCAN_PAGES]
        out = pikepdf.new()
        for page in keep:
            out.pages.append(page)
        out.save(pages)
    scan = folder / "scan.pdf"
    make_scan(pages, scan, ScanRecipe(dpi=150, jpeg_quality=75), seed=seed)
    return {"text": text.read_bytes(), "garbled": garbled.read_bytes(), "scan": scan.read_bytes()}


# --- mutators --------------------------------------------------------------------------------------

def _bytes(buf: bytearray, rng: random.Random) -> str:
    how = rng.choice(("flip", "truncate", "splice", "zero_run", "duplicate_run"))
    if how == "flip":
        for _ in range(rng.randint(1, 200)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif how == "truncate":
        del buf[rng.randrange(len(buf) // 10, len(buf)):]
    elif how == "splice":
        at = rng.randrange(len(buf))
        buf[at:at] = rng.randbytes(rng.randint(1, 4096))
    elif how == "zero_run":
        at = rng.randrange(len(buf))
        n = min(len(buf) - at, rng.randint(16, 8192))
        buf[at:at + n] = b"\0" * n
    else:
        at, length = rng.randrange(len(buf)), rng.randint(16, 4096)
        buf[at:at] = buf[at:at + length]
    return how


def _replace_at(buf: bytearray, start: int, end: int, new: bytes) -> None:
    buf[start:end] = new


def _object_numbers(buf: bytearray, rng: random.Random) -> str:
    headers = list(re.finditer(rb"(?<![0-9])(\d+) (\d+) obj\b", buf))
    refs = list(re.finditer(rb"(?<![0-9])(\d+) (\d+) R\b", buf))
    how = rng.choice(("duplicate", "renumber", "generation", "dangling_refs") if refs
                     else ("duplicate", "renumber", "generation"))
    numbers = [m.group(1) for m in headers]
    if how == "dangling_refs":
        for m in sorted(rng.sample(refs, min(len(refs), rng.randint(1, 20))), key=lambda m: -m.start()):
            _replace_at(buf, m.start(1), m.end(1), str(rng.choice((0, 99999, rng.randint(1, 5000)))).encode())
        return how
    if not headers:
        return _bytes(buf, rng)
    for m in sorted(rng.sample(headers, min(len(headers), rng.randint(1, 5))), key=lambda m: -m.start()):
        if how == "duplicate":
            new = rng.choice(numbers)
            _replace_at(buf, m.start(1), m.end(1), new)
        elif how == "renumber":
            _replace_at(buf, m.start(1), m.end(1), str(rng.choice((0, rng.randint(1, 10**6), 2**31))).encode())
        else:
            _replace_at(buf, m.start(2), m.end(2), str(rng.choice((1, 7, 65535, 65536))).encode())
    return how


def _lengths(buf: bytearray, rng: random.Random) -> str:
    found = list(re.finditer(rb"/Length(\s+)(\d+)(?!\s+\d+\s+R)", buf))
    if not found:
        return _bytes(buf, rng)
    how = rng.choice(("zero", "short", "long", "absurd", "negative", "not_a_number"))
    for m in sorted(rng.sample(found, min(len(found), rng.randint(1, 6))), key=lambda m: -m.start()):
        n = int(m.group(2))
        new = {"zero": b"0", "short": str(max(0, n // rng.randint(2, 10))).encode(),
               "long": str(n + rng.randint(1, 5000)).encode(), "absurd": b"99999999999",
               "negative": f"-{n}".encode(), "not_a_number": b"/Foo"}[how]
        _replace_at(buf, m.start(2), m.end(2), new)
    return how


FILTER_NAMES = (b"/FlateDecode", b"/LZWDecode", b"/ASCII85Decode", b"/ASCIIHexDecode", b"/DCTDecode",
                b"/RunLengthDecode", b"/JBIG2Decode", b"/CCITTFaxDecode", b"/Bogus")


def _filters(buf: bytearray, rng: random.Random) -> str:
    found = list(re.finditer(rb"/Filter\s*(/[A-Za-z0-9]+|\[[^\]]*\])", buf))
    plain = list(re.finditer(rb"<<(?:(?!/Filter)[^>])*/Length\s+\d+", buf))
    choices = (["swap", "remove", "chain"] if found else []) + (["add"] if plain else [])
    if not choices:
        return _bytes(buf, rng)
    how = rng.choice(choices)
    if how == "add":
        for m in sorted(rng.sample(plain, min(len(plain), rng.randint(1, 4))), key=lambda m: -m.start()):
            _replace_at(buf, m.start(), m.start() + 2, b"<</Filter " + rng.choice(FILTER_NAMES) + b" ")
        return how
    for m in sorted(rng.sample(found, min(len(found), rng.randint(1, 6))), key=lambda m: -m.start()):
        if how == "swap":
            new = rng.choice([f for f in FILTER_NAMES if f != m.group(1)])
        elif how == "remove":
            new = b"/Null"
        else:
            new = b"[" + b" ".join(rng.choice(FILTER_NAMES) for _ in range(rng.randint(2, 3))) + b"]"
        _replace_at(buf, m.start(1), m.end(1), new)
    return how


def _xref(buf: bytearray, rng: random.Random) -> str:
    start = buf.rfind(b"startxref")
    how = rng.choice(("move_startxref", "damage_table", "cut_table", "bad_entries"))
    if start < 0:
        return _bytes(buf, rng)
    m = re.compile(rb"startxref\s+(\d+)").match(buf, start)
    offset = int(m.group(1)) if m else None
    if how == "move_startxref" and m:
        new = rng.choice((0, offset + rng.randint(-200, 200), len(buf) + 1000, 10**12))
        _replace_at(buf, m.start(1), m.end(1), str(max(0, new)).encode())
    elif how == "damage_table" and offset is not None and offset < start:
        for _ in range(rng.randint(1, 40)):
            buf[rng.randrange(offset, start)] = rng.randrange(256)
    elif how == "cut_table" and offset is not None and offset < start:
        del buf[offset:start]
    elif how == "bad_entries":
        entries = list(re.finditer(rb"(\d{10}) (\d{5}) ([nf])", buf))
        if entries:
            for e in rng.sample(entries, min(len(entries), rng.randint(1, 10))):
                _replace_at(buf, e.start(1), e.end(1), b"%010d" % rng.randrange(0, 10**10))
        elif offset is not None and offset < start:   # a cross-reference stream: damage its data
            s = buf.find(b"stream", offset, start)
            for _ in range(rng.randint(1, 20)):
                if s >= 0 and s + 8 < start:
                    buf[rng.randrange(s + 8, start)] = rng.randrange(256)
    else:
        del buf[start:]                                    # no startxref at all
        how = "no_startxref"
    return how


def _streams(buf: bytearray, rng: random.Random) -> str:
    found = [m for m in re.finditer(rb"stream\r?\n", buf) if not buf[max(0, m.start() - 3):m.start()].endswith(b"end")]
    bodies = []
    for m in found:
        end = buf.find(b"endstream", m.end())
        if end > m.end():
            bodies.append((m.end(), end))
    if not bodies:
        return _bytes(buf, rng)
    how = rng.choice(("flip", "cut", "zero", "replace", "drop_endstream"))
    for a, b in sorted(rng.sample(bodies, min(len(bodies), rng.randint(1, 4))), reverse=True):
        if how == "flip":
            for _ in range(rng.randint(1, 30)):
                buf[rng.randrange(a, b)] = rng.randrange(256)
        elif how == "cut":
            del buf[a + (b - a) // rng.randint(2, 8):b]
        elif how == "zero":
            buf[a:b] = b"\0" * (b - a)
        elif how == "replace":
            buf[a:b] = rng.randbytes(b - a)
        else:
            del buf[b:b + len(b"endstream")]
    return how


MUTATORS: dict[str, Callable[[bytearray, random.Random], str]] = {
    "bytes": _bytes, "object_numbers": _object_numbers, "lengths": _lengths, "filters": _filters,
    "xref": _xref, "streams": _streams,
}
KINDS = tuple(MUTATORS)


def mutate(data: bytes, kind: str, rng: random.Random) -> tuple[bytes, str]:
    """A damaged copy of data, of the given kind; also how exactly it was damaged."""
    buf = bytearray(data)
    how = MUTATORS[kind](buf, rng)
    return bytes(buf), how


def write_mutants(sources: dict[str, bytes], folder: Path, count: int, seed: int) -> list[dict]:
    """`count` mutants spread evenly over (source, kind), named source-kind-NNN.pdf; their record."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    combos = [(s, k) for s in sources for k in KINDS]
    records, seen = [], set(sources.values())
    for i in range(count):
        source, kind = combos[i % len(combos)]
        # A mutant equal to its source or to an earlier one (some damage is deterministic, e.g. a
        # file cut at startxref) is drawn again: the batch keys by content, one row per content.
        for _ in range(50):
            data, how = mutate(sources[source], kind, random.Random(rng.getrandbits(64)))
            if data not in seen:
                break
        else:
            data += b"\n%% damaged tail\n" + rng.randbytes(64)
        seen.add(data)
        name = f"{source}-{kind}-{i:03d}.pdf"
        (folder / name).write_bytes(data)
        records.append({"file": name, "source": source, "kind": kind, "how": how})
    return records


# --- the run ---------------------------------------------------------------------------------------

COLUMNS = ("files", "with_reason", "not_report", "done", "error", "failed", "internal", "hangs")


def classify(rows: list[tuple[str, str, str | None]], records: list[dict]) -> dict[str, dict[str, int]]:
    """Per kind (and a total row): counts of the batch rows' outcomes."""
    from pipeline.batch import db

    by_file = {Path(path).name: (status, error) for path, status, error in rows}
    table: dict[str, dict[str, int]] = {}
    for rec in records:
        for key in (rec["kind"], "total"):
            t = table.setdefault(key, dict.fromkeys(COLUMNS, 0))
            t["files"] += 1
            status, error = by_file.get(rec["file"], (None, None))
            if status is None:
                continue
            if status == db.STATUS_DONE or error:
                t["with_reason"] += 1
            t["not_report"] += status == db.STATUS_NOT_REPORT
            t["done"] += status == db.STATUS_DONE
            t["error"] += status == db.STATUS_ERROR
            t["failed"] += status == db.STATUS_FAILED
            t["internal"] += bool(error) and error.startswith("internal error")
            t["hangs"] += status == db.STATUS_FAILED and bool(error) and "timed out" in error
    return table


def format_table(table: dict[str, dict[str, int]]) -> str:
    lines = [f"{'kind':<16}" + "".join(f"{c:>12}" for c in COLUMNS)]
    for kind in [k for k in KINDS if k in table] + ["total"]:
        lines.append(f"{kind:<16}" + "".join(f"{table[kind][c]:>12}" for c in COLUMNS))
    return "\n".join(lines)


def run(count: int, seed: int, workers: int, time_limit: float, keep: Path | None,
        verify_text_layers: bool = False) -> int:
    work = Path(tempfile.mkdtemp(prefix="govreport-mutation-"))
    try:
        t0 = time.perf_counter()
        sources = make_sources(work / "sources", seed)
        records = write_mutants(sources, work / "mutants", count, seed)
        db_path = work / "results.sqlite"
        cmd = [sys.executable, "-m", "pipeline", "batch", str(work / "mutants"), "--db", str(db_path),
               "--workers", str(workers), "--time-limit", str(time_limit)]
        log.info("%d mutants written in %.1f s; %s", len(records), time.perf_counter() - t0, " ".join(cmd))
        t1 = time.perf_counter()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if not verify_text_layers:
            env["GOVREPORT_TRUST_TEXT_LAYER"] = "1"
        proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, env=env)   # its log: our stderr
        seconds = time.perf_counter() - t1
        conn = sqlite3.connect(db_path)
        # Every file found has a sources row; its content's documents row says what reading gave.
        rows = conn.execute("SELECT s.path, d.status, d.error FROM sources s "
                            "JOIN documents d ON d.sha256 = s.sha256").fetchall()
        conn.close()
        table = classify(rows, records)
        print(f"mutation bench: {count} damaged PDFs (seed {seed}; sources {', '.join(sources)}), "
              f"batch exit {proc.returncode}, {workers} workers, {time_limit:g} s limit, "
              f"text layers {'verified' if verify_text_layers else 'trusted'}, {seconds:.0f} s")
        print(format_table(table))
        by_file = {Path(p).name: (s, e) for p, s, e in rows}
        bad = [(r["file"], r["how"]) + by_file.get(r["file"], ("no row", None)) for r in records
               if r["file"] not in by_file
               or (by_file[r["file"]][1] or "").startswith("internal error")
               or by_file[r["file"]][0] == "failed"]
        for item in bad:
            print("  ", *item)
        if keep:
            shutil.copytree(work, keep, dirs_exist_ok=True)
        total = table["total"]
        ok = (total["with_reason"] == total["files"] == len(rows) and total["internal"] == 0
              and total["hangs"] == 0 and total["failed"] == 0)
        print("target met" if ok else "TARGET MISSED: every file a row with a reason, 0 internal errors, 0 hangs")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mutation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per file (the batch default)")
    parser.add_argument("--verify-text-layers", action="store_true",
                        help="check text layers by OCR as batch does by default (much slower)")
    parser.add_argument("--keep", type=Path, default=None, help="copy the mutants and database here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run(args.count, args.seed, args.workers, args.time_limit, args.keep, args.verify_text_layers)


if __name__ == "__main__":
    sys.exit(main())
