"""A report as the review station sees it: the cells with corrections applied, the identities
recomputed over those values, the template's layout with its Chinese labels, and the corrected
contract JSON that `export --format json` writes.

No web code here: the export uses it too.
"""
from __future__ import annotations

import copy
import json
import re
import sqlite3
from typing import Optional

from pipeline import template as T
from pipeline.batch import db
from pipeline.checks import format_value
from pipeline.review import store

Key = tuple[str, str, str]
TOL = 1e-6


def key_str(key) -> str:
    """A cell id as one string for HTML and URLs: table|row|column (ids never hold '|')."""
    return "|".join(key)


def parse_key(text: str) -> Optional[Key]:
    """The cell id of a key string, if it is a cell of the template; None otherwise."""
    parts = tuple((text or "").split("|"))
    return parts if len(parts) == 3 and parts in _ALL_KEYS else None


_ALL_KEYS = set(T.all_cell_keys())
_NAMED_ROW = re.compile(r"\b(active|applications|review) ([0-9][0-9./a-z_]*|all)\b")


fmt = format_value       # the checks' own way of printing a value, in the station's details


def doc_version(report: dict) -> str:
    """The template version to lay the document out in: its own, else the one its columns show."""
    if report.get("version") in T.VERSIONS:
        return report["version"]
    cols = {c["column"] for c in report["cells"] if c["table"] == T.TABLE_ACTIVE}
    return "2019" if cols & {"new_made", "prev_items", "items"} else "2021"


def app_rows(report: dict) -> list[str]:
    return list(dict.fromkeys(c["row"] for c in report["cells"] if c["table"] == T.TABLE_APPLICATIONS))


def split_six(report: dict) -> bool:
    return "3.6" not in app_rows(report)


# --- identities -------------------------------------------------------------------------------

def identities(report: dict) -> list[dict]:
    """The template identities over the cells this document prints, as plain data (for the page's
    script too): rule, column, lhs and rhs cell ids."""
    printed = {(c["table"], c["row"], c["column"]) for c in report["cells"]}
    rows = app_rows(report) or [r.id for r in T.table_spec(T.TABLE_APPLICATIONS, doc_version(report),
                                                            split_six(report)).rows]
    out = []
    for ident in T.identities(rows):
        lhs = [(ident.table, r, c) for r, c in ident.lhs]
        rhs = [(ident.table, r, c) for r, c in ident.rhs]
        if ident.table == T.TABLE_APPLICATIONS and not app_rows(report):
            continue
        if ident.table == T.TABLE_REVIEW and not any(k in printed for k in lhs + rhs):
            continue
        out.append({"rule": ident.rule, "column": ident.column, "lhs": lhs, "rhs": rhs})
    return out


def evaluate(ident: dict, values: dict[Key, object], present: set[Key]) -> Optional[dict]:
    """ok and detail of one identity over `values` (blank counts 0), None when a term is not printed."""
    terms = ident["lhs"] + ident["rhs"]
    if any(k not in present for k in terms):
        return None
    lsum = sum(values.get(k) or 0 for k in ident["lhs"])
    rsum = sum(values.get(k) or 0 for k in ident["rhs"])
    ok = abs(lsum - rsum) < TOL
    detail = (f"{'+'.join(fmt(values.get(k)) for k in ident['lhs'])} = "
              f"{'+'.join(fmt(values.get(k)) for k in ident['rhs'])}")
    if not ok:
        detail += f" ({fmt(lsum)} ≠ {fmt(rsum)})"
    return {"ok": ok, "detail": detail}


# --- the report with its corrections ----------------------------------------------------------

