"""The report's prose as a witness (pipeline.narrative): statements read from prose lines, the
evidence they give and the checks they make; on a scan, the prose read by OCR only where a cell
needs it (a real scan of a committed synthetic report whose prose says 全年共收到政府信息公开申请
90件; those tests are slow: OCR on 2 cores)."""
from __future__ import annotations

import json
import shutil

import pytest

from pipeline import pdf as pdfio
from pipeline.config import DEFAULT, ROOT
from pipeline.extract import build_report, extract, read_pages, read_prose_if_needed
from pipeline.narrative import narrative_checks, narrative_evidence, of_year, read_statements
from pipeline.types import STATUS_CONFIRMED, STATUS_DOUBTFUL, Cell, TextLine
from samples.degrade import write_variant

SOURCE = ROOT / "samples" / "committed" / "synth-2024-002-2021.pdf"
NEW_THIS_YEAR = ("applications", "1", "total")


def lines(*texts: str) -> list[tuple[int, TextLine]]:
    return [(1, TextLine(t, (0, 10.0 * k, 400, 10.0 * k + 9))) for k, t in enumerate(texts)]


def cell(key, value, status=STATUS_CONFIRMED) -> Cell:
    c = Cell(*key, value, str(value), 1.0, 3, None, [])
    c.status = status
    return c


def test_statements_run_over_line_breaks_and_name_their_cells():
    found = read_statements(lines("（二）依申请公开情况。本年度共收到政府信息公开申请1",
                                  "2件，上年结转3件，结转下年度继续办理2件。"))
    assert [(s.what, s.number, s.key) for s in found] == [
        ("本年新收申请", 12, ("applications", "1", "total")),
        ("上年结转申请", 3, ("applications", "2", "total")),
        ("结转下年度申请", 2, ("applications", "4", "total"))]
    # Numbers that are not a statement's: 5500余条 of information published, a phone number.
    assert read_statements(lines("主动公开各类政府信息5500余条，电话：0517-83605210。")) == []


def test_statements_in_the_other_words_reports_use():
    # The real report's: 受理 for 收到, 顺延到下年度 after its number, the year by its number.
    found = read_statements(lines("和针对性。2024年，全市共受理政府信息公开申请3119件，答",
                                  "复3050件（含上年度结转申请34件，另有103件顺延到下年度",
                                  "答复），均在法定期限内予以答复。"))
    assert [(s.what, s.number, s.year) for s in found] == [
        ("本年新收申请", 3119, 2024), ("上年结转申请", 34, None), ("结转下年度申请", 103, None)]
    assert read_statements(lines("本年度办理的申请中，12件顺延至下一年度。"))[0].number == 12
    # Applications of other kinds, counted in the same words, restate no cell of the table.
    assert read_statements(lines("2024年，共收到行政复议申请5件；全年受理信访举报申请20件。")) == []
    # The year before's figure, set beside this year's, is not this year's.
    beside = read_statements(lines("2023年共收到政府信息公开申请100件，2024年共收到政府信息公开申请120件。"))
    assert [s.number for s in of_year(beside, 2024)] == [120]
    assert [s.number for s in of_year(beside, None)] == [100, 120]


def test_the_real_reports_prose_witnesses_its_totals(real_pdf, real_truth):
    truth = {(c["table"], c["row"], c["column"]): c["value"] for c in real_truth["cells"]}
    report = extract(real_pdf)
    for key in (NEW_THIS_YEAR, ("applications", "2", "total"), ("applications", "4", "total")):
        cell = next(c for c in report.cells if c.key == key)
        assert cell.value == truth[key]
        assert any(e.startswith("narrative:") and f" {truth[key]}件" in e for e in cell.evidence), cell.evidence
    assert all(c.ok for c in report.checks if c.rule.startswith("narrative"))


