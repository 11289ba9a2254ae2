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
from typing import Callable

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
                   store: Callable[[db.Outcome], None]) -> None:
    """Submit every task to the cluster at `scheduler` (an address, or a Client); store each outcome."""
    from distributed import Client, as_completed
    if not tasks:
        return
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        client.register_plugin(_worker_plugin())
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
        for future in ac:
            task = by_future.pop(future)
            store(_outcome_of(future, task))
            future.release()
            submit_next(ac)
    finally:
        if client is not scheduler:
            client.close()


def _outcome_of(future, task: Task) -> db.Outcome:
    try:
        return future.result()
    except Exception as e:   # a lost worker (KilledWorker) or a cluster error: one file, not the batch
        reason = " ".join(f"dask task failed: {type(e).__name__}: {e}".split())[:500]
        log.warning("%s: %s", task.path, reason)
        return db.Outcome(task.sha256, task.path, db.STATUS_FAILED, error=reason)
