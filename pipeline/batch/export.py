"""Exports of a results database: csv (a folder of files), xlsx (one workbook), parquet (a folder),
json (a folder: the contract JSON of each report, corrections applied).

Values are the corrected ones where a person settled a cell in the review station
(pipeline.review); the machine's reading stays beside it in the long table.

Tables:
- wide: one row per read report (agency, year, version, needs_review, …) and one column per
  template cell, named `table:row:column` by its ids (`applications:3.3.6:natural_person`);
- labels: each wide cell column with its table, row, column ids and its Chinese label;
- cells: the long table, one row per cell of each report, with `machine_value`, `value_source`
  (`machine`, or `corrected` where a person set the value) and `settled` (the person's decision:
  accept, correct, blank, as_printed; empty where none);
- checks: each report's identity checks (recomputed over the corrected values where a report has
  corrections), then the cross-year checks;
- cross_year: `applications` row 2 of year Y against row 4 of year Y−1, same agency, per column;
- documents: every input, including the ones that could not be read, with the reason.

CSV files are UTF-8 with a BOM so that Excel shows the Chinese right.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from pipeline import template
from pipeline.batch import EXPORT_FORMATS, db
from pipeline.review import model as review_model
from pipeline.review import store as review_store

log = logging.getLogger(__name__)

FORMATS = EXPORT_FORMATS
SET_BY_PERSON = ("correct", "blank")     # decisions whose value is the person's, not the machine's
DOC_COLUMNS = ["sha256", "path", "agency", "year", "version", "needs_review", "n_pages"]
CROSS_YEAR_RULE = "cross-year: applications 2 (year Y) = 4 (year Y-1)"
XLSX_MAX_ROWS = 1_048_575   # Excel's sheet limit, less the header


def cell_column(table: str, row: str, column: str) -> str:
    """The wide table's column name of a template cell: its ids joined by ':' (ids never hold ':')."""
    return f"{table}:{row}:{column}"


def labels_table() -> pd.DataFrame:
    keys = template.all_cell_keys()
    return pd.DataFrame({
        "column": [cell_column(*k) for k in keys],
        "table": [k[0] for k in keys], "row": [k[1] for k in keys], "col": [k[2] for k in keys],
        "label": [template.label_of(*k) for k in keys],
    })


def documents_table(conn) -> pd.DataFrame:
    return pd.read_sql_query(
        "SELECT sha256, path, status, error, version, agency, year, n_pages, needs_review,"
        " pipeline_version, seconds, worker, finished_at FROM documents ORDER BY path", conn,
        dtype={"year": "Int64", "n_pages": "Int64", "needs_review": "boolean"})


def _corrections(conn) -> dict:
    """Every person's decision, by document and cell (the review tables are made if absent)."""
    review_store.ensure_schema(conn)
    return review_store.all_corrections(conn)


def cells_table(conn, corrections: dict | None = None) -> pd.DataFrame:
    # Straight from sqlite, not via pandas, so that values keep their type (ints print as ints in
    # csv and xlsx; parquet gets one numeric type on writing).
    corrections = _corrections(conn) if corrections is None else corrections
    columns = ["sha256", "agency", "year", "version", "table", "row", "column", "value", "text",
               "confidence", "page", "flags", "machine_value", "value_source", "settled",
               "status", "evidence", "note"]
    rows = []
    last, printed = None, set()
    for sha, agency, year, version, tbl, row, col, value, text, conf, page, flags, status, evidence, note \
            in conn.execute(
            "SELECT d.sha256, d.agency, d.year, d.version, c.tbl, c.row, c.col, c.value, c.text,"
            " c.confidence, c.page, c.flags, c.status, c.evidence, c.note"
            " FROM cells c JOIN documents d USING (sha256)"
            " WHERE d.status = ? ORDER BY d.path, d.sha256, c.seq", (db.STATUS_DONE,)):
        if last is not None and last[0] != sha:
            rows += _unprinted_corrections(last, printed, corrections)
            printed = set()
        last = (sha, agency, year, version)
        printed.add((tbl, row, col))
        corr = corrections.get(sha, {}).get((tbl, row, col))
        rows.append([sha, agency, year, version, tbl, row, col, _settled_value(value, corr), text, conf, page,
                     flags, value, *_source(corr), *_trust(status, evidence, corr), note])
    if last is not None:
        rows += _unprinted_corrections(last, printed, corrections)
    df = pd.DataFrame(rows, columns=columns, dtype=object)
    df = df.astype({"year": "Int64", "page": "Int64", "confidence": "Float64"})
    labels = {k: template.label_of(*k) for k in template.all_cell_keys()}
    keys = zip(df["table"], df["row"], df["column"])
    df.insert(7, "label", [labels.get(k, "") for k in keys])
    return df


