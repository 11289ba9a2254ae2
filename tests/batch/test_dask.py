"""The batch on a dask LocalCluster of 2 worker processes, on real sample PDFs."""
from __future__ import annotations

import pytest

from pipeline.batch import db, runner

from .conftest import distinct_copy

pytestmark = pytest.mark.slow


def test_local_cluster_reads_like_extract(tmp_path, sample_pdf, sample_report):
    from distributed import Client, LocalCluster
    copies = [distinct_copy(sample_pdf, tmp_path / "in" / f"r{i}.pdf", i) for i in range(3)]
    (tmp_path / "in" / "junk.pdf").write_bytes(b"%PDF-1.4\nnot really")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = runner.run_batch([tmp_path / "in"], tmp_path / "r.sqlite",
                                   scheduler=cluster.scheduler_address,
                                   limits=runner.Limits(time_s=600), show_progress=False)
        with Client(cluster) as client:
            worker_pids = set(client.run(lambda: __import__("os").getpid()).values())
    assert summary.read == 4
    conn = db.connect(tmp_path / "r.sqlite")
    statuses = dict(conn.execute("SELECT path, status FROM documents").fetchall())
    assert statuses[str(tmp_path / "in" / "junk.pdf")] in (db.STATUS_ERROR, db.STATUS_NOT_REPORT)
    expected = sample_report.to_json()
    for copy in copies:
        sha = runner.sha256_of(copy)
        got = db.report_json(conn, sha)
        assert got["cells"] == expected["cells"] and got["checks"] == expected["checks"]
        assert (got["version"], got["agency"], got["year"]) == (expected["version"], expected["agency"],
                                                                  expected["year"])
    # Each reader child ran under one of the two dask workers, and served several files.
    readers = {w for (w,) in conn.execute("SELECT DISTINCT worker FROM documents WHERE status = 'done'")}
    assert 1 <= len(readers) <= 2
    assert len(worker_pids) == 2
