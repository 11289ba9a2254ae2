"""Every endpoint of the review station over HTTP (Starlette's TestClient, the real app, a real database)."""
from __future__ import annotations

import json
import re

import pytest
from starlette.testclient import TestClient

from pipeline.batch import db
from pipeline.review import crops, model, store
from pipeline.review.app import create_app

from .conftest import SECOND_KEY, TAMPERED_KEY

CELL = model.key_str(TAMPERED_KEY)


def client_for(fx, **kw) -> TestClient:
    return TestClient(create_app(fx.db_path, **kw), raise_server_exceptions=False)


def csrf_of(client) -> str:
    page = client.get("/").text
    return re.search(r'name="csrf-token" content="([0-9a-f]+)"', page).group(1)


def post_save(client, fx, kind, value=None, version=0, cell=CELL, csrf=None):
    csrf = csrf if csrf is not None else csrf_of(client)
    return client.post("/api/save", headers={"X-CSRF-Token": csrf},
                       json={"sha256": fx.tampered_sha, "cell": cell, "kind": kind, "value": value,
                             "version": version})


def test_queue_lists_reports_with_progress_and_filters(review_db):
    c = client_for(review_db)
    page = c.get("/")
    assert page.status_code == 200
    assert review_db.agency in page.text and review_db.tampered_sha in page.text
    assert "0 settled" in page.text
    only = c.get("/", params={"agency": review_db.agency[:3], "year": review_db.year, "status": "all"})
    assert only.status_code == 200 and review_db.tampered_sha in only.text
    none = c.get("/", params={"agency": "没有这个机关", "status": "all"})
    assert "No report matches" in none.text
    hostile = c.get("/", params={"agency": "<script>alert(1)</script>"})
    assert "<script>alert" not in hostile.text and "&lt;script&gt;" in hostile.text
    assert c.get("/", params={"status": "bogus"}).status_code == 400
    assert c.get("/", params={"year": "abc"}).status_code == 400
    assert c.get("/", params={"page": "0"}).status_code == 400


def test_report_page_lays_out_the_template_and_links_checks(review_db):
    c = client_for(review_db)
    page = c.get(f"/report/{review_db.tampered_sha}")
    assert page.status_code == 200
    text = page.text
    for label in ("第二十条第（一）项", "本年制发件数", "三、本年度办理结果", "（三）不予公开", "1.属于国家秘密",
                  "法人或其他组织", "行政复议", "未经复议直接起诉", "复议后起诉", "结果维持"):
        assert label in text, label
    # the wrong cell is doubtful, its failed identities name it, its crop is offered
    assert re.search(r'class="v s-doubtful[^"]*" data-key="applications\|1\|natural_person"', text)
    checks = re.findall(r'<li class="check cause-reading" data-cells="([^"]*)"', text)
    assert checks and all(CELL in c.split(" ") for c in checks)
    assert f"/crop/{review_db.tampered_sha}?cell=applications%7C1%7Cnatural_person" in text
    # the 2019 template lays out its own blocks
    other = next(sha for sha, v in _versions(review_db).items() if v == "2019")
    page19 = c.get(f"/report/{other}").text
    assert "第二十条第（九）项" in page19 and "上一年项目数量" in page19


def _versions(fx) -> dict:
    conn = db.connect(fx.db_path)
    try:
        return dict(conn.execute("SELECT sha256, version FROM documents"))
    finally:
        conn.close()


def test_settle_page_and_data_hold_the_review_cells(review_db):
    c = client_for(review_db)
    page = c.get(f"/report/{review_db.tampered_sha}/settle")
    assert page.status_code == 200
    data = json.loads(re.search(r'<script type="application/json" id="page-data">(.*?)</script>', page.text,
                                re.S).group(1))
    assert data["review"] == [CELL, model.key_str(SECOND_KEY)]
    cell = data["cells"][CELL]
    assert cell["value"] == review_db.wrong_value
    assert cell["alternatives"][0]["value"] == review_db.true_value
    assert cell["labels"]["row"] == "一、本年新收政府信息公开申请数量" and cell["labels"]["column"] == "自然人"
    assert any(CELL in i["lhs"] + i["rhs"] for i in data["identities"])
    js = c.get(f"/report/{review_db.tampered_sha}/data")
    assert js.status_code == 200 and js.json()["review"] == data["review"]
    assert c.get(f"/report/{review_db.tampered_sha}/settle", params={"cell": "x|y|z"}).status_code == 400
    # any printed cell can be opened in the settling view
    assert c.get(f"/report/{review_db.tampered_sha}/settle",
                 params={"cell": "applications|3.1|total"}).status_code == 200


