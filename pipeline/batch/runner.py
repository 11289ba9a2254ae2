"""Batch reading: find inputs, key them by content, skip what is done, read the rest in isolation.

Every file is read inside a long-lived child process (one per worker slot), so that

- the OCR model is loaded once per child (pipeline.ocr.get_engine() caches it), not once per file;
- a file that hangs or eats memory is killed with its child, recorded as failed with the reason, and
  a fresh child takes over the next file: the batch always goes on;
- a segfault in a native library (pdfium, paddle) costs one file, not the batch.

Children are plain subprocesses (`python -m pipeline.batch.runner --child`) rather than
multiprocessing children, because dask's worker processes are daemonic and may not fork those.
The parent talks to a child over its stdin/stdout with pickled messages; the child's own stdout is
pointed at stderr so that a stray print cannot corrupt the channel.
"""
from __future__ import annotations

import logging
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Callable, Iterable, Optional

from pipeline.batch import db
from pipeline.batch.progress import Progress
from pipeline.pdf import sha256_of

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_TIME_LIMIT_S = 300.0
DEFAULT_MEMORY_LIMIT_MB = 4096
RSS_POLL_S = 0.1
# Native thread pools that must follow GOVREPORT_THREADS, or N workers each start `cores` threads.
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                   "CPU_NUM")


@dataclass
class Limits:
    time_s: float = DEFAULT_TIME_LIMIT_S       # wall clock per file, child start-up included
    memory_mb: int = DEFAULT_MEMORY_LIMIT_MB   # resident memory of the child (and its children)
    address_space_mb: int = 0                  # RLIMIT_AS of the child; 0 = none (paddle maps a lot)
    threads: int = 1                           # GOVREPORT_THREADS of the child


@dataclass
class Task:
    path: str                    # as found; what the documents table records
    sha256: str
    searchable_out: Optional[str] = None   # where to write the searchable PDF, if asked


@dataclass
class Input:
    path: Path
    relative: Path               # path under its input folder (name alone for a file argument)


# --- discovery and keying ----------------------------------------------------------------------

def discover(inputs: Iterable[str | Path]) -> list[Input]:
    """Files named (any extension: a mislabelled file must still get its row) and *.pdf under folders."""
    found: dict[Path, Input] = {}
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() == ".pdf":
                    found.setdefault(f.resolve(), Input(f, f.relative_to(p)))
        elif p.exists():
            found.setdefault(p.resolve(), Input(p, Path(p.name)))
        else:
            log.warning("no such input: %s", p)
    return list(found.values())




def plan(conn, inputs: list[Input], version: str, searchable_dir: Optional[str],
         retry_failed: bool = False) -> tuple[list[Task], int]:
    """Tasks for the content not yet done with this pipeline version; also how many were skipped."""
    pairs, first_path = [], {}
    for item in inputs:
        try:
            digest = sha256_of(item.path)
        except OSError as e:
            log.warning("cannot read %s: %s", item.path, e)
            continue
        pairs.append((str(item.path), digest))
        first_path.setdefault(digest, item)
    db.record_sources(conn, pairs)
    done = db.done_hashes(conn, version, retry_failed)
    tasks = []
    for digest, item in first_path.items():
        if digest in done:
            continue
        out = str(Path(searchable_dir) / item.relative.with_suffix(".pdf")) if searchable_dir else None
        tasks.append(Task(str(item.path), digest, out))
    return tasks, len(first_path) - len(tasks)


# --- the child side: read one file -------------------------------------------------------------

NOT_REPORT_PATTERN = re.compile(r"not\b.*\breport|no .*(template|table)|不是.*报告", re.I)


def read_file(task: Task) -> db.Outcome:
    """Read one file in this process and say what it gave. Never raises for a bad input."""
    import pipeline
    from pipeline.types import InputError
    start = time.perf_counter()
    outcome = db.Outcome(task.sha256, task.path, db.STATUS_DONE, worker=_worker_name())
    try:
        report = pipeline.extract(task.path)
        outcome.report = report
        if report.version is None and not report.cells:
            outcome.status, outcome.error = db.STATUS_NOT_REPORT, "no template table found"
        elif task.searchable_out:
            outcome.error = _write_searchable(task, report)
    except InputError as e:
        reason = _one_line(str(e)) or "unreadable input"
        # A damaged file is an error to report, even when what could be read held no table.
        not_report = NOT_REPORT_PATTERN.search(reason) and not reason.startswith("damaged PDF")
        outcome.status = db.STATUS_NOT_REPORT if not_report else db.STATUS_ERROR
        outcome.error = reason
    except MemoryError:
        outcome.status, outcome.error = db.STATUS_FAILED, "out of memory"
    except Exception as e:   # a reader bug must cost one file, never the batch
        log.exception("reading %s failed", task.path)
        outcome.status = db.STATUS_FAILED
        outcome.error = _one_line(f"internal error: {type(e).__name__}: {e}")
    outcome.seconds = time.perf_counter() - start
    return outcome