def _settled_value(value, corr):
    """The value of one cell: the person's where they set it, else the machine's."""
    if corr is not None and corr.kind in SET_BY_PERSON:
        return corr.new_value
    return value


def _source(corr) -> list:
    if corr is None:
        return ["machine", ""]
    return ["corrected" if corr.kind in SET_BY_PERSON else "machine", corr.kind]


def _trust(status, evidence, corr) -> list:
    """The cell's govreport/2 status and its evidence (a JSON list), a person's settling added."""
    found = json.loads(evidence) if evidence else []
    if corr is not None and corr.kind in review_store.KINDS:
        return ["confirmed", json.dumps(found + ["correction"], ensure_ascii=False)]
    return [status, json.dumps(found, ensure_ascii=False)]


def _unprinted_corrections(doc: tuple, printed: set, corrections: dict) -> list[list]:
    """Cells a person typed in where the document's row was not found (no machine reading)."""
    sha, agency, year, version = doc
    out = []
    for key, corr in corrections.get(sha, {}).items():
        if corr.kind != "correct" or key in printed:
            continue
        out.append([sha, agency, year, version, *key, corr.new_value, None, None, None, None, None,
                    "corrected", corr.kind, "confirmed", json.dumps(["correction"]), None])
    return out


def wide_table(conn, corrections: dict | None = None) -> pd.DataFrame:
    corrections = _corrections(conn) if corrections is None else corrections
    docs = pd.read_sql_query(
        "SELECT sha256, path, agency, year, version, needs_review, n_pages FROM documents"
        " WHERE status = ? ORDER BY agency, year, path", conn, params=(db.STATUS_DONE,),
        dtype={"year": "Int64", "n_pages": "Int64", "needs_review": "boolean"})
    # Straight from sqlite, not via pandas, which would turn every value into a float.
    cells = conn.execute("SELECT c.sha256, c.tbl, c.row, c.col, c.value FROM cells c"
                         " JOIN documents d USING (sha256) WHERE d.status = ?", (db.STATUS_DONE,))
    columns = [cell_column(*k) for k in template.all_cell_keys()]
    values = {name: [None] * len(docs) for name in columns}
    index = {sha: i for i, sha in enumerate(docs["sha256"])}
    for sha, tbl, row, col, value in cells:
        name = cell_column(tbl, row, col)
        if name in values:
            values[name][index[sha]] = value
    corrected = [0] * len(docs)
    for sha, mine in corrections.items():
        if sha not in index:
            continue
        for key, corr in mine.items():
            name = cell_column(*key)
            if corr.kind in SET_BY_PERSON and name in values:
                values[name][index[sha]] = corr.new_value
                corrected[index[sha]] += 1
    docs.insert(len(DOC_COLUMNS), "corrected_cells", pd.Series(corrected, dtype="Int64"))
    wide = pd.concat([docs, pd.DataFrame({n: _number_column(v) for n, v in values.items()})], axis=1)
    return wide