def test_agreement_is_evidence_and_a_contradiction_is_a_check():
    cells = [cell(NEW_THIS_YEAR, 12), cell(("applications", "2", "total"), 4)]
    found = read_statements(lines("全年共收到政府信息公开申请12件，上年结转3件。"))
    assert narrative_evidence(cells, found) == {NEW_THIS_YEAR: ["narrative:本年新收申请 12件 (page 1)"]}
    checks = {c.rule.split(":")[1].split("=")[0].strip(): c for c in narrative_checks(cells, found)}
    assert checks["本年新收申请"].ok
    # Both sides as printed (the cell confirmed, the prose a good text layer): the document's own.
    assert not checks["上年结转申请"].ok and checks["上年结转申请"].cause == "document"
    # A doubtful cell, or prose read by OCR (one reading, unconfirmed): a doubt of ours.
    cells[1].status = STATUS_DOUBTFUL
    assert narrative_checks(cells, found)[1].cause == "reading"
    cells[1].status = STATUS_CONFIRMED
    by_ocr = read_statements(lines("上年结转3件。"), read_by="ocr")
    assert narrative_checks(cells, by_ocr)[0].cause == "reading"
    assert narrative_evidence([cell(("applications", "2", "total"), 3)], by_ocr) == {
        ("applications", "2", "total"): ["narrative:上年结转申请 3件 (page 1, read by OCR)"]}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    shutil.copy(SOURCE, src / SOURCE.name)
    shutil.copy(SOURCE.with_suffix(".truth.json"), src / SOURCE.with_suffix(".truth.json").name)
    out = write_variant(src / SOURCE.name, tmp_path_factory.mktemp("scan"), "scan200", seed=3)
    truth = json.loads(out.with_suffix(".truth.json").read_text(encoding="utf-8"))
    doc = pdfio.open_document(out, DEFAULT)
    timings: dict = {}
    contents = read_pages(doc, DEFAULT, timings)
    report = build_report(doc, contents, DEFAULT, timings)
    yield doc, contents, report, timings, truth
    doc.close()


@pytest.mark.slow
def test_prose_is_not_read_when_no_cell_needs_it(scanned):
    _, _, report, timings, _ = scanned
    cell = next(c for c in report.cells if c.key == NEW_THIS_YEAR)
    assert cell.status == STATUS_CONFIRMED and not any(e.startswith("narrative") for e in cell.evidence)
    assert "prose" not in timings


@pytest.mark.slow
def test_a_doubtful_cell_is_witnessed_by_the_scanned_prose(scanned):
    _, contents, report, _, truth = scanned
    expected = next(c["value"] for c in truth["cells"]
                    if (c["table"], c["row"], c["column"]) == NEW_THIS_YEAR)
    cells = report.cells
    cell = next(c for c in cells if c.key == NEW_THIS_YEAR)
    assert cell.value == expected == 90
    # As if its identities had failed: nothing but the prose can now confirm it.
    cell.status, cell.evidence = STATUS_DOUBTFUL, []
    timings: dict = {}
    statements = read_prose_if_needed(cells, [], contents, DEFAULT, timings)
    assert "prose" in timings
    stated = [s for s in statements if s.key == NEW_THIS_YEAR]
    assert stated and {s.number for s in stated} == {90} and {s.read_by for s in stated} == {"ocr"}
    assert all(s.page == 1 for s in stated)
    evidence = narrative_evidence(cells, statements)[NEW_THIS_YEAR]
    assert evidence and "read by OCR" in evidence[0]
    # A statement the text layer already made is not read again.
    assert read_prose_if_needed(cells, stated, contents, DEFAULT, {}) == []


@pytest.mark.slow
def test_prose_is_not_read_for_a_few_totals_among_many_cells_in_doubt(scanned):
    _, contents, report, _, _ = scanned
    cells = report.cells
    saved = [(c.status, c.evidence) for c in cells]
    try:
        # As if table 三's identities had failed: its totals are a small share of what is in doubt.
        for c in cells:
            if c.table == "applications":
                c.status, c.evidence = STATUS_DOUBTFUL, []
        timings: dict = {}
        assert read_prose_if_needed(cells, [], contents, DEFAULT, timings) == []
        assert "prose" not in timings
    finally:
        for c, (status, evidence) in zip(cells, saved):
            c.status, c.evidence = status, evidence
