"""The same per-file reading, run on an existing dask.distributed cluster.

Each dask worker thread keeps one isolated reader child (runner.IsolatedReader) in a module-level
cache, so the OCR model is loaded once per worker and reused for every file it is given, and a bad
file still costs only that child. Start workers with `--nthreads 1` and as many processes as the
machine has cores divided by GOVREPORT_THREADS (see pipeline/batch/__init__.py).

Workers must see the same input paths (shared storage) and the same project checkout; results come
back to the client, which alone writes the database.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import defaultdict
from dataclasses import replace
from typing import Callable, Optional

from pipeline.batch import db
from pipeline.batch.runner import IsolatedReader, Limits, Task

log = logging.getLogger(__name__)

# Futures in flight per worker thread: enough to keep workers busy, few enough that a million
# inputs are not all handed to the scheduler at once.
IN_FLIGHT_PER_THREAD = 3

_readers = threading.local()
_all_readers: list[IsolatedReader] = []
_all_lock = threading.Lock()


def read_on_worker(task: Task, limits: Limits, threads_by_host: dict[str, int]) -> db.Outcome:
    """Runs on a dask worker: read one file in this thread's isolated child."""
    reader = getattr(_readers, "reader", None)
    if reader is None:
        threads = threads_by_host.get(socket.gethostname(), limits.threads)
        reader = IsolatedReader(replace(limits, threads=max(1, threads)))
        _readers.reader = reader
        with _all_lock:
            _all_readers.append(reader)
    return reader.read(task)


def close_readers() -> None:
    """Stop this process's reader children (worker teardown)."""
    with _all_lock:
        for reader in _all_readers:
            reader.close()
        _all_readers.clear()


def _worker_plugin():
    from distributed.diagnostics.plugin import WorkerPlugin

    class ReaderPlugin(WorkerPlugin):
        """Closes the reader children when the dask worker shuts down."""
        name = "govreport-readers"

        def teardown(self, worker):
            close_readers()

    return ReaderPlugin()


def threads_per_host(client) -> dict[str, int]:
    """OCR threads per reader on each host: its cores divided by the dask threads running there."""
    info = workers_info(client)
    cores = client.run(os.cpu_count)
    hostnames = client.run(socket.gethostname)
    slots: dict[str, int] = defaultdict(int)
    host_cores: dict[str, int] = {}
    for address, w in info.items():
        host = hostnames.get(address, w.get("host"))
        slots[host] += w.get("nthreads", 1)
        host_cores[host] = cores.get(address) or 1
    return {h: max(1, host_cores[h] // slots[h]) for h in slots}


def workers_info(client) -> dict:
    """Every worker's info (recent distributed lists only the first 5 unless asked for all)."""
    import inspect
    if "n_workers" in inspect.signature(client.scheduler_info).parameters:
        return client.scheduler_info(n_workers=-1)["workers"]
    return client.scheduler_info()["workers"]


def run_on_cluster(tasks: list[Task], scheduler: str | object, limits: Limits,
                   store: Callable[[db.Outcome], None]) -> int:
    """Submit every task to the cluster at `scheduler` (an address, or a Client); store each outcome.

    Returns how many tasks the cluster itself failed (lost workers, a broken environment): those
    get no row, so that the next run reads them again.
    """
    from distributed import Client, as_completed
    if not tasks:
        return 0
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        try:
            client.register_plugin(_worker_plugin())
        except Exception as e:   # the usual cause: workers started outside the checkout
            raise RuntimeError(f"dask workers cannot load the pipeline ({e}); start them from the project "
                               "checkout with PYTHONPATH=<checkout> (see pipeline/batch/__init__.py)") from e
        threads_by_host = threads_per_host(client)
        total_threads = sum(w.get("nthreads", 1) for w in workers_info(client).values())
        window = max(2, IN_FLIGHT_PER_THREAD * total_threads)
        log.info("dask cluster %s: %d worker threads, reader threads per host %s",
                 client.scheduler.address, total_threads, threads_by_host)
        pending = iter(tasks)
        by_future = {}

        def submit_next(ac) -> None:
            task = next(pending, None)
            if task is not None:
                future = client.submit(read_on_worker, task, limits, threads_by_host, pure=False,
                                       key=f"govreport-read-{task.sha256}-{time.time_ns()}")
                by_future[future] = task
                ac.add(future)

        ac = as_completed()
        for _ in range(window):
            submit_next(ac)
        unfinished = 0
        for future in ac:
            task = by_future.pop(future)
            outcome = _outcome_of(future, task)
            if outcome is None:
                unfinished += 1
            else:
                store(outcome)
            future.release()
            submit_next(ac)
        return unfinished
    finally:
        if client is not scheduler:
            client.close()


def _outcome_of(future, task: Task) -> Optional[db.Outcome]:
    """The task's outcome; None when the cluster, not the file, failed (the file stays unread)."""
    try:
        return future.result()
    except Exception as e:   # a lost worker (KilledWorker) or a broken environment: not the file's fault
        reason = " ".join(f"{type(e).__name__}: {e}".split())[:300]
        log.error("%s: dask task failed, left for the next run: %s", task.path, reason)
        return None