def _write_searchable(task: Task, report) -> Optional[str]:
    """Write the searchable PDF; a failure here is noted on the row but keeps the data read."""
    try:
        from pipeline.searchable import write_searchable   # behind `extract --searchable` too
        Path(task.searchable_out).parent.mkdir(parents=True, exist_ok=True)
        write_searchable(Path(task.path), report, Path(task.searchable_out))
        return None
    except Exception as e:
        log.exception("searchable PDF for %s not written", task.path)
        return _one_line(f"searchable PDF not written: {type(e).__name__}: {e}")


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def child_main() -> None:
    """Serve read requests on stdin until it closes; answer on the original stdout."""
    requests = Connection(os.dup(0), writable=False)
    answers = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)    # prints from libraries go to stderr, never into the answer channel
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    _limit_address_space(int(os.environ.get("GOVREPORT_MAX_AS_MB", "0")))
    logging.basicConfig(level=os.environ.get("GOVREPORT_CHILD_LOG", "WARNING"),
                        format="%(asctime)s %(name)s[child %(process)d] %(levelname)s %(message)s")
    import pipeline  # noqa: F401  (import cost is paid before the first file, not per file)
    while True:
        try:
            task = requests.recv()
        except EOFError:
            return
        outcome = read_file(task)
        try:
            answers.send(outcome)
        except Exception as e:     # an outcome that cannot be pickled: a reason, not a dead child
            log.exception("the outcome of %s cannot be sent", task.path)
            answers.send(db.Outcome(task.sha256, task.path, db.STATUS_FAILED, seconds=outcome.seconds,
                                    worker=outcome.worker, error=_one_line(
                                        f"internal error: result cannot be sent: {type(e).__name__}: {e}")))


def _limit_address_space(mb: int) -> None:
    if mb > 0:
        import resource
        limit = mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


# --- the parent side: one isolated child ---------------------------------------------------------

def child_env(threads: int, address_space_mb: int = 0) -> dict[str, str]:
    env = dict(os.environ)
    env["GOVREPORT_THREADS"] = str(threads)
    for name in THREAD_ENV_VARS:
        env[name] = str(threads)
    env["GOVREPORT_MAX_AS_MB"] = str(address_space_mb)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    return env


class IsolatedReader:
    """One child process that reads files one at a time, killed and replaced when a file goes bad."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.proc: Optional[subprocess.Popen] = None
        self.requests: Optional[Connection] = None
        self.answers: Optional[Connection] = None

    def read(self, task: Task) -> db.Outcome:
        start = time.perf_counter()
        try:
            self._ensure_child()
            self.requests.send(task)
            failure = self._wait_for_answer(start)
        except (OSError, EOFError) as e:
            failure = self._lost(e)
        if failure is None:
            try:
                return self.answers.recv()
            except (OSError, EOFError) as e:
                failure = self._lost(e)
        self.close()
        log.warning("%s: %s", task.path, failure)
        return db.Outcome(task.sha256, task.path, db.STATUS_FAILED, error=failure,
                          seconds=time.perf_counter() - start, worker=_worker_name())

    def _lost(self, error: Exception) -> str:
        """Why the channel to the child broke: how the child ended, when it did."""
        try:
            code = self.proc.wait(timeout=5) if self.proc is not None else None
        except subprocess.TimeoutExpired:
            code = None
        if code is not None:
            return f"worker process died ({_describe_exit(code)}) while reading"
        return _one_line(f"worker process lost: {type(error).__name__}: {error}")

    def _wait_for_answer(self, start: float) -> Optional[str]:
        """None when an answer is ready; else why the child must be killed."""
        while not self.answers.poll(RSS_POLL_S):
            elapsed = time.perf_counter() - start
            code = self.proc.poll()
            if code is not None:
                return f"worker process died ({_describe_exit(code)}) while reading"
            if elapsed > self.limits.time_s:
                return f"timed out after {self.limits.time_s:g} s"
            rss_mb = _tree_rss_mb(self.proc.pid)
            if rss_mb > self.limits.memory_mb:
                return f"memory limit exceeded ({rss_mb:.0f} MB > {self.limits.memory_mb} MB)"
        return None

    def _ensure_child(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        self.close()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.batch.runner", "--child"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=str(PROJECT_ROOT),
            env=child_env(self.limits.threads, self.limits.address_space_mb))
        self.requests = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
        self.answers = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
        self.proc.stdin.close()
        self.proc.stdout.close()

    def close(self) -> None:
        for conn in (self.requests, self.answers):
            if conn is not None:
                conn.close()
        self.requests = self.answers = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc = None


def _describe_exit(code: int) -> str:
    if code < 0:
        import signal
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


def _tree_rss_mb(pid: int) -> float:
    import psutil
    try:
        proc = psutil.Process(pid)
        procs = [proc] + proc.children(recursive=True)
        total = 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total / (1024 * 1024)
    except psutil.Error:
        return 0.0


# --- the local pool ----------------------------------------------------------------------------

def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def threads_per_worker(workers: int) -> int:
    """Divide the cores among the workers so that workers × threads ≤ cores."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


