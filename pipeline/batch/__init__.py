"""Batch reading into a results database, and exports of it (`batch` and `export` commands).

    python -m pipeline batch INPUT... --db results.sqlite [--workers N] [--scheduler ADDRESS]
                                      [--searchable DIR] [--time-limit S] [--memory-limit MB]
    python -m pipeline export --db results.sqlite --format csv|xlsx|parquet|json --out PATH

Local: N worker processes (default: the cores, at most 8), each with GOVREPORT_THREADS = cores // N.

On several machines (shared storage for inputs, the same checkout and .venv on each):

    machine A:   cd /path/to/checkout && PYTHONPATH=$PWD .venv/bin/dask scheduler --port 8786
    each worker machine, with C cores and T OCR threads per reader (C/T processes):
                 cd /path/to/checkout && PYTHONPATH=$PWD GOVREPORT_THREADS=T \
                     .venv/bin/dask worker tcp://A:8786 --nworkers C/T --nthreads 1
    anywhere:    .venv/bin/python -m pipeline batch /shared/reports --db results.sqlite \\
                     --scheduler tcp://A:8786

The scheduler and workers unpickle the project's task objects, hence PYTHONPATH on both. Only the
client writes the database; workers send back their results.
"""
from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def add_batch_arguments(parser: argparse.ArgumentParser) -> None:
    from pipeline.batch import runner
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="PDF files or folders (searched for *.pdf)")
    parser.add_argument("--db", required=True, help="results database (SQLite), created if absent")
    parser.add_argument("--workers", type=int, default=None,
                        help=f"local worker processes (default {runner.default_workers()})")
    parser.add_argument("--scheduler", default=None, help="dask scheduler address: run on that cluster")
    parser.add_argument("--searchable", default=None, metavar="DIR", help="also write searchable PDFs here")
    parser.add_argument("--time-limit", type=float, default=runner.DEFAULT_TIME_LIMIT_S,
                        help="seconds per file before it is killed (default %(default)s)")
    parser.add_argument("--memory-limit", type=int, default=runner.DEFAULT_MEMORY_LIMIT_MB,
                        help="MB of resident memory per worker before its file is killed "
                             "(default %(default)s)")
    parser.add_argument("--retry-failed", action="store_true",
                        help="read again the files that timed out or crashed with this pipeline version")


def run_batch_command(args: argparse.Namespace) -> int:
    """0 when every file read (flagged or not) and every output asked for was written; 1 when
    some file could not be read or its searchable PDF not written, as `extract` does."""
    from pipeline.batch import db, runner
    workers = args.workers or runner.default_workers()
    limits = runner.Limits(time_s=args.time_limit, memory_mb=args.memory_limit,
                           threads=runner.threads_per_worker(workers))
    summary = runner.run_batch(args.inputs, args.db, workers=workers, limits=limits,
                               searchable_dir=args.searchable, retry_failed=args.retry_failed,
                               scheduler=args.scheduler)
    unread = sum(n for status, n in summary.by_status.items() if status != db.STATUS_DONE)
    return 1 if unread or summary.unfinished or summary.outputs_failed else 0


# The formats `export` writes; here, not in pipeline.batch.export, so that building the command
# line does not import pandas (a third of a second of every run's start-up).
EXPORT_FORMATS = ("csv", "xlsx", "parquet", "json")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="results database written by `batch`")
    parser.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    parser.add_argument("--out", required=True,
                        help="folder for csv and parquet (one file per table), file for xlsx, folder for json"
                             " (the contract JSON of each report, corrections from `review` applied)")


def run_export_command(args: argparse.Namespace) -> int:
    from pipeline.batch import export
    try:
        written = export.export(args.db, args.format, args.out)
    except (FileNotFoundError, ValueError) as e:
        log.error("%s", e)
        return 1
    for path in written:
        log.info("wrote %s", path)
    return 0