class ReportView:
    """One done document of the database, its corrections applied (machine readings kept beside)."""

    def __init__(self, report: dict, corrections: dict[Key, store.Correction], review_keys: list[Key]):
        self.report = report
        self.sha256 = report["source"]["sha256"]
        # every saved version, taken-back decisions included (the next save must name it)
        self.versions = {k: c.version for k, c in corrections.items()}
        self.corrections = {k: c for k, c in corrections.items() if c.active}
        self.cells = {(c["table"], c["row"], c["column"]): c for c in report["cells"]}
        self.review_keys = review_keys
        self.version = doc_version(report)
        self.split_six = split_six(report)
        self.identities = identities(report)

    @classmethod
    def load(cls, conn: sqlite3.Connection, sha256: str) -> Optional["ReportView"]:
        report = db.report_json(conn, sha256)
        if report is None:
            return None
        return cls(report, store.corrections_for(conn, sha256, include_cleared=True),
                   store.review_keys(conn, sha256))

    # values
    def value(self, key: Key):
        c = self.corrections.get(key)
        if c is not None:
            return c.new_value
        cell = self.cells.get(key)
        return cell["value"] if cell else None

    def values(self) -> dict[Key, object]:
        return {k: self.value(k) for k in set(self.cells) | set(self.corrections)}

    def present(self) -> set[Key]:
        return set(self.cells) | {k for k, c in self.corrections.items() if c.kind == "correct"}

    def settled(self, key: Key) -> bool:
        return key in self.corrections

    def confirmed(self, key: Key) -> bool:
        """Confirmed by the pipeline's evidence or by a person."""
        if key in self.corrections:
            return True
        cell = self.cells.get(key)
        return bool(cell) and cell.get("status") == "confirmed" and key not in self.review_keys

    def cell_state(self, key: Key, issue_keys: set[Key]) -> str:
        """confirmed | doubtful | corrected | accepted | issue | missing: the colour of a cell."""
        c = self.corrections.get(key)
        if c is not None:
            if c.kind == "as_printed":
                return "issue"
            return "accepted" if c.kind == "accept" else "corrected"
        if key in issue_keys:
            return "issue"
        if key not in self.cells:
            return "missing"
        return "confirmed" if self.confirmed(key) else "doubtful"

    # checks
    def checks(self) -> list[dict]:
        """Every identity over the effective values, with the cause of a failure: `document` when
        every term is confirmed (by evidence or a person), else `reading`; then the stored checks
        that are no template identity (e.g. prose against table), as read."""
        values, present = self.values(), self.present()
        out = []
        rules = set()
        for ident in self.identities:
            rules.add((ident["rule"], ident["column"]))
            res = evaluate(ident, values, present)
            if res is None:
                continue
            terms = ident["lhs"] + ident["rhs"]
            check = {"rule": ident["rule"], "column": ident["column"], "ok": res["ok"], "detail": res["detail"],
                     "cells": terms}
            if not res["ok"]:
                check["cause"] = "document" if all(self.confirmed(k) for k in terms) else "reading"
            out.append(check)
        for c in self.report["checks"]:
            if (c["rule"], c["column"]) not in rules:
                out.append({**c, "cells": self.cells_of(c["rule"], c["column"])})
        return out

    def document_issues(self, checks: Optional[list[dict]] = None) -> list[dict]:
        """Failures the document prints (every term confirmed), and the stored issues that are no
        template identity."""
        checks = self.checks() if checks is None else checks
        rules = {(i["rule"], i["column"]) for i in self.identities}
        out = [{"rule": c["rule"], "column": c["column"], "detail": c["detail"]}
               for c in checks if not c["ok"] and c.get("cause") == "document" and c["cells"]]
        out += [i for i in self.report.get("document_issues", []) if (i["rule"], i["column"]) not in rules]
        return out

    def cells_of(self, rule: str, column: str) -> list[Key]:
        """The cells a check or document issue is about: an identity's terms; for another rule
        (prose against table: "narrative: … = applications 1 总计"), the table and row it names."""
        for ident in self.identities:
            if ident["rule"] == rule and ident["column"] == column:
                return ident["lhs"] + ident["rhs"]
        match = _NAMED_ROW.search(rule or "")
        if match:
            key = (match.group(1), match.group(2), column)
            if key in _ALL_KEYS:
                return [key]
        return []

    def issue_cells(self, checks: list[dict]) -> set[Key]:
        """Cells of failures the document prints: identities whose every term is confirmed, and the
        stored document issues (prose against table) where they name a cell."""
        keys = {tuple(k) for c in checks if not c["ok"] and c.get("cause") == "document" for k in c["cells"]}
        for issue in self.report.get("document_issues", []):
            keys.update(self.cells_of(issue["rule"], issue["column"]))
        return keys

    def open_review_keys(self) -> list[Key]:
        return [k for k in self.review_keys if k not in self.corrections]

    def disagreements(self) -> dict[Key, object]:
        """Cells whose current reading disagrees with a correction made on an earlier reading."""
        return {k: self.cells[k]["value"] if k in self.cells else None for k, c in self.corrections.items()
                if store.disagrees(c, self.cells[k]["value"] if k in self.cells else None, k in self.cells)}

    # the corrected contract JSON
    def corrected_json(self) -> dict:
        """The contract JSON with the corrections applied: a settled cell takes the person's value,
        its `evidence` gains `correction` and its status is `confirmed` (the machine's value and text
        stay in `correction`); checks, review_cells, document_issues and needs_review follow."""
        out = copy.deepcopy(self.report)
        if not self.corrections:
            return out
        by_key = {(c["table"], c["row"], c["column"]): c for c in out["cells"]}
        for key, corr in self.corrections.items():
            cell = by_key.get(key)
            if cell is None:
                if corr.kind != "correct" and corr.kind != "blank":
                    continue
                cell = {"table": key[0], "row": key[1], "column": key[2], "value": None, "text": "",
                        "confidence": None, "page": None, "bbox": None, "status": "doubtful",
                        "evidence": [], "note": None}
                out["cells"].append(cell)
                by_key[key] = cell
            cell["value"] = corr.new_value
            cell["status"] = "confirmed"
            cell["evidence"] = list(cell.get("evidence") or []) + ["correction"]
            cell["correction"] = {"kind": corr.kind, "machine_value": corr.machine_value,
                                  "machine_text": corr.machine_text, "at": corr.at, "note": corr.note}
            if corr.note and not cell.get("note"):
                cell["note"] = corr.note
        order = {k: i for i, k in enumerate(store.order_keys(by_key, [tuple(k) for k in self.cells]))}
        out["cells"].sort(key=lambda c: order[(c["table"], c["row"], c["column"])])
        checks = self.checks()
        out["checks"] = [{k: v for k, v in c.items() if k != "cells"} for c in checks]
        out["review_cells"] = [list(k) for k in self.report.get("review_cells", [])
                               if tuple(k) not in self.corrections]
        out["document_issues"] = self.document_issues(checks)
        out["needs_review"] = bool(out["review_cells"]) or any(
            not c["ok"] and c.get("cause") == "reading" for c in checks)
        if not out["needs_review"]:
            out["review_reasons"] = []
        return out


