"""The review station's speed, measured in headless Chromium, and its screenshots.

    python -m bench.review [--reports 10000] [--json PATH] [--screenshots docs/screenshots]

Figures (printed, and written as JSON with --json):
- the report page with its crops: the first load (crops rendered from the PDF), then loads after
  it (crops cached), with the browser's cache and without it (crops from the server's disk cache),
  as the browser's own navigation timing up to the load event (every image loaded);
- the settling view: milliseconds from a key to the next cell shown;
- the queue with N reports in the database (synthesised rows copied from a real report): server
  start with its first summary of every report, then the queue's first page, a page deep in the
  paging, and filtered pages, over HTTP and in the browser.

The database is made from real extractions of committed samples (text layers trusted, so that it
takes seconds), one of them copied with wrong values in some cells marked doubtful, as a
reviewer would meet them. Needs /usr/bin/chromium and /usr/bin/chromedriver (make system-deps).
"""
from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "samples" / "committed"
SAMPLES = ["synth-2024-002-2021.pdf", "synth-2024-004-2019.pdf", "synth-2024-023-2021.pdf"]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


# --- the database -----------------------------------------------------------------------------

def build_db(base: Path, doubtful: int) -> dict:
    """Committed samples read by batch, plus a copy of the first one a year later in which one cell
    is misread (its right value an alternative) and `doubtful` cells in all are doubtful."""
    from pipeline import config as config_mod
    from pipeline.batch import db, runner
    from pipeline.checks import run_checks
    from pipeline.types import STATUS_CONFIRMED, STATUS_DOUBTFUL
    extract = importlib.import_module("pipeline.extract").extract

    db_path = base / "results.sqlite"
    os.environ["GOVREPORT_TRUST_TEXT_LAYER"] = "1"
    runner.run_batch([str(COMMITTED / s) for s in SAMPLES], db_path, workers=2, show_progress=False)
    pdf = base / "pdfs" / "copy-next-year.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(COMMITTED / SAMPLES[0], pdf)
    with open(pdf, "ab") as f:
        f.write(b"\n% copy\n")
    config = replace(config_mod.DEFAULT, verify_text_layer=False)
    report = extract(str(pdf), config)
    for c in report.cells:
        c.status, c.evidence = STATUS_CONFIRMED, ["text_layer"]
    by_key = {c.key: c for c in report.cells}
    wrong = by_key[("applications", "1", "natural_person")]
    right = wrong.value
    wrong.value, wrong.text, wrong.confidence, wrong.flags = right + 7, str(right + 7), 0.61, ["low_confidence"]
    wrong.alternatives = [(right, str(right), "second reader")]
    chosen = [wrong] + [c for c in report.cells if c is not wrong and c.bbox][:max(0, doubtful - 1)]
    for c in chosen:
        c.status, c.evidence = STATUS_DOUBTFUL, []
    seal = by_key.get(("applications", "3.1", "total"))
    if seal is not None and doubtful > 3:
        seal.alternatives = [((seal.value or 0) + 10, str((seal.value or 0) + 10), "second reader")]
    report.checks = run_checks(report.cells, config.min_confidence)
    report.review_cells = [list(c.key) for c in chosen]
    report.needs_review = True
    report.year += 1
    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    report.sha256, report.source_path = sha, str(pdf)
    conn = db.connect(db_path)
    db.write_outcome(conn, db.Outcome(sha, str(pdf), db.STATUS_DONE, report=report), db.pipeline_version())
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return {"db": db_path, "sha": sha, "agency": report.agency}


def synthesise(db_path: Path, source_sha: str, n: int) -> float:
    """n more reports, rows copied from a real one (500 agencies, 10 years); seconds taken."""
    start = time.perf_counter()
    conn = sqlite3.connect(str(db_path))
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN")
    gen = ("WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?)")
    conn.execute(
        f"{gen} INSERT INTO documents SELECT printf('%064d', g.i), 'synthetic/' || g.i || '.pdf', status, error,"
        " version, agency || '·' || (g.i % 500), 2015 + (g.i % 10), n_pages, needs_review, review_reasons,"
        " review_cells, document_issues, pages, pipeline_version, seconds, timings, worker, finished_at"
        " FROM documents, g WHERE sha256 = ?", (n, source_sha))
    conn.execute(
        f"{gen} INSERT INTO cells SELECT printf('%064d', g.i), tbl, row, col, value, text, confidence, page, bbox,"
        " flags, seq, status, evidence, note, alternatives FROM cells, g WHERE sha256 = ?", (n, source_sha))
    conn.execute(
        f"{gen} INSERT INTO checks SELECT printf('%064d', g.i), seq, rule, col, ok, detail, cause"
        " FROM checks, g WHERE sha256 = ?", (n, source_sha))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return time.perf_counter() - start


# --- server and browser -----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_path: Path) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "review", "--db", str(db_path), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while True:
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode())
        try:
            urllib.request.urlopen(url + "/static/review.css", timeout=2).read()
            return proc, url, time.perf_counter() - start
        except OSError:
            time.sleep(0.1)


def browser(profile: Path, width=1500, height=1000):
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
                 f"--window-size={width},{height}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def page_load_ms(driver, url: str) -> tuple[float, int]:
    """Navigation start to the load event (all images loaded), and the number of images loaded."""
    driver.get(url)
    for _ in range(200):
        done = driver.execute_script(
            "const n = performance.getEntriesByType('navigation')[0];"
            "return n && n.loadEventEnd > 0 ? n.loadEventEnd : 0")
        if done:
            break
        time.sleep(0.02)
    images = driver.execute_script(
        "return Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length")
    return float(done), int(images)


