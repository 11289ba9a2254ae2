"""Matching grids to the template (pipeline/match.py) on the real report's own grids, read from
its text layer, and on those grids damaged the way worn rulings damage a scan's."""
from __future__ import annotations

import dataclasses

import pytest

from pipeline import pdf as pdfio
from pipeline.config import Config
from pipeline.extract import read_pages
from pipeline.match import match_document
from pipeline.types import GridCell


@pytest.fixture(scope="module")
def real_grids(real_pdf):
    config = Config(verify_text_layer=False)
    doc = pdfio.open_document(real_pdf, config)
    try:
        contents = read_pages(doc, config, {})
    finally:
        doc.close()
    return [g for c in contents for g in c.grids]


def review_values(match) -> dict:
    return {m.column: m.source.text if m.source else None
            for m in match.cells if m.table == "review"}


def test_review_columns_of_the_real_report(real_grids, real_truth):
    match = match_document(real_grids)
    truth = {c["column"]: c["value"] for c in real_truth["cells"] if c["table"] == "review"}
    got = review_values(match)
    assert {k: float(v) for k, v in got.items()} == {k: float(v) for k, v in truth.items()}


def join(cells: list, left: GridCell, right: GridCell) -> list:
    """`cells` with two side-by-side cells made one, as a worn rule between them leaves them."""
    joined = GridCell(left.row, left.col, left.rowspan, left.colspan + right.colspan,
                      (left.bbox[0], left.bbox[1], right.bbox[2], right.bbox[3]),
                      left.text + right.text)
    return [c for c in cells if c not in (left, right)] + [joined]


@pytest.mark.parametrize("top_too", [False, True])
def test_group_headers_joined_by_a_worn_rule(real_grids, real_truth, top_too):
    """The rule between 未经复议直接起诉 and 复议后起诉 worn away: one header cell names both
    groups. Its ten columns are the two groups' five each, in the printed order — never the
    second group's name given to the first group's columns — and the report is flagged. With the
    rule between 行政复议 and 行政诉讼 above worn too, the lowest header naming a group decides."""
    grids = [dataclasses.replace(g, cells=list(g.cells)) for g in real_grids]
    review = next(g for g in grids if any("复议后起诉" in c.text for c in g.cells))
    cell = lambda word: next(c for c in review.cells if word in c.text)   # noqa: E731
    review.cells = join(review.cells, cell("未经复议"), cell("复议后起诉"))
    if top_too:
        review.cells = join(review.cells, cell("行政复议"), cell("行政诉讼"))
    match = match_document(grids)
    truth = {c["column"]: c["value"] for c in real_truth["cells"] if c["table"] == "review"}
    got = review_values(match)
    assert {k: float(v) for k, v in got.items()} == {k: float(v) for k, v in truth.items()}
    assert any("names suit_direct, suit_after_review" in p for p in match.problems)


def test_value_cells_joined_by_a_worn_rule(real_grids, real_truth):
    """Two value cells of one applications row joined by a worn rule: the row's other values
    keep their columns; the two joined ones are not guessed, and say why."""
    grids = [dataclasses.replace(g, cells=list(g.cells)) for g in real_grids]
    table = next(g for g in grids if any("予以公开" in c.text for c in g.cells))
    label = next(c for c in table.cells if "予以公开" in c.text and "部分" not in c.text)
    row = [c for c in table.cells if c.row == label.row and c.col > label.col and c.colspan == 1]
    row.sort(key=lambda c: c.col)
    a, b = row[1], row[2]                     # enterprise and research
    table.cells = join(table.cells, a, b)
    match = match_document(grids)
    got = {m.column: m for m in match.cells if m.table == "applications" and m.row == "3.1"}
    truth = {c["column"]: c["value"] for c in real_truth["cells"]
             if c["table"] == "applications" and c["row"] == "3.1"}
    for column in ("enterprise", "research"):
        assert got[column].source is None and "value cells" in got[column].problem
    for column in ("natural_person", "public_interest", "legal_service", "other_org", "total"):
        assert float(got[column].source.text) == truth[column] and not got[column].problem
    assert any("row 3.1" in p for p in match.problems)
