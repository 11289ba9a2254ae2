"""Exports open in pandas/openpyxl with Chinese intact; the cross-year check across two years."""
from __future__ import annotations

import copy
import json

import openpyxl
import pandas as pd
import pytest

from pipeline import template
from pipeline.batch import db, export

MISMATCHED_COLUMN = "enterprise"


@pytest.fixture
def two_years_db(tmp_path, sample_report):
    """The real report as year Y, and a copy of it as year Y-1 whose row 4 carries into Y's row 2."""
    assert sample_report.agency and sample_report.year, "the sample must give agency and year"
    conn = db.connect(tmp_path / "r.sqlite")
    db.write_outcome(conn, db.Outcome("a" * 64, "y.pdf", db.STATUS_DONE, report=sample_report), "v1")
    previous = copy.deepcopy(sample_report)
    previous.year = sample_report.year - 1
    carried_in = {c.column: c.value for c in sample_report.cells
                  if c.table == "applications" and c.row == "2"}
    for cell in previous.cells:
        if cell.table == "applications" and cell.row == "4":
            cell.value = carried_in[cell.column]
            if cell.column == MISMATCHED_COLUMN:
                cell.value = (cell.value or 0) + 5
    db.write_outcome(conn, db.Outcome("b" * 64, "y-1.pdf", db.STATUS_DONE, report=previous), "v1")
    db.write_outcome(conn, db.Outcome("c" * 64, "broken.pdf", db.STATUS_ERROR, error="encrypted PDF"), "v1")
    conn.close()
    return tmp_path / "r.sqlite", sample_report


def test_cross_year_check(two_years_db):
    db_path, report = two_years_db
    conn = db.connect(db_path)
    cross = export.cross_year_table(conn)
    assert len(cross) == len(template.APPLICATION_COLUMNS)
    assert set(cross["year"]) == {report.year} and set(cross["prev_year"]) == {report.year - 1}
    bad = cross[~cross["ok"]]
    assert list(bad["column"]) == [MISMATCHED_COLUMN]
    assert bad.iloc[0]["cause"] == "document"


def test_csv_export_opens_with_chinese_intact(two_years_db, tmp_path):
    db_path, report = two_years_db
    files = export.export(db_path, "csv", tmp_path / "csv")
    assert {f.name for f in files} >= {"wide.csv", "labels.csv", "long.csv", "checks.csv", "cross_year.csv"}
    assert (tmp_path / "csv" / "wide.csv").read_bytes().startswith(b"\xef\xbb\xbf")   # BOM for Excel
    wide = pd.read_csv(tmp_path / "csv" / "wide.csv", encoding="utf-8-sig")
    assert len(wide) == 2 and set(wide["agency"]) == {report.agency}
    cell = next(c for c in report.cells if c.value is not None)
    column = export.cell_column(cell.table, cell.row, cell.column)
    assert wide.loc[wide["year"] == report.year, column].iloc[0] == cell.value
    labels = pd.read_csv(tmp_path / "csv" / "labels.csv", encoding="utf-8-sig")
    assert list(labels["column"]) == [c for c in wide.columns if c.count(":") == 2]
    assert "自然人" in labels.set_index("column").loc["applications:1:natural_person", "label"]
    long = pd.read_csv(tmp_path / "csv" / "long.csv", encoding="utf-8-sig")
    assert len(long) == 2 * len(report.cells)
    checks = pd.read_csv(tmp_path / "csv" / "checks.csv", encoding="utf-8-sig")
    assert (checks["rule"] == export.CROSS_YEAR_RULE).sum() == len(template.APPLICATION_COLUMNS)
    documents = pd.read_csv(tmp_path / "csv" / "documents.csv", encoding="utf-8-sig")
    assert "encrypted PDF" in set(documents["error"].dropna())


def test_xlsx_export_has_all_sheets(two_years_db, tmp_path):
    db_path, report = two_years_db
    (path,) = export.export(db_path, "xlsx", tmp_path / "out.xlsx")
    book = openpyxl.load_workbook(path, read_only=True)
    assert {"wide", "labels", "cells", "checks", "cross_year"} <= set(book.sheetnames)
    wide = pd.read_excel(path, sheet_name="wide")
    assert set(wide["agency"]) == {report.agency}
    labels = pd.read_excel(path, sheet_name="labels")
    assert labels["label"].str.contains("本年新收政府信息公开申请数量").any()


