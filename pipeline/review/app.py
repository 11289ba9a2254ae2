"""The review station's web app (Starlette, Jinja2 templates, one plain script of ours) and its command.

    python -m pipeline review --db results.sqlite [--port 8765] [--host H --token T] [--read-only]

Pages: `/` the queue · `/report/{sha}` a report's three tables · `/report/{sha}/settle` the keyboard
settling view · `/agency?name=…` one agency over the years · `/agencies`. Data: `/report/{sha}/data`
(the settling script's JSON) · `/report/{sha}/json` (the contract JSON, corrections applied) ·
`/crop/{sha}?cell=table|row|column` (PNG) · `/page/{sha}?n=N` (a whole page, for a row not found) ·
`POST /api/save` (a decision about one cell).

Safety: binds 127.0.0.1 unless told otherwise, and then only with a token that every request must
carry (header X-Review-Token, or the cookie set when a page is opened with ?token=…); every POST
carries the page's CSRF token; documents are found by their hash in the database, never by a path
from a request; `--read-only` refuses every change; bad requests get a short 4xx answer, and an
unexpected error a plain 500 without a trace.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import secrets
import sqlite3
import threading
from pathlib import Path
from typing import Optional
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from pipeline.batch import db
from pipeline.review import crops as crops_mod
from pipeline.review import model, store, years

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 50
STATUSES = {"todo": "to settle", "settled": "settled", "issues": "document issues", "all": "all reports"}
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
TOKEN_COOKIE = "govreport_review_token"

MAX_BODY = 16_384
MAX_NOTE = 500


class Config:
    def __init__(self, db_path, read_only=False, token=None, allowed_hosts=None):
        self.db_path = Path(db_path)
        self.read_only = read_only
        self.token = token
        self.allowed_hosts = allowed_hosts      # None: any Host header (tests); else names without port
        self.cache_dir = crops_mod.cache_dir_for(db_path)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        secret_file = self.cache_dir / "csrf-secret"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_hex(32))
            secret_file.chmod(0o600)
        # Derived from a secret kept beside the database, so that a page stays valid across a restart.
        self.csrf = hmac.new(bytes.fromhex(secret_file.read_text().strip()), b"csrf", hashlib.sha256).hexdigest()


def create_app(db_path, read_only: bool = False, token: Optional[str] = None,
               allowed_hosts: Optional[list[str]] = None) -> Starlette:
    if not Path(db_path).is_file():
        raise FileNotFoundError(f"no results database at {db_path}")
    cfg = Config(db_path, read_only, token, allowed_hosts)
    local = threading.local()

    def conn() -> sqlite3.Connection:
        c = getattr(local, "conn", None)
        if c is None:
            c = local.conn = store.connect(cfg.db_path)
        return c

    store.refresh_summaries(conn())
    crops = crops_mod.Crops(cfg.db_path, conn)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(key_str=model.key_str, fmt=model.fmt, statuses=STATUSES)

    def render(request: Request, name: str, context: dict, status_code: int = 200) -> Response:
        context = {"csrf": cfg.csrf, "read_only": cfg.read_only, **context}
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    def load_view(sha: str) -> model.ReportView:
        if not SHA_RE.match(sha or ""):
            raise HTTPException(404, "no such document")
        view = model.ReportView.load(conn(), sha)
        if view is None:
            raise HTTPException(404, "no such document in the database")
        return view

    # --- pages ----------------------------------------------------------------------------------

    def queue(request: Request):
        c = conn()
        store.refresh_summaries(c)
        q = request.query_params
        status = q.get("status", "todo")
        if status not in STATUSES:
            raise HTTPException(400, f"status must be one of {', '.join(STATUSES)}")
        agency = (q.get("agency") or "").strip()[:200]
        year = _int_param(q.get("year"), "year", 1900, 2200)
        page = _int_param(q.get("page"), "page", 1, 10**6) or 1
        where, params = _queue_filter(status, agency, year)
        total, n_review, n_settled = c.execute(
            "SELECT COUNT(*), COALESCE(SUM(n_review), 0), COALESCE(SUM(MIN(n_settled, n_review)), 0)"
            f" FROM review_queue WHERE {where}", params).fetchone()
        rows = c.execute(
            "SELECT sha256, path, agency, year, n_pages, version, n_review, n_settled, n_failed, n_issues,"
            f" n_disagree FROM review_queue WHERE {where} ORDER BY agency, year, path LIMIT ? OFFSET ?",
            (*params, PAGE_SIZE, (page - 1) * PAGE_SIZE)).fetchall()
        reports = [dict(zip(("sha256", "path", "agency", "year", "n_pages", "version", "n_review", "n_settled",
                             "n_failed", "n_issues", "n_disagree"), r)) for r in rows]
        years_list = [r[0] for r in c.execute("SELECT DISTINCT year FROM review_queue WHERE year IS NOT NULL"
                                              " ORDER BY year")]
        pages = max(1, math.ceil(total / PAGE_SIZE))
        base = {"status": status, "agency": agency, "year": year or ""}
        first_todo = next((r["sha256"] for r in reports if r["n_settled"] < r["n_review"]), None)
        return render(request, "queue.html", {
            "reports": reports, "status": status, "agency": agency, "year": year, "years": years_list,
            "total": total, "n_review": n_review, "n_settled": n_settled, "page": page, "pages": pages,
            "prev_url": "/?" + urlencode({**base, "page": page - 1}) if page > 1 else None,
            "next_url": "/?" + urlencode({**base, "page": page + 1}) if page < pages else None,
            "first_todo": first_todo})

    def report_page(request: Request):
        view = load_view(request.path_params["sha"])
        checks = view.checks()
        issue_keys = view.issue_cells(checks)
        states = {model.key_str(k): view.cell_state(k, issue_keys)
                  for k in set(view.cells) | set(view.review_keys) | set(view.corrections)}
        failed = [c for c in checks if not c["ok"]]
        issues = view.document_issues(checks)
        open_keys = view.open_review_keys()
        data = model.page_json(view)
        return render(request, "report.html", {
            "view": view, "doc": view.report, "layout": model.layout(view.version, view.split_six),
            "states": states, "values": {model.key_str(k): v for k, v in view.values().items()},
            "failed": failed, "issues": issues, "n_checks": len(checks),
            "review_total": len(view.review_keys), "open_keys": [model.key_str(k) for k in open_keys],
            "strip": [model.key_str(k) for k in open_keys[:40]],
            "disagree": {model.key_str(k): v for k, v in view.disagreements().items()},
            "cells": data["cells"], "data_json": model.dumps_for_script(data)})

    def settle_page(request: Request):
        view = load_view(request.path_params["sha"])
        data = model.page_json(view)
        start = request.query_params.get("cell")
        if start is not None and start not in data["cells"]:
            raise HTTPException(400, "no such cell in this document")
        data["start"] = start
        data["next_report"] = _next_todo(conn(), view.sha256)
        return render(request, "settle.html", {"view": view, "doc": view.report,
                                               "data_json": model.dumps_for_script(data)})

    def report_data(request: Request):
        view = load_view(request.path_params["sha"])
        return JSONResponse(model.page_json(view))

    def report_json(request: Request):
        view = load_view(request.path_params["sha"])
        body = json.dumps(view.corrected_json(), ensure_ascii=False, indent=1)
        name = Path(view.report["source"]["path"]).stem or view.sha256
        return Response(body, media_type="application/json; charset=utf-8",
                        headers={"Content-Disposition": f"inline; filename=\"{_ascii(name)}.json\""})

    async def crop(request: Request):
        # On the event loop: one indexed lookup and a small file read; rendering (first time only)
        # goes to a worker thread. A report page asks for dozens of these at once.
        sha = request.path_params["sha"]
        if not SHA_RE.match(sha):
            raise HTTPException(404, "no such document")
        key = model.parse_key(request.query_params.get("cell", ""))
        row = None if key is None else conn().execute(
            "SELECT c.page, c.bbox FROM cells c JOIN documents d USING (sha256) WHERE c.sha256 = ? AND c.tbl = ?"
            " AND c.row = ? AND c.col = ? AND d.status = ?", (sha, *key, db.STATUS_DONE)).fetchone()
        if row is None:
            raise HTTPException(404, "no such cell in this document")
        page, bbox = row[0], json.loads(row[1]) if row[1] else None
        cached = crops.cached(sha, page, bbox)
        try:
            path = cached if cached is not None else await run_in_threadpool(crops.file_for, sha, page, bbox)
            body = path.read_bytes()
        except crops_mod.NotAvailable as e:
            raise HTTPException(404, str(e))
        return Response(body, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})

    def page_image(request: Request):
        view = load_view(request.path_params["sha"])
        n = _int_param(request.query_params.get("n"), "n", 1, 10_000)
        if n is None or n > (view.report["source"]["pages"] or 0):
            raise HTTPException(404, "no such page in this document")
        try:
            path = crops.page_file(view.sha256, n)
        except crops_mod.NotAvailable as e:
            raise HTTPException(404, str(e))
        return Response(path.read_bytes(), media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})

    def agencies(request: Request):
        rows = conn().execute("SELECT agency, COUNT(*), MIN(year), MAX(year) FROM documents WHERE status = ?"
                              " AND agency IS NOT NULL GROUP BY agency ORDER BY agency", (db.STATUS_DONE,))
        return render(request, "agencies.html", {"agencies": rows.fetchall()})

    def agency(request: Request):
        name = (request.query_params.get("name") or "").strip()
        if not name:
            raise HTTPException(400, "name the agency: /agency?name=…")
        data = years.agency_years(conn(), name)
        if data is None:
            raise HTTPException(404, "no report of this agency in the database")
        return render(request, "agency.html", data)

    async def save(request: Request):
        if cfg.read_only:
            raise HTTPException(403, "read-only: this review station does not save changes")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise HTTPException(415, "send JSON (Content-Type: application/json)")
        body = await request.body()
        if len(body) > MAX_BODY:
            raise HTTPException(413, "request too large")
        try:
            data = json.loads(body)
        except ValueError:
            raise HTTPException(400, "the body is not JSON")
        if not isinstance(data, dict):
            raise HTTPException(400, "send a JSON object")
        sha = data.get("sha256")
        if not isinstance(sha, str) or not SHA_RE.match(sha):
            raise HTTPException(400, "sha256: the document's hash")
        key = model.parse_key(data.get("cell") if isinstance(data.get("cell"), str) else "")
        if key is None:
            raise HTTPException(400, "cell: table|row|column of a template cell")
        kind = data.get("kind")
        if kind not in store.KINDS + (store.CLEARED,):
            raise HTTPException(400, f"kind: one of {', '.join(store.KINDS + (store.CLEARED,))}")
        version = data.get("version", 0)
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise HTTPException(400, "version: the version of the cell you saw (0 if never saved)")
        value = data.get("value")
        if kind == "correct":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise HTTPException(400, "value: a number")
        note = data.get("note")
        if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
            raise HTTPException(400, f"note: text of at most {MAX_NOTE} characters")
        return await run_in_threadpool(_save, sha, key, kind, value, note, version)

    def _save(sha, key, kind, value, note, version):
        c = conn()
        view = model.ReportView.load(c, sha)
        if view is None:
            raise HTTPException(404, "no such document in the database")
        if key not in view.cells and key not in view.review_keys:
            raise HTTPException(404, "this document does not print that cell")
        try:
            saved = store.save(c, sha, key, kind, value, note or None, version)
        except store.Conflict as e:
            current = e.current.to_json() if e.current else None
            return JSONResponse({"error": "someone else saved this cell meanwhile; their decision is shown,"
                                          " yours was not saved", "current": current,
                                 "version": e.current.version if e.current else 0}, status_code=409)
        view = model.ReportView.load(c, sha)
        checks = view.checks()
        return JSONResponse({"ok": True, "correction": saved.to_json() if saved.active else None,
                             "version": saved.version,
                             "cell": model.cell_json(view, key, view.issue_cells(checks)),
                             "open": len(view.open_review_keys()), "total": len(view.review_keys)})

    routes = [
        Route("/", queue),
        Route("/report/{sha}", report_page),
        Route("/report/{sha}/settle", settle_page),
        Route("/report/{sha}/data", report_data),
        Route("/report/{sha}/json", report_json),
        Route("/crop/{sha}", crop),
        Route("/page/{sha}", page_image),
        Route("/agencies", agencies),
        Route("/agency", agency),
        Route("/api/save", save, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]

    def http_error(request: Request, exc: HTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else "bad request"
        if request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"error": detail}, status_code=exc.status_code, headers=exc.headers)
        return PlainTextResponse(f"{exc.status_code}: {detail}\n", status_code=exc.status_code,
                                 headers=exc.headers)

    def server_error(request: Request, exc: Exception):
        log.exception("error serving %s", request.url.path)
        return PlainTextResponse("500: internal error (details in the server's log)\n", status_code=500)

    app = Starlette(routes=routes, middleware=[Middleware(Guard, cfg=cfg)],
                    exception_handlers={HTTPException: http_error, Exception: server_error})
    app.state.cfg = cfg
    return app


class Guard:
    """Host check, token, CSRF on every change, and headers that keep the pages to themselves."""

    def __init__(self, app, cfg: Config):
        self.app = app
        self.cfg = cfg

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        refusal = self.check(request)
        if refusal is not None:
            return await refusal(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers += [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                            (b"referrer-policy", b"no-referrer"),
                            (b"content-security-policy",
                             b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline';"
                             b" script-src 'self'; frame-ancestors 'none'; form-action 'self'")]
            await send(message)
        await self.app(scope, receive, send_with_headers)

    def check(self, request: Request) -> Optional[Response]:
        cfg = self.cfg
        if cfg.allowed_hosts is not None:
            host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]").lower()
            if host not in cfg.allowed_hosts:
                return PlainTextResponse("400: unexpected Host header\n", status_code=400)
        if cfg.token:
            given = (request.headers.get("x-review-token") or request.cookies.get(TOKEN_COOKIE)
                     or request.query_params.get("token") or "")
            if not hmac.compare_digest(given.encode(), cfg.token.encode()):
                return PlainTextResponse("401: this review station needs its token: open it with ?token=…\n",
                                         status_code=401)
            if request.method == "GET" and "token" in request.query_params:
                # keep the token out of the address bar and the history: a cookie carries it from now on
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                url = request.url.path + ("?" + urlencode(rest) if rest else "")
                response = RedirectResponse(url, status_code=303)
                response.set_cookie(TOKEN_COOKIE, cfg.token, httponly=True, samesite="strict")
                return response
        if request.method not in ("GET", "HEAD"):
            if request.method != "POST":
                return PlainTextResponse("405: method not allowed\n", status_code=405)
            if not hmac.compare_digest((request.headers.get("x-csrf-token") or "").encode(), cfg.csrf.encode()):
                return JSONResponse({"error": "missing or wrong CSRF token: reload the page"}, status_code=403)
        return None


def _queue_filter(status: str, agency: str, year: Optional[int]) -> tuple[str, list]:
    where = ["1"]
    params: list = []
    if status == "todo":
        where.append("(n_settled < n_review OR n_disagree > 0)")
    elif status == "settled":
        where.append("n_review > 0 AND n_settled >= n_review AND n_disagree = 0")
    elif status == "issues":
        where.append("n_issues > 0")
    if agency:
        where.append("agency LIKE ? ESCAPE '\\'")
        params.append("%" + agency.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    if year:
        where.append("year = ?")
        params.append(year)
    return " AND ".join(where), params


def _next_todo(conn: sqlite3.Connection, sha: str) -> Optional[str]:
    """The next report of the queue (agency, year, path order) with cells to settle, after this one."""
    cur = conn.execute("SELECT agency, year, path FROM review_queue WHERE sha256 = ?", (sha,)).fetchone()
    if cur is None:
        return None
    row = conn.execute(
        "SELECT sha256 FROM review_queue WHERE n_settled < n_review AND sha256 != ?"
        " AND (COALESCE(agency, ''), COALESCE(year, 0), path) > (COALESCE(?, ''), COALESCE(?, 0), ?)"
        " ORDER BY agency, year, path LIMIT 1", (sha, *cur)).fetchone()
    if row is None:
        row = conn.execute("SELECT sha256 FROM review_queue WHERE n_settled < n_review AND sha256 != ?"
                           " ORDER BY agency, year, path LIMIT 1", (sha,)).fetchone()
    return row[0] if row else None


def _int_param(text: Optional[str], name: str, lo: int, hi: int) -> Optional[int]:
    if text is None or text == "":
        return None
    try:
        v = int(text)
    except ValueError:
        raise HTTPException(400, f"{name}: a whole number")
    if not lo <= v <= hi:
        raise HTTPException(400, f"{name}: out of range")
    return v


def _ascii(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text) or "report"
