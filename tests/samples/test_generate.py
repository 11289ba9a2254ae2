"""The synthetic corpus: deterministic, values obey the template, text layer and rulings readable."""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pypdfium2
import pytest

from pipeline.template import TABLE_ACTIVE, TABLE_APPLICATIONS, TABLE_REVIEW, cell_keys, identities, table_spec
from samples.generate import (
    COMMITTED_DIR, build_doc, generate_one, plan_borderless_report, plan_layouts_report, plan_report,
)
from samples.values import BLANK_MARKERS

SEED = 11
# Indices chosen by their planned features: 2019 + unsplit, rotated parent, landscape review,
# 第 N 页 共 M 页 (two-pass render), stacked parent, no repeated header.
INDICES = (1, 2, 4, 6, 9)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[tuple[Path, dict]]:
    out = tmp_path_factory.mktemp("corpus")
    items = []
    for i in INDICES:
        truth = generate_one(SEED, i, out)
        items.append((out / truth["file"], truth))
    return items


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_same_seed_gives_same_bytes(tmp_path):
    for i in (2, 3):   # 2 renders twice for its page total (第 N 页 共 M 页)
        a, b = tmp_path / "a", tmp_path / "b"
        a.mkdir(exist_ok=True)
        b.mkdir(exist_ok=True)
        ta, tb = generate_one(SEED, i, a), generate_one(SEED, i, b)
        assert ta == tb
        assert (a / ta["file"]).read_bytes() == (b / tb["file"]).read_bytes()
    other = generate_one(SEED + 1, 3, tmp_path)
    assert other["cells"] != tb["cells"]


def _identity_failures(truth: dict) -> list[str]:
    """Independent of samples.values: the template's identities over the truth, blank = 0."""
    values = {(c["table"], c["row"], c["column"]): c["value"] for c in truth["cells"]}
    rows = [r.id for r in table_spec(TABLE_APPLICATIONS, truth["version"], truth["split_six"]).rows]
    failures = []
    for ident in identities(rows):
        lhs = sum(values[(ident.table, *k)] or 0 for k in ident.lhs)
        rhs = sum(values[(ident.table, *k)] or 0 for k in ident.rhs)
        if lhs != rhs:
            failures.append(ident.rule)
    return failures


def test_values_obey_identities_unless_flagged():
    flagged = 0
    versions = set()
    for i in range(36):
        doc = build_doc(SEED, plan_report(SEED, i))
        truth = {"version": doc.values.version, "split_six": doc.values.split_six,
                 "cells": [{"table": t, "row": r, "column": c, "value": cell.value}
                           for (t, r, c), cell in doc.values.cells.items()]}
        assert list(doc.values.cells) == cell_keys(doc.values.version, doc.values.split_six)
        failures = _identity_failures(truth)
        assert bool(failures) == doc.values.inconsistent, (i, failures, doc.values.inconsistencies)
        flagged += doc.values.inconsistent
        versions.add((doc.values.version, doc.values.split_six))
        for cell in doc.values.cells.values():
            assert cell.value is None or cell.value >= 0 or cell.column == "change"
    assert 0 < flagged < 36
    assert versions == {("2021", True), ("2021", False), ("2019", False)}


def test_truth_lists_every_printed_cell(corpus):
    for _, truth in corpus:
        keys = [(c["table"], c["row"], c["column"]) for c in truth["cells"]]
        assert keys == cell_keys(truth["version"], truth["split_six"])
        for c in truth["cells"]:
            if c["value"] is None:
                assert c["printed"] in BLANK_MARKERS
        assert _identity_failures(truth) == [] or truth["inconsistent"]


def test_text_layer_has_title_and_every_printed_value_in_its_cell(corpus):
    for path, truth in corpus:
        pdf = pypdfium2.PdfDocument(str(path))
        assert len(pdf) == truth["pages"]
        first = _squash(pdf[0].get_textpage().get_text_range())
        assert _squash(truth["title"]) in first
        for c in truth["cells"]:
            printed = c.get("printed", str(c["value"]))
            page = pdf[c["page"] - 1]
            height = page.get_height()
            x0, y0, x1, y1 = c["bbox"]
            inside = page.get_textpage().get_text_bounded(x0, height - y1, x1, height - y0)
            assert _squash(inside) == _squash(printed), (path.name, c)


def test_camelot_lattice_finds_the_ruled_tables(corpus):
    import camelot          # a pinned dependency (requirements.lock): missing is an error, not a skip
    logging.getLogger("camelot").setLevel(logging.ERROR)
    path, truth = next((p, t) for p, t in corpus if "review_landscape" in t["layout"])
    pages = sorted({p for ps in truth["table_pages"].values() for p in ps})
    tables = camelot.read_pdf(str(path), pages=",".join(map(str, pages)), flavor="lattice", line_scale=40)
    columns_by_page: dict[int, set[int]] = {}
    for t in tables:
        columns_by_page.setdefault(int(t.page), set()).add(t.shape[1])
    # A page holding only a block whose last column spans the rest shows fewer columns, so the
    # full column count is asked of the table as a whole, a ruled table of every page it is on.
    for table, expected_columns in ((TABLE_ACTIVE, 4), (TABLE_APPLICATIONS, 10), (TABLE_REVIEW, 15)):
        found = set()
        for page in truth["table_pages"][table]:
            assert columns_by_page.get(page), (table, page, columns_by_page)
            found |= columns_by_page[page]
        assert expected_columns in found, (table, columns_by_page)