def _number_column(values: list) -> pd.Series:
    """Integers as nullable Int64 (no '3.0' in CSV), anything with a fraction as float."""
    present = [v for v in values if v is not None]
    if all(isinstance(v, int) for v in present):
        return pd.Series(values, dtype="Int64")
    return pd.Series([float(v) if v is not None else None for v in values], dtype="Float64")


def checks_table(conn, cross: pd.DataFrame, corrections: dict | None = None) -> pd.DataFrame:
    corrections = _corrections(conn) if corrections is None else corrections
    checks = pd.read_sql_query(
        "SELECT d.sha256, d.agency, d.year, k.rule, k.col AS \"column\", k.ok, k.detail, k.cause"
        " FROM checks k JOIN documents d USING (sha256) WHERE d.status = ? ORDER BY d.path, k.seq",
        conn, params=(db.STATUS_DONE,), dtype={"year": "Int64"})
    checks["ok"] = checks["ok"].astype(bool)
    read = set(checks["sha256"])
    corrected = [sha for sha in corrections if sha in read]
    if corrected:
        # a corrected report's identities, recomputed over its corrected values, in place of its own
        parts = [checks[~checks["sha256"].isin(corrected)]]
        for sha in corrected:
            view = review_model.ReportView.load(conn, sha)
            rows = [{"sha256": sha, "agency": view.report["agency"], "year": view.report["year"],
                     "rule": c["rule"], "column": c["column"], "ok": bool(c["ok"]), "detail": c["detail"],
                     "cause": c.get("cause")} for c in view.checks()]
            parts.append(pd.DataFrame(rows, columns=checks.columns))
        checks = pd.concat(parts, ignore_index=True).astype({"year": "Int64"})
        checks["ok"] = checks["ok"].astype(bool)
    if len(cross):
        extra = pd.DataFrame({"sha256": cross["sha256"], "agency": cross["agency"], "year": cross["year"],
                              "rule": CROSS_YEAR_RULE, "column": cross["column"], "ok": cross["ok"],
                              "detail": cross["detail"], "cause": cross["cause"]})
        checks = pd.concat([checks, extra], ignore_index=True)
    return checks


