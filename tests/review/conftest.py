"""A results database made from real extractions, and a review server and headless Chromium on it.

The database (built once per session, copied for each test that changes it):
- two committed samples read by `pipeline.batch` (text-layer reports, text layers trusted, as the
  batch tests do, so that this takes seconds on 2 cores);
- a "tampered" report: a byte-distinct copy of one sample, extracted for real, in which one cell
  (applications row 1, 自然人) is given a WRONG value, marked doubtful and offered the right value
  as an alternative. Why: the review station exists for doubtful cells whose correction makes the
  identities hold, and a clean text-layer sample has none. Its other cells are marked confirmed by
  the text layer (what pipeline.evidence gives a good layer), except the review table's first
  cell, left doubtful so that settling has a next cell. Its year is the sample's plus one, so that
  the agency has two years for the across-years page.
"""
from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "samples" / "committed"
SAMPLE = COMMITTED / "synth-2024-002-2021.pdf"
OTHER = COMMITTED / "synth-2024-004-2019.pdf"
TAMPERED_KEY = ("applications", "1", "natural_person")
SECOND_KEY = ("review", "all", "review.upheld")
WRONG_BY = 7
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


class Fixture:
    def __init__(self, db_path: Path, tampered_sha: str, true_value, wrong_value, agency: str, year: int,
                 tampered_pdf: Path):
        self.db_path = db_path
        self.tampered_sha = tampered_sha
        self.true_value = true_value
        self.wrong_value = wrong_value
        self.agency = agency
        self.year = year
        self.tampered_pdf = tampered_pdf


def _checkpoint(path: Path) -> None:
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


@pytest.fixture(scope="session")
def review_source(tmp_path_factory) -> Fixture:
    from pipeline import config as config_mod
    import importlib
    extract_mod = importlib.import_module("pipeline.extract")
    from pipeline.batch import db, runner
    from pipeline.checks import run_checks
    from pipeline.types import STATUS_CONFIRMED, STATUS_DOUBTFUL

    base = tmp_path_factory.mktemp("review-db")
    db_path = base / "results.sqlite"
    saved = os.environ.get("GOVREPORT_TRUST_TEXT_LAYER")
    os.environ["GOVREPORT_TRUST_TEXT_LAYER"] = "1"
    try:
        summary = runner.run_batch([str(SAMPLE), str(OTHER)], db_path, workers=2, show_progress=False)
    finally:
        if saved is None:
            os.environ.pop("GOVREPORT_TRUST_TEXT_LAYER", None)
        else:
            os.environ["GOVREPORT_TRUST_TEXT_LAYER"] = saved
    assert summary.by_status.get(db.STATUS_DONE) == 2, summary

    tampered_pdf = base / "pdfs" / "tampered-copy.pdf"
    tampered_pdf.parent.mkdir()
    shutil.copyfile(SAMPLE, tampered_pdf)
    with open(tampered_pdf, "ab") as f:
        f.write(b"\n% a distinct copy for the review tests\n")
    config = replace(config_mod.DEFAULT, verify_text_layer=False)
    report = extract_mod.extract(str(tampered_pdf), config)
    assert report.agency and report.year
    by_key = {c.key: c for c in report.cells}
    cell = by_key[TAMPERED_KEY]
    true_value = cell.value
    assert isinstance(true_value, int)
    for c in report.cells:
        c.status, c.evidence = STATUS_CONFIRMED, ["text_layer"]
    wrong = true_value + WRONG_BY
    cell.value, cell.text, cell.confidence = wrong, str(wrong), 0.61
    cell.status, cell.evidence, cell.flags = STATUS_DOUBTFUL, [], ["low_confidence"]
    cell.alternatives = [(true_value, str(true_value), "second reader")]
    second = by_key[SECOND_KEY]
    second.status, second.evidence = STATUS_DOUBTFUL, []
    report.checks = run_checks(report.cells, config.min_confidence)
    assert any(not c.ok for c in report.checks), "the wrong value must break an identity"
    report.review_cells = [list(TAMPERED_KEY), list(SECOND_KEY)]
    report.document_issues = []
    report.needs_review = True
    report.year += 1
    import hashlib
    sha = hashlib.sha256(tampered_pdf.read_bytes()).hexdigest()
    report.sha256, report.source_path = sha, str(tampered_pdf)
    conn = db.connect(db_path)
    db.write_outcome(conn, db.Outcome(sha, str(tampered_pdf), db.STATUS_DONE, report=report), db.pipeline_version())
    conn.close()
    _checkpoint(db_path)
    return Fixture(db_path, sha, true_value, wrong, report.agency, report.year, tampered_pdf)


@pytest.fixture
def review_db(review_source, tmp_path) -> Fixture:
    """A fresh copy of the session's database for one test (its crops cache starts empty)."""
    target = tmp_path / "results.sqlite"
    shutil.copyfile(review_source.db_path, target)
    f = Fixture(target, review_source.tampered_sha, review_source.true_value, review_source.wrong_value,
                review_source.agency, review_source.year, review_source.tampered_pdf)
    return f


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m pipeline review` in a child process (so that it can be killed -9)."""

    def __init__(self, db_path: Path, *extra: str):
        self.db_path = db_path
        self.extra = extra
        self.port = free_port()
        self.proc = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        self.proc = subprocess.Popen([sys.executable, "-m", "pipeline", "review", "--db", str(self.db_path),
                                      "--port", str(self.port), *self.extra], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"review server exited: {self.proc.stdout.read().decode()}")
            try:
                urllib.request.urlopen(self.url + "/static/review.css", timeout=2).read()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("review server did not start")

    def kill9(self) -> None:
        self.proc.kill()          # SIGKILL: no shutdown, no flush but what SQLite committed
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def server(review_db):
    s = Server(review_db.db_path).start()
    yield s
    s.stop()


def make_browser(user_data_dir: Path, width: int = 1400, height: int = 1000):
    """Headless Debian Chromium through Debian's chromedriver, both named explicitly: nothing is
    downloaded (Selenium Manager is never asked)."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed (make test installs chromium chromium-driver)")
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={user_data_dir}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    driver = make_browser(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()