def test_crop_is_rendered_from_the_pdf_and_cached_on_disk(review_db):
    c = client_for(review_db)
    url = f"/crop/{review_db.tampered_sha}"
    first = c.get(url, params={"cell": CELL})
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert first.content.startswith(b"\x89PNG")
    cached = list((crops.cache_dir_for(review_db.db_path) / "crops" / review_db.tampered_sha).glob("*.png"))
    assert len(cached) == 1
    mtime = cached[0].stat().st_mtime_ns
    again = client_for(review_db).get(url, params={"cell": CELL})    # a new server: from disk
    assert again.content == first.content and cached[0].stat().st_mtime_ns == mtime
    from PIL import Image
    import io
    image = Image.open(io.BytesIO(first.content))
    assert image.width > 150 and image.height > 60      # the cell with context, at a readable scale
    assert c.get(url, params={"cell": "active|nope|x"}).status_code == 404
    assert c.get(url).status_code == 404


def test_crop_of_a_document_whose_file_is_gone_is_a_clear_404(review_db):
    conn = db.connect(review_db.db_path)
    report = db.report_json(conn, review_db.tampered_sha)
    conn.execute("UPDATE documents SET path = '/nonexistent/moved.pdf' WHERE sha256 = ?", (review_db.tampered_sha,))
    conn.execute("DELETE FROM sources WHERE sha256 = ?", (review_db.tampered_sha,))
    conn.close()
    assert report
    r = client_for(review_db).get(f"/crop/{review_db.tampered_sha}", params={"cell": CELL})
    assert r.status_code == 404 and "not where it was read" in r.text and "Traceback" not in r.text


def test_save_correction_recomputes_identities_and_keeps_machine_reading(review_db):
    c = client_for(review_db)
    r = post_save(c, review_db, "correct", review_db.true_value)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == 1 and body["cell"]["state"] == "corrected" and body["open"] == 1
    conn = store.connect(review_db.db_path)
    assert conn.execute("SELECT value FROM cells WHERE sha256 = ? AND tbl = ? AND row = ? AND col = ?",
                        (review_db.tampered_sha, *TAMPERED_KEY)).fetchone()[0] == review_db.wrong_value
    saved = store.get(conn, review_db.tampered_sha, TAMPERED_KEY)
    assert (saved.machine_value, saved.new_value, saved.kind) == (review_db.wrong_value, review_db.true_value, "correct")
    assert saved.at > 0
    conn.close()
    page = c.get(f"/report/{review_db.tampered_sha}").text
    assert 'class="check cause-reading"' not in page                     # every identity holds again
    assert re.search(r'class="v s-corrected[^"]*" data-key="applications\|1\|natural_person"', page)
    corrected = c.get(f"/report/{review_db.tampered_sha}/json").json()
    cell = next(x for x in corrected["cells"] if (x["table"], x["row"], x["column"]) == TAMPERED_KEY)
    assert cell["value"] == review_db.true_value and cell["status"] == "confirmed"
    assert "correction" in cell["evidence"] and cell["correction"]["machine_value"] == review_db.wrong_value
    assert all(x["ok"] for x in corrected["checks"])
    assert corrected["review_cells"] == [list(SECOND_KEY)]


def test_other_decisions_and_undo(review_db):
    c = client_for(review_db)
    csrf = csrf_of(c)
    second = model.key_str(SECOND_KEY)
    r = post_save(c, review_db, "accept", cell=second, csrf=csrf)
    assert r.status_code == 200 and r.json()["cell"]["state"] == "accepted"
    r = post_save(c, review_db, "blank", version=0, csrf=csrf)
    assert r.status_code == 200 and r.json()["correction"]["value"] is None
    r = post_save(c, review_db, "as_printed", version=1, csrf=csrf)
    assert r.status_code == 200 and r.json()["cell"]["state"] == "issue"
    r = post_save(c, review_db, "cleared", version=2, csrf=csrf)
    assert r.status_code == 200 and r.json()["correction"] is None and r.json()["version"] == 3
    assert r.json()["open"] == 1
    conn = store.connect(review_db.db_path)
    assert conn.execute("SELECT COUNT(*) FROM correction_log").fetchone()[0] == 4
    conn.close()


def test_second_writer_of_a_cell_is_told_and_nothing_is_lost(review_db):
    alice, bob = client_for(review_db), client_for(review_db)
    assert post_save(alice, review_db, "correct", review_db.true_value, version=0).status_code == 200
    r = post_save(bob, review_db, "correct", 999, version=0)
    assert r.status_code == 409
    body = r.json()
    assert "someone else" in body["error"] and body["current"]["value"] == review_db.true_value
    assert body["version"] == 1
    r = post_save(bob, review_db, "correct", 999, version=1)     # told, bob may still decide
    assert r.status_code == 200 and r.json()["version"] == 2