def cross_year_table(conn, corrections: dict | None = None) -> pd.DataFrame:
    """Row 2 of each agency's year Y against row 4 of its year Y−1, for every applications column."""
    corrections = _corrections(conn) if corrections is None else corrections
    rows = conn.execute(
        "SELECT d.sha256, d.agency, d.year, c.row, c.col, c.value FROM documents d"
        " JOIN cells c USING (sha256) WHERE d.status = ? AND d.agency IS NOT NULL AND d.year IS NOT NULL"
        " AND c.tbl = ? AND c.row IN ('2', '4')", (db.STATUS_DONE, template.TABLE_APPLICATIONS)).fetchall()
    values: dict[tuple, dict] = {}
    for sha, agency, year, row, col, value in rows:
        corr = corrections.get(sha, {}).get((template.TABLE_APPLICATIONS, row, col))
        values.setdefault((agency, year, sha), {})[(row, col)] = _settled_value(value, corr)
    out = []
    for (agency, year, sha), cur in sorted(values.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        for (p_agency, p_year, p_sha), prev in values.items():
            if p_agency == agency and p_year == year - 1:
                out += _compare_years(agency, year, sha, cur, p_sha, prev)
    columns = ["agency", "year", "prev_year", "column", "carried_in", "carried_out_prev", "ok", "cause",
               "detail", "sha256", "prev_sha256"]
    return pd.DataFrame(out, columns=columns).astype({"year": "Int64", "prev_year": "Int64"})


def _compare_years(agency, year, sha, cur: dict, prev_sha, prev: dict) -> list[list]:
    out = []
    for col in (c.id for c in template.APPLICATION_COLUMNS):
        carried_in, carried_out = cur.get(("2", col)), prev.get(("4", col))
        if carried_in is None or carried_out is None:
            ok, cause = False, "incomplete"
        else:
            ok = abs(float(carried_in) - float(carried_out)) < 1e-9
            cause = "ok" if ok else "document"
        detail = f"{year} row 2 = {_show(carried_in)}, {year - 1} row 4 = {_show(carried_out)}"
        out.append([agency, year, year - 1, col, carried_in, carried_out, ok, cause, detail, sha, prev_sha])
    return out


def _show(value) -> str:
    return "blank" if value is None else str(value)


def export_tables(conn) -> dict[str, pd.DataFrame]:
    corrections = _corrections(conn)
    cross = cross_year_table(conn, corrections)
    return {"wide": wide_table(conn, corrections), "labels": labels_table(),
            "cells": cells_table(conn, corrections), "checks": checks_table(conn, cross, corrections),
            "cross_year": cross, "documents": documents_table(conn)}


def export_json(conn, out: Path) -> list[Path]:
    """The contract JSON of every read report, corrections applied, one file per report in `out`,
    named after its source file (the hash's start added where two sources share a name)."""
    out.mkdir(parents=True, exist_ok=True)
    docs = conn.execute("SELECT sha256, path FROM documents WHERE status = ? ORDER BY path, sha256",
                        (db.STATUS_DONE,)).fetchall()
    stems: dict[str, int] = {}
    for _, path in docs:
        stem = Path(path).stem or "report"
        stems[stem] = stems.get(stem, 0) + 1
    files = []
    for sha, path in docs:
        view = review_model.ReportView.load(conn, sha)
        if view is None:
            continue
        stem = Path(path).stem or "report"
        name = f"{stem}.json" if stems[stem] == 1 else f"{stem}.{sha[:12]}.json"
        target = out / name
        tmp = target.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(view.corrected_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(target)
        files.append(target)
    return files


def export(db_path: str | Path, fmt: str, out: str | Path) -> list[Path]:
    """Write the tables of the database at db_path in `fmt`; return the files written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    if not Path(db_path).is_file():
        raise FileNotFoundError(f"no results database at {db_path}")
    conn = db.connect(db_path)
    try:
        if fmt == "json":
            review_store.ensure_schema(conn)
            files = export_json(conn, Path(out))
            log.info("exported %d reports as JSON to %s", len(files), out)
            return files
        tables = export_tables(conn)
    finally:
        conn.close()
    out = Path(out)
    written = {"csv": _write_csv, "xlsx": _write_xlsx, "parquet": _write_parquet}[fmt](tables, out)
    log.info("exported %d reports, %d cells, %d checks to %s", len(tables["wide"]), len(tables["cells"]),
             len(tables["checks"]), out)
    return written


def _write_csv(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name, df in tables.items():
        path = out / f"{'long' if name == 'cells' else name}.csv"
        df.to_csv(path, index=False, encoding="utf-8-sig")
        files.append(path)
    return files


def _write_xlsx(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    too_big = [n for n, df in tables.items() if len(df) > XLSX_MAX_ROWS]
    if too_big:
        raise ValueError(f"too many rows for an Excel sheet in {', '.join(too_big)}: export parquet or csv")
    if out.suffix.lower() != ".xlsx":
        out = out.with_suffix(".xlsx")
    out.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for name, df in tables.items():
            df.to_excel(writer, sheet_name=name, index=False)
    return [out]


def _write_parquet(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name, df in tables.items():
        path = out / f"{name}.parquet"
        _typed_numbers(df).to_parquet(path, index=False)
        files.append(path)
    return files


def _typed_numbers(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns that hold only numbers (ints and floats mixed) as one nullable numeric type."""
    df = df.copy()
    for name in df.columns:
        if df[name].dtype != object:
            continue
        present = df[name].dropna()
        if len(present) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            df[name] = _number_column([None if pd.isna(v) else v for v in df[name]])
    return df