def test_parquet_export_keeps_types(two_years_db, tmp_path):
    db_path, report = two_years_db
    export.export(db_path, "parquet", tmp_path / "pq")
    wide = pd.read_parquet(tmp_path / "pq" / "wide.parquet")
    assert str(wide["applications:1:total"].dtype) == "Int64"
    cross = pd.read_parquet(tmp_path / "pq" / "cross_year.parquet")
    assert cross["ok"].sum() == len(template.APPLICATION_COLUMNS) - 1
    cells = pd.read_parquet(tmp_path / "pq" / "cells.parquet")
    assert set(cells["agency"]) == {report.agency}


def test_exports_use_corrections_and_say_so(two_years_db, tmp_path):
    """A person's correction (review station) replaces the value in every export; the machine's
    reading stays beside it; the identities are recomputed over the corrected values."""
    from pipeline.review import store
    db_path, report = two_years_db
    cell = next(c for c in report.cells if c.table == "applications" and c.row == "1" and c.column == "total")
    conn = store.connect(db_path)
    store.save(conn, "a" * 64, cell.key, "correct", (cell.value or 0) + 1000, note="read 1 as 1001")
    conn.close()
    export.export(db_path, "csv", tmp_path / "csv")
    wide = pd.read_csv(tmp_path / "csv" / "wide.csv", encoding="utf-8-sig")
    mine = wide[wide["sha256"] == "a" * 64].iloc[0]
    assert mine[export.cell_column(*cell.key)] == (cell.value or 0) + 1000 and mine["corrected_cells"] == 1
    other = wide[wide["sha256"] == "b" * 64].iloc[0]
    assert other["corrected_cells"] == 0
    long = pd.read_csv(tmp_path / "csv" / "long.csv", encoding="utf-8-sig")
    row = long[(long["sha256"] == "a" * 64) & (long["table"] == "applications") & (long["row"].astype(str) == "1")
               & (long["column"] == "total")].iloc[0]
    assert (row["value"], row["machine_value"], row["value_source"], row["settled"]) == (
        (cell.value or 0) + 1000, cell.value, "corrected", "correct")
    assert set(long["value_source"]) == {"machine", "corrected"}
    assert row["status"] == "confirmed" and "correction" in json.loads(row["evidence"])
    machine = long[long["value_source"] == "machine"]
    assert set(machine["status"]) <= {"confirmed", "doubtful"}
    for status, evidence in zip(machine["status"], machine["evidence"]):
        assert (status == "confirmed") == bool(json.loads(evidence))      # confirmed only by evidence
    checks = pd.read_csv(tmp_path / "csv" / "checks.csv", encoding="utf-8-sig")
    mine_checks = checks[(checks["sha256"] == "a" * 64) & (checks["rule"] == "applications: 1+2 = 3.7+4")
                         & (checks["column"] == "total")]
    assert len(mine_checks) == 1 and not mine_checks.iloc[0]["ok"]       # 1 is now 1000 more than 3.7+4−2


def test_json_export_reemits_the_contract_with_corrections(two_years_db, tmp_path):
    from pipeline.review import store
    db_path, report = two_years_db
    cell = next(c for c in report.cells if c.table == "applications" and c.row == "1" and c.column == "total")
    conn = store.connect(db_path)
    store.save(conn, "a" * 64, cell.key, "correct", (cell.value or 0) + 1)
    conn.close()
    files = export.export(db_path, "json", tmp_path / "json")
    assert sorted(f.name for f in files) == ["y-1.json", "y.json"]      # the unreadable file has none
    import json
    doc = json.loads((tmp_path / "json" / "y.json").read_text(encoding="utf-8"))
    assert doc["schema"] == report.to_json()["schema"] and doc["source"]["sha256"] == "a" * 64
    out = next(c for c in doc["cells"] if (c["table"], c["row"], c["column"]) == cell.key)
    assert out["value"] == (cell.value or 0) + 1 and out["status"] == "confirmed"
    assert out["evidence"][-1] == "correction" and out["correction"]["machine_value"] == cell.value
    assert len(doc["cells"]) == len(report.cells)
    untouched = json.loads((tmp_path / "json" / "y-1.json").read_text(encoding="utf-8"))
    assert not any("correction" in c["evidence"] for c in untouched["cells"])