# --- layout: the three tables as the template prints them -------------------------------------

def layout(version: str, six_split: bool) -> dict:
    """Rows of header and data cells per table, with spans, for the report page."""
    return {"active": _layout_active(version), "applications": _layout_applications(version, six_split),
            "review": _layout_review()}


def _layout_active(version: str) -> list[dict]:
    blocks = []
    for b in T.ACTIVE_BLOCKS[version]:
        blocks.append({"heading": b.heading, "columns": [(c.id, c.label) for c in b.columns],
                       "rows": [(r.id, r.label) for r in b.rows]})
    return blocks


def _layout_applications(version: str, six_split: bool) -> dict:
    rows = T.table_spec(T.TABLE_APPLICATIONS, version, six_split).rows
    depth = 3
    out = []
    for i, r in enumerate(rows):
        label_cells = []
        for level, parent in enumerate(r.parents):
            prev = rows[i - 1].parents[:level + 1] if i else None
            if prev == r.parents[:level + 1]:
                continue
            span = 1
            while i + span < len(rows) and rows[i + span].parents[:level + 1] == r.parents[:level + 1]:
                span += 1
            label_cells.append({"text": parent, "rowspan": span, "colspan": 1})
        label_cells.append({"text": r.label, "rowspan": 1, "colspan": depth - len(r.parents)})
        out.append({"id": r.id, "labels": label_cells})
    return {"corner": T.APPLICATIONS_CORNER, "group": T.APPLICANT_GROUP, "org_group": T.ORG_GROUP,
            "columns": [(c.id, c.label) for c in T.APPLICATION_COLUMNS], "rows": out, "depth": depth}


def _layout_review() -> dict:
    return {"groups": T.REVIEW_GROUPS, "outcomes": T.REVIEW_OUTCOMES, "suit": T.REVIEW_SUIT_GROUP,
            "columns": [c.id for c in T.REVIEW_COLUMNS]}


