"""One agency over the years: each cell id year by year (corrections applied), the cross-year
checks, and a small chart of the headline rows as inline SVG made here (no script, no CDN).

Cross-year checks, between the report of year Y and the one of year Y−1:
- `applications` row 2 (carried in) of Y = row 4 (carried over) of Y−1, for every column;
- `active` 现行有效件数 of Y = 现行有效件数 of Y−1 + 本年制发件数 of Y − 本年废止件数 of Y, for
  20.1/rules and 20.1/normative (2021 template columns; skipped where a year prints the 2019 ones).
"""
from __future__ import annotations

import html
import sqlite3
from typing import Optional

from pipeline import template as T
from pipeline.batch import db
from pipeline.review import model, store

HEADLINES = (
    (("applications", "1", "total"), "新收申请"),
    (("applications", "3.1", "total"), "予以公开"),
    (("applications", "3.7", "total"), "办结总计"),
    (("applications", "4", "total"), "结转下年"),
    (("review", "all", "review.total"), "行政复议"),
)
CHART_COLOURS = ("#1f6feb", "#2da44e", "#bf8700", "#8250df", "#cf222e")


def documents_of(conn: sqlite3.Connection, agency: str) -> list[dict]:
    rows = conn.execute("SELECT sha256, year, path, version FROM documents WHERE status = ? AND agency = ?"
                        " AND year IS NOT NULL ORDER BY year, path", (db.STATUS_DONE, agency)).fetchall()
    return [{"sha256": r[0], "year": r[1], "path": r[2], "version": r[3]} for r in rows]


def agency_years(conn: sqlite3.Connection, agency: str) -> Optional[dict]:
    docs = documents_of(conn, agency)
    if not docs:
        return None
    views = []
    for d in docs:
        view = model.ReportView.load(conn, d["sha256"])
        if view is not None:
            views.append(view)
    keys = store.order_keys([k for v in views for k in v.cells], [])
    values = [v.values() for v in views]
    rows = []
    for k in keys:
        rows.append({"key": k, "key_str": model.key_str(k), "labels": model.cell_labels(k, views[-1].version),
                     "cells": [{"value": vals.get(k), "present": k in v.cells or k in v.corrections,
                                "corrected": k in v.corrections and v.corrections[k].kind in ("correct", "blank"),
                                "sha256": v.sha256} for v, vals in zip(views, values)]})
    checks = cross_year_checks(views)
    return {"agency": agency, "docs": [{"sha256": v.sha256, "year": v.report["year"], "version": v.version,
                                         "path": v.report["source"]["path"]} for v in views],
            "rows": rows, "checks": checks, "chart": chart_svg(views)}


def cross_year_checks(views: list[model.ReportView]) -> list[dict]:
    out = []
    for cur in views:
        for prev in views:
            if prev.report["year"] != cur.report["year"] - 1:
                continue
            out += pair_checks(prev, cur)
    return out


def pair_checks(prev: model.ReportView, cur: model.ReportView) -> list[dict]:
    year = cur.report["year"]
    out = []
    pv, cv = prev.values(), cur.values()
    for col in (c.id for c in T.APPLICATION_COLUMNS):
        a, b = ("applications", "2", col), ("applications", "4", col)
        if a not in cur.cells and b not in prev.cells:
            continue
        carried_in = cv.get(a) if a in cv else MISSING
        carried_out = pv.get(b) if b in pv else MISSING
        out.append(_check(f"applications: row 2 of {year} = row 4 of {year - 1}", col,
                          carried_in, carried_out, [(cur, a)], [(prev, b)],
                          f"{_show(carried_in)} = {_show(carried_out)}", year))
    for row in ("20.1/rules", "20.1/normative"):
        k_now, k_prev = ("active", row, "in_force"), ("active", row, "in_force")
        k_iss, k_rep = ("active", row, "issued"), ("active", row, "repealed")
        if not all(k in cur.cells for k in (k_now, k_iss, k_rep)) or k_prev not in prev.cells:
            continue
        lhs = cv.get(k_now)
        rhs_terms = (pv.get(k_prev), cv.get(k_iss), cv.get(k_rep))
        rhs = (rhs_terms[0] or 0) + (rhs_terms[1] or 0) - (rhs_terms[2] or 0)
        detail = (f"{model.fmt(lhs)} = {model.fmt(rhs_terms[0])}+{model.fmt(rhs_terms[1])}"
                  f"−{model.fmt(rhs_terms[2])}")
        out.append(_check(f"active {row}: 现行有效件数 {year} = 现行有效件数 {year - 1} + 本年制发 − 本年废止",
                          "in_force", lhs, rhs, [(cur, k_now)],
                          [(prev, k_prev), (cur, k_iss), (cur, k_rep)], detail, year))
    return out