@pytest.mark.parametrize("payload, status", [
    ({"sha256": "0" * 64, "cell": CELL, "kind": "accept", "version": 0}, 404),
    ({"sha256": "../../etc/passwd", "cell": CELL, "kind": "accept"}, 400),
    ({"cell": CELL, "kind": "accept"}, 400),
    ({"sha256": None, "cell": "applications|99|x", "kind": "accept"}, 400),
    ({"sha256": None, "cell": CELL, "kind": "delete"}, 400),
    ({"sha256": None, "cell": CELL, "kind": "correct", "value": "12"}, 400),
    ({"sha256": None, "cell": CELL, "kind": "correct", "value": 1, "version": -1}, 400),
    ({"sha256": None, "cell": CELL, "kind": "accept", "note": "x" * 600}, 400),
    ({"sha256": None, "cell": "active|20.9/procurement|items", "kind": "accept"}, 404),
])
def test_bad_saves_get_clear_4xx(review_db, payload, status):
    c = client_for(review_db)
    if "sha256" in payload and payload["sha256"] is None:
        payload = {**payload, "sha256": review_db.tampered_sha}
    r = c.post("/api/save", headers={"X-CSRF-Token": csrf_of(c)}, json=payload)
    assert r.status_code == status, r.text
    assert "error" in r.json() and "Traceback" not in r.text