@dataclass
class Summary:
    files: int = 0                 # distinct contents found
    skipped: int = 0               # already done with this pipeline version
    unfinished: int = 0            # left unread by a cluster failure: the next run reads them
    read: int = 0
    pages: int = 0
    seconds: float = 0.0
    by_status: dict = field(default_factory=dict)
    outputs_failed: int = 0        # read, but an output asked for (a searchable PDF) not written


def run_batch(inputs: Iterable[str | Path], db_path: str | Path, workers: Optional[int] = None,
              limits: Optional[Limits] = None, searchable_dir: Optional[str] = None,
              retry_failed: bool = False, scheduler: Optional[str] = None,
              show_progress: Optional[bool] = None) -> Summary:
    """Read every input not yet done into the database; local processes, or a dask cluster."""
    version = db.pipeline_version()
    conn = db.connect(db_path)
    try:
        found = discover(inputs)
        tasks, skipped = plan(conn, found, version, searchable_dir, retry_failed)
        log.info("%d files, %d distinct, %d already done with pipeline %s, %d to read",
                 len(found), len(tasks) + skipped, skipped, version, len(tasks))
        summary = Summary(files=len(tasks) + skipped, skipped=skipped)
        progress = Progress(len(tasks), show_progress)
        start = time.perf_counter()

        def store(outcome: db.Outcome) -> None:
            try:
                db.write_outcome(conn, outcome, version)
            except Exception as e:          # one file's result that cannot be stored costs that file
                log.exception("storing the result of %s failed", outcome.path)
                outcome = db.Outcome(outcome.sha256, outcome.path, db.STATUS_FAILED,
                                     error=_one_line(f"internal error: result not stored: "
                                                     f"{type(e).__name__}: {e}"),
                                     seconds=outcome.seconds, worker=outcome.worker)
                db.write_outcome(conn, outcome, version)
            if outcome.status == db.STATUS_DONE and outcome.error:
                log.warning("%s: %s", outcome.path, outcome.error)     # e.g. searchable PDF not written
                summary.outputs_failed += 1
            summary.read += 1
            summary.pages += outcome.n_pages
            summary.by_status[outcome.status] = summary.by_status.get(outcome.status, 0) + 1
            progress.update(outcome)

        try:
            if scheduler:
                from pipeline.batch.dask_runner import run_on_cluster
                summary.unfinished = run_on_cluster(tasks, scheduler, limits or Limits(), store)
            else:
                run_local(tasks, workers or default_workers(), limits, store)
        finally:
            progress.close()
        summary.seconds = time.perf_counter() - start
        log.info("read %d files (%d pages) in %.1f s: %s", summary.read, summary.pages,
                 summary.seconds, summary.by_status or "nothing to do")
        if summary.unfinished:
            log.error("%d files left unread by cluster failures: run the same command again",
                      summary.unfinished)
        return summary
    finally:
        conn.close()


def run_local(tasks: list[Task], workers: int, limits: Optional[Limits],
              store: Callable[[db.Outcome], None]) -> None:
    """Read tasks on `workers` isolated children; `store` runs on this thread, one outcome at a time."""
    if not tasks:
        return
    workers = max(1, min(workers, len(tasks)))
    limits = limits or Limits(threads=threads_per_worker(workers))
    todo: queue.Queue = queue.Queue()
    for t in tasks:
        todo.put(t)
    done: queue.Queue = queue.Queue()
    stop = threading.Event()
    readers = [IsolatedReader(limits) for _ in range(workers)]
    threads = [threading.Thread(target=_drive, args=(r, todo, done, stop), daemon=True,
                                name=f"batch-worker-{i}") for i, r in enumerate(readers)]
    for th in threads:
        th.start()
    finished = False
    try:
        for _ in range(len(tasks)):
            store(done.get())
        finished = True
    finally:
        stop.set()
        if not finished:   # interrupted: kill the children first so the threads stop waiting on them
            for r in readers:
                r.close()
        for th in threads:
            th.join(timeout=limits.time_s + 5)
        for r in readers:
            r.close()


def _drive(reader: IsolatedReader, todo: queue.Queue, done: queue.Queue, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            task = todo.get_nowait()
        except queue.Empty:
            return
        done.put(reader.read(task))


if __name__ == "__main__" and sys.argv[1:] == ["--child"]:
    child_main()