MISSING = object()      # a term the report does not print (a blank it prints counts 0, as in the identities)


def _check(rule, column, lhs, rhs, lhs_cells, rhs_cells, detail, year) -> dict:
    if lhs is MISSING or rhs is MISSING:
        ok, cause = False, "incomplete"
    else:
        ok = abs(float(lhs or 0) - float(rhs or 0)) < model.TOL
        cause = "ok" if ok else "document"
        if not ok:
            detail += f" ({model.fmt(lhs or 0)} ≠ {model.fmt(rhs or 0)})"
    return {"rule": rule, "column": column, "ok": ok, "cause": cause, "detail": detail, "year": year,
            "cells": [{"sha256": v.sha256, "key": model.key_str(k), "label": f"{v.report['year']} {k[1]} {k[2]}"}
                      for v, k in lhs_cells + rhs_cells]}


def _show(v) -> str:
    return "not printed" if v is MISSING else model.fmt(v)


def chart_svg(views: list[model.ReportView], width: int = 560, height: int = 220) -> str:
    """A line per headline row over the years, as an SVG element (escaped text, no script)."""
    years = [v.report["year"] for v in views]
    series = []
    for (key, label), colour in zip(HEADLINES, CHART_COLOURS):
        points = [(y, v.value(key)) for y, v in zip(years, views) if key in v.cells or key in v.corrections]
        points = [(y, float(x)) for y, x in points if x is not None]
        if points:
            series.append((label, colour, points))
    left, right, top, bottom = 48, 120, 12, 28
    pw, ph = width - left - right, height - top - bottom
    y_max = max([p for _, _, pts in series for _, p in pts] + [1.0])
    x_min, x_max = min(years), max(years)
    span = max(x_max - x_min, 1)

    def sx(year):
        return left + (pw * (year - x_min) / span if x_max > x_min else pw / 2)

    def sy(value):
        return top + ph - ph * value / y_max

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="headline rows over the years">',
             f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#888"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#888"/>',
             f'<text x="{left - 6}" y="{top + 8}" text-anchor="end" font-size="11">{model.fmt(_nice(y_max))}</text>',
             f'<text x="{left - 6}" y="{top + ph}" text-anchor="end" font-size="11">0</text>']
    for year in sorted(set(years)):
        parts.append(f'<text x="{sx(year):.1f}" y="{height - 8}" text-anchor="middle" font-size="11">{year}</text>')
    for i, (label, colour, pts) in enumerate(series):
        path = " ".join(f"{sx(y):.1f},{sy(v):.1f}" for y, v in pts)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        for y, v in pts:
            parts.append(f'<circle cx="{sx(y):.1f}" cy="{sy(v):.1f}" r="3" fill="{colour}">'
                         f'<title>{html.escape(label)} {y}: {model.fmt(v)}</title></circle>')
        ly = top + 14 + 16 * i
        parts.append(f'<rect x="{width - right + 12}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{width - right + 26}" y="{ly}" font-size="12">{html.escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _nice(v: float):
    return int(v) if float(v).is_integer() else round(v, 2)
