"""Batch throughput: reports/hour and pages/s with 1 and 2 local workers, on text-layer reports.

    .venv/bin/python -m bench.throughput [--reports 16] [--workers 1 2] [--inputs DIR...]

Each report is a distinct copy (different sha256, same pages) of the text-layer PDFs found in
samples/corpus/clean, samples/committed and the real sample, so every run reads the same work and
nothing is skipped as done. Each worker count gets a fresh database; times include worker start-up,
as a real batch pays it. Prints a table and the estimate of hours per million reports per machine.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from pipeline.config import REAL_SAMPLE_PDF

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INPUTS = [ROOT / "samples" / "corpus" / "clean", ROOT / "samples" / "committed",
                  REAL_SAMPLE_PDF.parent]
log = logging.getLogger("bench.throughput")


def source_pdfs(folders: list[Path]) -> list[Path]:
    pdfs = []
    for folder in folders:
        if folder.is_dir():
            pdfs += sorted(folder.glob("*.pdf"))
    return pdfs


def make_work(sources: list[Path], n: int, folder: Path) -> list[Path]:
    """n distinct files cycling over the sources: bytes after %%EOF change the hash, not the read."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        src = sources[i % len(sources)]
        dest = folder / f"{i:04d}-{src.name}"
        shutil.copyfile(src, dest)
        with open(dest, "ab") as f:
            f.write(f"\n% throughput copy {i}\n".encode())
        out.append(dest)
    return out


def measure(folder: Path, workers: int, db_path: Path) -> dict:
    from pipeline.batch import runner
    limits = runner.Limits(threads=runner.threads_per_worker(workers))
    start = time.perf_counter()
    summary = runner.run_batch([folder], db_path, workers=workers, limits=limits, show_progress=False)
    seconds = time.perf_counter() - start
    return {"workers": workers, "threads_per_worker": limits.threads, "reports": summary.read,
            "pages": summary.pages, "seconds": round(seconds, 2), "statuses": summary.by_status,
            "reports_per_hour": round(3600 * summary.read / seconds, 1),
            "pages_per_s": round(summary.pages / seconds, 3),
            "hours_per_million": round(1e6 * seconds / max(summary.read, 1) / 3600, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput")
    parser.add_argument("--reports", type=int, default=16, help="reports per run (default %(default)s)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--inputs", nargs="*", type=Path, help="folders of text-layer report PDFs")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sources = source_pdfs(args.inputs or DEFAULT_INPUTS)
    if not sources:
        print("no input PDFs: run `make samples` or pass --inputs", file=sys.stderr)
        return 1
    rows = []
    with tempfile.TemporaryDirectory(prefix="govreport-throughput-") as tmp:
        work = Path(tmp) / "in"
        make_work(sources, args.reports, work)
        for workers in args.workers:
            rows.append(measure(work, workers, Path(tmp) / f"w{workers}.sqlite"))
            print(_line(rows[-1]), flush=True)
    print(f"\n{len(sources)} distinct source PDFs, {args.reports} reports per run, "
          f"{os.cpu_count()} cores on this machine")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


def _line(r: dict) -> str:
    return (f"workers {r['workers']} (x{r['threads_per_worker']} threads): {r['reports']} reports, "
            f"{r['pages']} pages in {r['seconds']:.1f} s = {r['reports_per_hour']:.0f} reports/h, "
            f"{r['pages_per_s']:.2f} pages/s, {r['hours_per_million']:.0f} h per million reports "
            f"on this machine  {r['statuses']}")


if __name__ == "__main__":
    sys.exit(main())