def test_posts_need_csrf_json_and_a_writable_station(review_db):
    c = client_for(review_db)
    body = {"sha256": review_db.tampered_sha, "cell": CELL, "kind": "accept", "version": 0}
    assert c.post("/api/save", json=body).status_code == 403
    assert c.post("/api/save", json=body, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    r = c.post("/api/save", content=b"kind=accept", headers={"X-CSRF-Token": csrf_of(c),
                                                              "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    r = c.post("/api/save", content=b"{not json", headers={"X-CSRF-Token": csrf_of(c),
                                                            "Content-Type": "application/json"})
    assert r.status_code == 400
    assert c.put("/api/save", json=body, headers={"X-CSRF-Token": csrf_of(c)}).status_code == 405
    ro = client_for(review_db, read_only=True)
    page = ro.get("/")
    assert page.status_code == 200 and "read-only" in page.text
    r = ro.post("/api/save", json=body, headers={"X-CSRF-Token": csrf_of(ro)})
    assert r.status_code == 403 and "read-only" in r.json()["error"]


def test_token_is_required_on_every_request_when_set(review_db):
    c = client_for(review_db, token="s3cret-token-123")
    assert c.get("/").status_code == 401
    assert c.get(f"/crop/{review_db.tampered_sha}", params={"cell": CELL}).status_code == 401
    assert c.get("/static/review.js").status_code == 401
    assert c.get("/", headers={"X-Review-Token": "wrong-token-000"}).status_code == 401
    assert c.get("/", headers={"X-Review-Token": "s3cret-token-123"}).status_code == 200
    r = c.get("/?token=s3cret-token-123&status=all", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/?status=all"
    assert "httponly" in r.headers["set-cookie"].lower()
    assert c.get("/").status_code == 200              # the cookie carries it from now on


def test_unexpected_host_header_is_refused(review_db):
    c = TestClient(create_app(review_db.db_path, allowed_hosts=["127.0.0.1", "localhost"]),
                   base_url="http://127.0.0.1:8765")
    assert c.get("/").status_code == 200
    assert c.get("/", headers={"Host": "evil.example:8765"}).status_code == 400


def test_pages_and_errors_never_leak_a_trace(review_db):
    c = client_for(review_db)
    for url in ("/report/" + "0" * 64, "/report/nothex", "/report/" + "0" * 64 + "/settle",
                "/report/" + "0" * 64 + "/data", "/report/" + "0" * 64 + "/json", "/crop/zzz", "/nope",
                "/agency", "/agency?name=无此机关", "/static/../app.py"):
        r = c.get(url)
        assert 400 <= r.status_code < 500, url
        assert "Traceback" not in r.text and "File \"" not in r.text
    r = c.get("/")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"


def test_agency_page_has_cross_year_checks_and_chart(review_db):
    c = client_for(review_db)
    lst = c.get("/agencies")
    assert lst.status_code == 200 and review_db.agency in lst.text
    page = c.get("/agency", params={"name": review_db.agency})
    assert page.status_code == 200
    text = page.text
    assert f"row 2 of {review_db.year} = row 4 of {review_db.year - 1}" in text
    assert f"现行有效件数 {review_db.year} = 现行有效件数 {review_db.year - 1}" in text
    assert "<svg" in text and "<polyline" in text and "新收申请" in text
    assert f"/report/{review_db.tampered_sha}#cell-applications|2|natural_person" in text


def test_static_assets_are_served_locally(review_db):
    c = client_for(review_db)
    assert c.get("/static/review.js").status_code == 200
    assert c.get("/static/review.css").status_code == 200
    page = c.get(f"/report/{review_db.tampered_sha}").text
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page


def test_a_rerun_of_batch_keeps_corrections_and_shows_disagreement(review_db):
    c = client_for(review_db)
    assert post_save(c, review_db, "correct", review_db.true_value).status_code == 200
    conn = db.connect(review_db.db_path)
    report = db.report_json(conn, review_db.tampered_sha)
    conn.close()
    # A new pipeline version reads the document again, with a third value for the settled cell:
    # write_outcome replaces the document's rows (cells deleted and rewritten).
    import importlib
    extract_mod = importlib.import_module("pipeline.extract")
    from dataclasses import replace
    from pipeline import config as config_mod
    fresh = extract_mod.extract(str(review_db.tampered_pdf), replace(config_mod.DEFAULT, verify_text_layer=False))
    fresh.year = report["year"]
    fresh.sha256, fresh.source_path = review_db.tampered_sha, str(review_db.tampered_pdf)
    changed = next(x for x in fresh.cells if x.key == TAMPERED_KEY)
    changed.value = review_db.true_value + 100
    conn = db.connect(review_db.db_path)
    db.write_outcome(conn, db.Outcome(review_db.tampered_sha, str(review_db.tampered_pdf), db.STATUS_DONE,
                                      report=fresh), "9.9.9")
    conn.close()
    c2 = client_for(review_db)
    conn = store.connect(review_db.db_path)
    kept = store.get(conn, review_db.tampered_sha, TAMPERED_KEY)
    conn.close()
    assert kept.new_value == review_db.true_value and kept.machine_value == review_db.wrong_value
    page = c2.get(f"/report/{review_db.tampered_sha}").text
    assert "Read again since settled" in page
    assert re.search(r'class="v s-corrected changed" data-key="applications\|1\|natural_person"', page)
    queue = c2.get("/", params={"status": "all"}).text
    assert "1 changed" in queue


def test_crop_of_a_sideways_page_is_turned_upright(review_db):
    """A page whose content lies turned (pages[].rotation, clockwise) gives crops turned back."""
    from PIL import Image
    import io
    c = client_for(review_db)
    upright = Image.open(io.BytesIO(c.get(f"/crop/{review_db.tampered_sha}", params={"cell": CELL}).content))
    conn = db.connect(review_db.db_path)
    pages = json.loads(conn.execute("SELECT pages FROM documents WHERE sha256 = ?", (review_db.tampered_sha,)).fetchone()[0])
    page = next(x for x in db.report_json(conn, review_db.tampered_sha)["cells"]
                if (x["table"], x["row"], x["column"]) == TAMPERED_KEY)["page"]
    for p in pages:
        if p["page"] == page:
            p["rotation"] = 90
    conn.execute("UPDATE documents SET pages = ? WHERE sha256 = ?", (json.dumps(pages), review_db.tampered_sha))
    conn.close()
    turned = Image.open(io.BytesIO(client_for(review_db).get(f"/crop/{review_db.tampered_sha}",
                                                             params={"cell": CELL}).content))
    assert turned.size == (upright.height, upright.width)


def test_a_row_not_found_shows_the_page_of_its_table(review_db):
    """A review cell whose row the pipeline did not find has no crop: the page of its table instead."""
    missing = ("applications", "3.6", "total")       # the unsplit （六） row, which this report does not print
    conn = db.connect(review_db.db_path)
    conn.execute("UPDATE documents SET review_cells = ?, finished_at = finished_at + 1 WHERE sha256 = ?",
                 (json.dumps([list(TAMPERED_KEY), list(SECOND_KEY), list(missing)]), review_db.tampered_sha))
    conn.close()
    c = client_for(review_db)
    data = c.get(f"/report/{review_db.tampered_sha}/data").json()
    key = model.key_str(missing)
    assert data["review"][-1] == key
    cell = data["cells"][key]
    assert cell["printed"] is False and cell["near_page"] == data["cells"]["applications|3.5.5|total"]["page"]
    page = c.get(f"/page/{review_db.tampered_sha}", params={"n": cell["near_page"]})
    assert page.status_code == 200 and page.content.startswith(b"\x89PNG")
    assert c.get(f"/page/{review_db.tampered_sha}", params={"n": 99}).status_code == 404
    assert c.get(f"/page/{review_db.tampered_sha}", params={"n": "x"}).status_code == 400
    assert c.get(f"/page/{review_db.tampered_sha}").status_code == 404
    # a person types the value the page prints: the cell joins the report
    r = post_save(c, review_db, "correct", 0, cell=key)
    assert r.status_code == 200 and r.json()["open"] == 2
    corrected = c.get(f"/report/{review_db.tampered_sha}/json").json()
    assert any((x["table"], x["row"], x["column"]) == missing and x["value"] == 0 for x in corrected["cells"])
