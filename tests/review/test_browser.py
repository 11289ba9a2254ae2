"""End to end in headless Debian Chromium: a person settles the doubtful cell by keyboard, sees its
identity turn good, finds it kept after a reload and after the server is killed -9, and finds the
corrected value in the export."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pandas as pd
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from pipeline.batch import export
from pipeline.review import model

from .conftest import ROOT, SECOND_KEY, TAMPERED_KEY, Server

CELL = model.key_str(TAMPERED_KEY)
IDENTITY = "applications: 1+2 = 3.7+4 [natural_person]"


def wait(browser, seconds=10):
    return WebDriverWait(browser, seconds)


def keys(browser, *typed):
    """Keystrokes to the focused element, as a person types them."""
    active = browser.switch_to.active_element
    for k in typed:
        active.send_keys(k)


def identity_item(browser, text):
    for li in browser.find_elements(By.CSS_SELECTOR, "#s-idents li"):
        if text in li.text:
            return li
    raise AssertionError(f"no identity {text!r} among {[x.text for x in browser.find_elements(By.CSS_SELECTOR, '#s-idents li')]}")


def test_settle_by_keyboard_reload_kill_and_export(browser, review_db, server, tmp_path):
    sha = review_db.tampered_sha
    browser.get(server.url + "/?status=todo")
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-sha="{sha}"]')
    assert review_db.agency in row.text
    row.find_element(By.LINK_TEXT, "settle").click()

    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "position"), "cell 1 of 2"))
    assert browser.find_element(By.ID, "s-row").text == "一、本年新收政府信息公开申请数量"
    assert browser.find_element(By.ID, "s-col").text == "自然人"
    assert browser.find_element(By.ID, "s-value").text == str(review_db.wrong_value)
    crop = browser.find_element(By.ID, "s-crop")
    wait(browser).until(lambda b: b.execute_script("return arguments[0].complete && arguments[0].naturalWidth", crop))
    assert identity_item(browser, IDENTITY).get_attribute("class") == "bad"

    # keystroke 1: the alternative reading into the box — the identity turns good as it is shown
    keys(browser, "a")
    assert browser.find_element(By.ID, "s-input").get_attribute("value") == str(review_db.true_value)
    assert identity_item(browser, IDENTITY).get_attribute("class") == "ok"
    # keystroke 2: Enter saves; the next cell is shown at once
    keys(browser, Keys.ENTER)
    wait(browser, 5).until(EC.text_to_be_present_in_element((By.ID, "position"), "cell 2 of 2"))
    assert "行政复议" in browser.find_element(By.ID, "s-col").text
    message = browser.find_element(By.ID, "s-message").text
    assert message.startswith("✓ correct " + str(review_db.true_value)) and "hold" in message
    # one keystroke accepts the second cell; every cell of the report is then settled
    keys(browser, Keys.ENTER)
    wait(browser).until(lambda b: b.find_element(By.ID, "s-done").is_displayed())
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "progress"), "2 settled / 0 to settle"))
    wait_saved(browser, sha, 2)

    # reload: the correction is kept, the identities hold
    _check_report_page(browser, server.url, sha, review_db.true_value)

    # kill -9 the server, start it again on the same database: still there
    server.kill9()
    again = Server(review_db.db_path).start()
    try:
        _check_report_page(browser, again.url, sha, review_db.true_value)
    finally:
        again.stop()

    # export: the corrected value, marked corrected, in the tables and in the contract JSON
    out = tmp_path / "csv"
    subprocess.run([sys.executable, "-m", "pipeline", "export", "--db", str(review_db.db_path), "--format", "csv",
                    "--out", str(out)], cwd=ROOT, check=True, capture_output=True)
    wide = pd.read_csv(out / "wide.csv", encoding="utf-8-sig")
    column = export.cell_column(*TAMPERED_KEY)
    mine = wide[wide["sha256"] == sha].iloc[0]
    assert mine[column] == review_db.true_value and mine["corrected_cells"] == 1
    long = pd.read_csv(out / "long.csv", encoding="utf-8-sig")
    cell = long[(long["sha256"] == sha) & (long["table"] == TAMPERED_KEY[0]) & (long["row"].astype(str) == "1")
                & (long["column"] == TAMPERED_KEY[2])].iloc[0]
    assert (cell["value"], cell["machine_value"], cell["value_source"]) == (
        review_db.true_value, review_db.wrong_value, "corrected")
    accepted = long[(long["sha256"] == sha) & (long["table"] == "review") & (long["column"] == SECOND_KEY[2])].iloc[0]
    assert (accepted["value_source"], accepted["settled"]) == ("machine", "accept")
    js = tmp_path / "json"
    subprocess.run([sys.executable, "-m", "pipeline", "export", "--db", str(review_db.db_path), "--format", "json",
                    "--out", str(js)], cwd=ROOT, check=True, capture_output=True)
    doc = json.loads((js / "tampered-copy.json").read_text(encoding="utf-8"))
    c = next(x for x in doc["cells"] if (x["table"], x["row"], x["column"]) == TAMPERED_KEY)
    assert c["value"] == review_db.true_value and c["status"] == "confirmed" and "correction" in c["evidence"]
    assert doc["needs_review"] is False and doc["review_cells"] == []


def wait_saved(browser, sha, n):
    """The saves reach the server (they are sent in order, in the background)."""
    wait(browser).until(lambda b: b.execute_script(
        "return fetch('/report/%s/data').then(r => r.json()).then(d => "
        "Object.values(d.cells).filter(c => c.correction).length)" % sha) == n)


def _check_report_page(browser, url, sha, value):
    browser.get(f"{url}/report/{sha}")
    td = browser.find_element(By.ID, f"cell-{CELL}")
    assert "s-corrected" in td.get_attribute("class") and td.text == str(value)
    assert not browser.find_elements(By.CSS_SELECTOR, "li.check.cause-reading")
    assert "2 settled / 0 to settle" in browser.find_element(By.ID, "progress").text
    # any cell opens its crop
    td.click()
    img = browser.find_element(By.ID, "p-crop")
    wait(browser).until(lambda b: b.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img))
    assert "settled" in browser.find_element(By.ID, "p-info").text


def test_typing_a_number_corrects_and_b_blanks(browser, review_db, server):
    sha = review_db.tampered_sha
    browser.get(f"{server.url}/report/{sha}")
    keys(browser, Keys.ENTER)         # Enter on the report page opens the settling view
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "position"), "cell 1 of 2"))
    start = time.perf_counter()
    keys(browser, str(review_db.true_value), Keys.ENTER)
    wait(browser, 5).until(EC.text_to_be_present_in_element((By.ID, "position"), "cell 2 of 2"))
    assert time.perf_counter() - start < 5      # shown at once: the bench measures it in the page
    keys(browser, "b")
    wait(browser).until(lambda b: b.find_element(By.ID, "s-done").is_displayed())
    wait_saved(browser, sha, 2)
    browser.get(f"{server.url}/report/{sha}")
    td = browser.find_element(By.ID, f"cell-{model.key_str(SECOND_KEY)}")
    assert "s-corrected" in td.get_attribute("class") and td.text == "—"


def test_second_writer_is_told_in_the_page(browser, review_db, server):
    """Someone else settles the cell while it is on screen: saving it here is refused and said so."""
    import urllib.request
    sha = review_db.tampered_sha
    browser.get(f"{server.url}/report/{sha}/settle")
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "position"), "cell 1 of 2"))
    csrf = browser.find_element(By.CSS_SELECTOR, 'meta[name="csrf-token"]').get_attribute("content")
    other = urllib.request.Request(
        server.url + "/api/save", method="POST",
        data=json.dumps({"sha256": sha, "cell": CELL, "kind": "correct", "value": 5, "version": 0}).encode(),
        headers={"Content-Type": "application/json", "X-CSRF-Token": csrf})
    assert json.loads(urllib.request.urlopen(other).read())["version"] == 1
    keys(browser, Keys.ENTER)
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "s-message"), "someone else saved this cell"))
    assert "correct 5" in browser.find_element(By.ID, "s-message").text
    browser.get(f"{server.url}/report/{sha}")
    assert browser.find_element(By.ID, f"cell-{CELL}").text == "5"      # theirs kept, nothing overwritten