def row_label(table: str, row: str) -> str:
    for version in T.VERSIONS:
        for split in (True, False):
            spec = T.table_spec(table, version, split)
            r = next((x for x in spec.rows if x.id == row), None)
            if r:
                return " › ".join((*r.parents, r.label)) if r.label else ""
    return row


def column_label(table: str, column: str, version: str = "2021") -> str:
    if table == T.TABLE_REVIEW:
        g, o = column.split(".")
        group = dict(T.REVIEW_GROUPS)[g]
        parent = f"{T.REVIEW_SUIT_GROUP} › " if g != "review" else ""
        return f"{parent}{group} › {dict(T.REVIEW_OUTCOMES)[o]}"
    if table == T.TABLE_APPLICATIONS:
        label = dict((c.id, c.label) for c in T.APPLICATION_COLUMNS)[column]
        if column in T.APPLICANT_PART_COLUMNS[1:]:
            return f"{T.ORG_GROUP} › {label}"
        return label
    for v in (version,) + T.VERSIONS:
        for b in T.ACTIVE_BLOCKS[v]:
            for c in b.columns:
                if c.id == column:
                    return c.label
    return column


def block_of(row: str, version: str) -> str:
    for b in T.ACTIVE_BLOCKS.get(version, ()):
        if any(r.id == row for r in b.rows):
            return b.heading
    return ""


def cell_labels(key: Key, version: str) -> dict:
    table, row, column = key
    rl = row_label(table, row)
    if table == T.TABLE_ACTIVE:
        rl = f"{block_of(row, version)} › {rl}".strip(" ›")
    if table == T.TABLE_REVIEW:
        rl = T.SECTION_TITLES[T.TABLE_REVIEW]
    return {"table": T.SECTION_TITLES[table], "row": rl, "column": column_label(table, column, version)}


def cell_json(view: ReportView, key: Key, issue_keys: set[Key]) -> dict:
    """What the page's script knows about one cell."""
    cell = view.cells.get(key)
    corr = view.corrections.get(key)
    d = {"key": key_str(key), "table": key[0], "row": key[1], "column": key[2],
         "labels": cell_labels(key, view.version), "state": view.cell_state(key, issue_keys),
         "printed": cell is not None, "review": key in view.review_keys}
    if cell:
        d.update({"value": cell["value"], "text": cell["text"], "confidence": cell.get("confidence"),
                  "page": cell.get("page"), "bbox": cell.get("bbox"), "status": cell.get("status"),
                  "evidence": cell.get("evidence") or [], "note": cell.get("note"),
                  "flags": cell.get("flags") or [], "alternatives": cell.get("alternatives") or []})
    else:
        d.update({"value": None, "text": None, "page": None, "bbox": None, "status": None, "evidence": [],
                  "alternatives": [], "flags": [], "note": None, "near_page": near_page(view, key)})
    d["correction"] = corr.to_json() if corr else None
    d["version"] = view.versions.get(key, 0)
    if key in view.cells and corr is not None and store.disagrees(corr, cell["value"]):
        d["disagree"] = True
    return d


def near_page(view: ReportView, key: Key) -> Optional[int]:
    """Where to look for a cell whose row was not found: the page of the cell of its table printed
    just before it in template order (else the table's first page)."""
    order = store.order_keys([k for k in view.cells if k[0] == key[0]] + [key], [])
    at = order.index(key)
    before = [k for k in order[:at] if view.cells[k].get("page")]
    after = [k for k in order[at + 1:] if view.cells[k].get("page")]
    pick = before[-1] if before else (after[0] if after else None)
    return view.cells[pick]["page"] if pick else None


def page_json(view: ReportView) -> dict:
    """Everything the settling script needs: cells, identities, review order."""
    checks = view.checks()
    issue_keys = view.issue_cells(checks)
    keys = list(dict.fromkeys(list(view.cells) + list(view.review_keys) + list(view.corrections)))
    return {"sha256": view.sha256, "version": view.version,
            "cells": {key_str(k): cell_json(view, k, issue_keys) for k in keys},
            "identities": [{"rule": i["rule"], "column": i["column"], "lhs": [key_str(k) for k in i["lhs"]],
                            "rhs": [key_str(k) for k in i["rhs"]]} for i in view.identities],
            "review": [key_str(k) for k in view.review_keys]}


def dumps_for_script(data) -> str:
    """JSON safe inside a <script> element."""
    return (json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))