def test_committed_subset_is_current_and_small(tmp_path):
    truths = sorted(COMMITTED_DIR.glob("*.truth.json"))
    assert 4 <= len(truths) <= 10
    total = sum(p.stat().st_size for p in COMMITTED_DIR.iterdir())
    assert total < 2 * 1024 * 1024
    features = set()
    for t in truths:
        truth = json.loads(t.read_text(encoding="utf-8"))
        assert (COMMITTED_DIR / truth["file"]).exists()
        features |= set(truth["layout"])
    assert {"version:2019", "version:2021", "unsplit_six", "split_six", "review_landscape",
            "corner_diagonal", "applications_split_no_header", "applications_split_repeat_header"} <= features
    # The committed files are what the current code draws: regenerate one and compare.
    truth = json.loads(truths[0].read_text(encoding="utf-8"))
    seed, index = (int(x) for x in re.match(r"synth-(\d+)-(\d+)-", truth["report"]).groups())
    # Content, not bytes: a fonts package of another build may subset to other bytes.
    assert generate_one(seed, index, tmp_path) == truth


# --- the `layouts` variant: label, note and title forms of real reports ---------------------

LAYOUT_INDICES = (3, 4)     # 2021 unsplit, empty cell left, split labels, agency wrapped;
                            # 2019 （六） beside an empty cell to its right, block labels in
                            # their first row, a title broken inside 年度


@pytest.fixture(scope="module")
def layouts_corpus(tmp_path_factory) -> list[tuple[Path, dict]]:
    out = tmp_path_factory.mktemp("layouts")
    items = []
    for i in LAYOUT_INDICES:
        truth = generate_one(SEED, i, out, plan_layouts_report)
        items.append((out / truth["file"], truth))
    return items


def test_layouts_reports_print_the_forms_and_notes(layouts_corpus):
    features = set()
    for path, truth in layouts_corpus:
        features |= set(truth["layout"])
        noted = [c for c in truth["cells"] if "note" in c]
        assert noted and all(c["table"] == "active" and isinstance(c["value"], int) for c in noted)
        for c in noted:
            printed = c["printed"].replace("(", "（").replace(")", "）")
            assert printed == f"{c['value'] if ',' not in printed else format(c['value'], ',')}（{c['note']}）"
        assert not [c for c in truth["cells"] if "note" in c and c["table"] != "active"]
    assert {"label_empty_cell:left", "label_empty_cell:right", "label_split", "block_first_row",
            "title:agency_wrap", "title:wrap_word", "value_notes", "unsplit_six"} <= features


def test_layouts_text_layer_has_the_title_and_every_printed_value(layouts_corpus):
    test_text_layer_has_title_and_every_printed_value_in_its_cell(layouts_corpus)


def test_layouts_title_lines_break_as_planned():
    from samples.render import Layout, title_lines
    fits = lambda line: True   # noqa: E731
    agency = "北京市朝阳区人民政府"
    assert title_lines(agency, 2023, Layout(title_form="wrap_word"), fits) == [
        "北京市朝阳区人民政府2023年政府信息公开工作年", "度报告"]
    assert title_lines(agency, 2023, Layout(title_form="year_above"), fits) == [
        "2023年度", agency, "政府信息公开工作年度报告"]
    assert title_lines(agency, 2023, Layout(title_form="year_below"), fits) == [
        agency + "政府信息公开工作年度报告", "（2023年度）"]
    assert title_lines(agency, 2023, Layout(title_form="agency_wrap"), fits) == [
        "北京市朝阳区", "人民政府", "2023年政府信息公开工作年度报告"]


def test_layouts_leave_the_clean_reports_as_they_were(tmp_path):
    """The layouts forms are drawn only for the layouts variant: a clean report's plan has none
    of them, and its content is what it was (the committed subset is checked above)."""
    plan = plan_report(SEED, 4)
    assert plan.layout.title_form == "" and not plan.layout.label_empty_cell
    assert not plan.value_options.notes
    doc = build_doc(SEED, plan)
    assert all(c.note is None for c in doc.values.cells.values())
    (tmp_path / "layouts").mkdir()
    a = generate_one(SEED, 4, tmp_path)
    b = generate_one(SEED, 4, tmp_path / "layouts", plan_layouts_report)
    assert a["report"] != b["report"] and a["agency"] == b["agency"]
    assert not [c for c in a["cells"] if "note" in c]


def test_borderless_reports_draw_no_rule_and_print_every_value(tmp_path):
    """The `borderless` variant: a clean report's tables with no rule drawn at all (a Word table
    with its borders off), the same values in the text layer."""
    from pipeline import grid_pdf

    truth = generate_one(SEED, 2, tmp_path, plan_borderless_report)
    clean = build_doc(SEED, plan_report(SEED, 2))
    assert "rules:none" in truth["layout"] and truth["file"].startswith("borderless-")
    assert truth["agency"] == clean.agency
    pdf = tmp_path / truth["file"]
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        assert not any(grid_pdf.read_page_grids(document, i) for i in range(len(document)))
    finally:
        document.close()
    test_text_layer_has_title_and_every_printed_value_in_its_cell([(pdf, truth)])