def http_ms(url: str, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        body = urllib.request.urlopen(url, timeout=60).read()
        times.append((time.perf_counter() - t) * 1000)
        assert body
    return statistics.median(times)


# --- the bench --------------------------------------------------------------------------------

def bench(n_reports: int, work: Path) -> dict:
    figures: dict = {}
    small = build_db(work / "small", doubtful=40)
    proc, url, _ = start_server(small["db"])
    driver = browser(work / "profile")
    try:
        report = f"{url}/report/{small['sha']}"
        first, images = page_load_ms(driver, report)
        warm = [page_load_ms(driver, report)[0] for _ in range(5)]
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        nocache = [page_load_ms(driver, report)[0] for _ in range(5)]
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
        figures["report_page"] = {"crops_on_page": images, "first_load_ms": round(first),
                                  "after_first_ms_median": round(statistics.median(warm)),
                                  "after_first_no_browser_cache_ms_median": round(statistics.median(nocache))}
        # settling: key to next cell
        driver.get(f"{report}/settle")
        driver.execute_script(
            "window.__keyAt = 0; window.__shownAt = 0;"
            "document.addEventListener('keydown', () => { window.__keyAt = performance.now(); }, true);"
            "new MutationObserver(() => { window.__shownAt = performance.now(); })"
            ".observe(document.getElementById('position'), {childList: true, characterData: true, subtree: true});")
        from selenium.webdriver.common.keys import Keys
        gaps = []
        for _ in range(10):
            driver.switch_to.active_element.send_keys(Keys.ENTER)
            time.sleep(0.15)
            gaps.append(driver.execute_script("return window.__shownAt - window.__keyAt"))
        figures["settle"] = {"key_to_next_cell_ms_median": round(statistics.median(gaps), 1),
                             "key_to_next_cell_ms_max": round(max(gaps), 1)}
    finally:
        proc.terminate()
        proc.wait()

    big_db = work / "big.sqlite"
    shutil.copyfile(small["db"], big_db)
    seconds = synthesise(big_db, small["sha"], n_reports)
    proc, url, start_s = start_server(big_db)
    try:
        conn = sqlite3.connect(str(big_db))
        total = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        conn.close()
        agency = f"{small['agency']}·7"
        queue = {"reports": total, "synthesise_s": round(seconds, 1), "server_start_with_summaries_s": round(start_s, 2),
                 "http_first_page_ms": round(http_ms(url + "/"), 1),
                 "http_page_150_ms": round(http_ms(url + "/?status=all&page=150"), 1),
                 "http_agency_year_filter_ms": round(http_ms(url + "/?" + urllib.parse.urlencode(
                     {"status": "all", "agency": agency, "year": 2022})), 1),
                 "http_document_issues_ms": round(http_ms(url + "/?status=issues"), 1)}
        loads = [page_load_ms(driver, url + "/")[0] for _ in range(5)]
        queue["browser_first_page_ms_median"] = round(statistics.median(loads))
        report = f"{url}/report/{small['sha']}"
        page_load_ms(driver, report)
        queue["browser_report_page_ms_median"] = round(statistics.median(
            [page_load_ms(driver, report)[0] for _ in range(5)]))
        figures["queue"] = queue
    finally:
        proc.terminate()
        proc.wait()
        driver.quit()
    return figures


def screenshots(out: Path, work: Path) -> list[Path]:
    """The queue, a report page and the settling view, as a reviewer sees them."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    made = build_db(work / "shots", doubtful=6)
    proc, url, _ = start_server(made["db"])
    driver = browser(work / "shot-profile", 1500, 1000)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    try:
        driver.get(url + "/?status=all")
        files.append(out / "queue.png")
        driver.save_screenshot(str(files[-1]))
        driver.get(f"{url}/report/{made['sha']}/settle")
        driver.switch_to.active_element.send_keys(Keys.ENTER)          # settle one, so progress shows
        time.sleep(0.5)
        driver.get(f"{url}/report/{made['sha']}")
        driver.find_element(By.ID, "cell-applications|1|natural_person").click()
        time.sleep(0.8)
        driver.execute_script("window.scrollTo(0, 0)")
        time.sleep(0.3)
        files.append(out / "report.png")
        driver.save_screenshot(str(files[-1]))
        driver.get(f"{url}/report/{made['sha']}/settle?cell=applications%7C1%7Cnatural_person")
        time.sleep(0.3)
        driver.switch_to.active_element.send_keys("a")
        time.sleep(0.8)
        files.append(out / "settle.png")
        driver.save_screenshot(str(files[-1]))
        driver.get(f"{url}/agency?name={urllib.parse.quote(made['agency'])}")
        time.sleep(0.5)
        files.append(out / "agency.png")
        driver.save_screenshot(str(files[-1]))
    finally:
        proc.terminate()
        proc.wait()
        driver.quit()
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.review", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=10_000, help="synthesised reports for the queue figures")
    parser.add_argument("--json", default=None, help="also write the figures here")
    parser.add_argument("--screenshots", default=None, metavar="DIR", help="only take the screenshots, into DIR")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        if args.screenshots:
            for f in screenshots(Path(args.screenshots), Path(tmp)):
                print(f)
            return 0
        figures = bench(args.reports, Path(tmp))
    print(json.dumps(figures, indent=1, ensure_ascii=False))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
