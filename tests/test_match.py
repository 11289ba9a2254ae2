"""Matching grids to the template (pipeline/match.py) on the real report's own grids, read from
its text layer, and on those grids damaged the way worn rulings damage a scan's."""
from __future__ import annotations

import dataclasses

import pytest

from pipeline import pdf as pdfio
from pipeline.config import Config
from pipeline.extract import read_pages
from pipeline.match import match_document
from pipeline.numbers import parse_value
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


@pytest.mark.parametrize("consistent", [True, False])
def test_review_headers_partly_unread(real_grids, real_truth, consistent):
    """Group and outcome headers left as a heavy 1-bit scan leaves them (行政议, 后起诉, blots for
    the outcomes), 未经复议直接起诉 still read: the fifteen values are taken in the template's
    order, since the group read stands where the template puts it, and each column so placed is
    named for a person to confirm. Where the group read stands elsewhere, nothing is guessed."""
    grids = [dataclasses.replace(g, cells=list(g.cells)) for g in real_grids]
    review = next(g for g in grids if any("复议后起诉" in c.text for c in g.cells))
    damaged = {"行政复议": "行政议", "复议后起诉": "后起诉", "行政诉讼": ""}
    if not consistent:
        damaged["未经复议直接起诉"] = "复议后起诉"           # the first group's columns say the last's
    outcomes = ("维持", "纠正", "其他", "尚未审结", "总计")
    review.cells = [dataclasses.replace(c, text=next((v for k, v in damaged.items() if k in c.text),
                                                     "M" if c.text.strip() in outcomes else c.text))
                    for c in review.cells]
    match = match_document(grids)
    got = review_values(match)
    by_order = [p for p in match.problems if "placed by the template's order" in p]
    if consistent:
        truth = {c["column"]: c["value"] for c in real_truth["cells"] if c["table"] == "review"}
        assert {k: float(v) for k, v in got.items()} == {k: float(v) for k, v in truth.items()}
        assert len(by_order) == 10 and not any("suit_direct." in p for p in by_order)
    else:
        assert not by_order and sum(v is None for v in got.values()) >= 5


@pytest.mark.parametrize("values_unread", [0, 4])
def test_review_table_with_no_label_read_is_known_by_its_shape(real_grids, real_truth, values_unread):
    """Every header cell of the review table read as speckle (a heavy 1-bit scan of shaded
    headers: "M", "8", nothing): its one row of fifteen numbers under the header rows is still the
    review table, its values taken in the template's order, every one of them for a person to
    confirm. With more of the values unread too, the grid is not taken for the table."""
    grids = [dataclasses.replace(g, cells=list(g.cells)) for g in real_grids]
    review = next(g for g in grids if any("复议后起诉" in c.text for c in g.cells))
    data_row = review.n_rows - 1
    speckle = ("M", "8", "", "n")
    review.cells = [c if c.row == data_row else dataclasses.replace(c, text=speckle[k % len(speckle)])
                    for k, c in enumerate(review.cells)]
    values = sorted((c for c in review.cells if c.row == data_row), key=lambda c: c.col)
    for c in values[:values_unread]:
        review.cells[review.cells.index(c)] = dataclasses.replace(c, text="M")
    match = match_document(grids)
    got = review_values(match)
    if values_unread == 0:
        truth = {c["column"]: c["value"] for c in real_truth["cells"] if c["table"] == "review"}
        assert {k: float(v) for k, v in got.items()} == {k: float(v) for k, v in truth.items()}
        assert "review: table known by its shape alone (none of its labels read)" in match.problems
    else:
        assert "review: table not found" in match.problems and not got
    # The other tables are read as before.
    assert match.version == match_document(real_grids).version
    assert {(m.table, m.row, m.column) for m in match.cells if m.table != "review"} == \
        {(m.table, m.row, m.column) for m in match_document(real_grids).cells if m.table != "review"}


def test_active_table_version_told_by_its_rows_where_no_header_reads(real_grids, real_truth):
    """The active-disclosure table's shaded heading and header rows read as nothing (a heavy
    1-bit scan): the template version is the one whose rows its printed rows fit, by how many
    value cells each prints (2021: one for 行政许可, 2019: three); its values are placed and the
    whole table goes to a person. With the rows' labels unread too, no version is guessed."""
    from pipeline.match import classify_grid

    def unread(keep_labels: bool) -> list:
        grids = [dataclasses.replace(g, cells=list(g.cells)) for g in real_grids]
        for g in grids:
            if classify_grid(g) != "active":
                continue
            for r in range(g.n_rows):
                row = sorted((c for c in g.cells if c.row == r), key=lambda c: c.col)
                header = len(row) == 1 or "信息内容" in row[0].text
                for c in row:
                    if header or (not keep_labels and c is row[0]):
                        g.cells[g.cells.index(c)] = dataclasses.replace(c, text="")
        return grids

    as_printed = match_document(real_grids)
    match = match_document(unread(keep_labels=True))
    assert as_printed.version == "2021" and match.version == "2021"
    assert any("told by its rows' value cells" in p for p in match.problems)
    truth = {(c["row"], c["column"]): c["value"] for c in real_truth["cells"] if c["table"] == "active"}
    got = {(m.row, m.column): parse_value(m.source.text).value for m in match.cells
           if m.table == "active" and m.source is not None}
    assert got == truth
    assert match_document(unread(keep_labels=False)).version is None


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


def _applications_values(match) -> dict:
    return {(m.row, m.column): float(m.source.text) if m.source and m.source.text.strip() else None
            for m in match.cells if m.table == "applications"}


def _split_cell(cells: list, cell: GridCell, widths: list[int], texts: list[str],
                grid=None) -> list:
    """`cells` with `cell` cut into side-by-side cells of the given column widths and texts (an
    empty text: an empty, unmerged label cell), as some reports print their label columns."""
    out = [c for c in cells if c is not cell]
    x0, y0, x1, y1 = cell.bbox
    col, x = cell.col, x0
    step = (x1 - x0) / cell.colspan
    for w, text in zip(widths, texts):
        out.append(GridCell(cell.row, col, cell.rowspan, w, (x, y0, x + w * step, y1), text))
        col, x = col + w, x + w * step
    return out


def _unmerge_rows(cells: list, cell: GridCell) -> list:
    """A vertically merged label cell printed as one cell per row, its text in the first only."""
    out = [c for c in cells if c is not cell]
    x0, y0, x1, y1 = cell.bbox
    h = (y1 - y0) / cell.rowspan
    for k in range(cell.rowspan):
        out.append(GridCell(cell.row + k, cell.col, 1, cell.colspan,
                            (x0, y0 + k * h, x1, y0 + (k + 1) * h), cell.text if k == 0 else ""))
    return out


@pytest.mark.parametrize("layout", ["empty_right", "empty_left", "split_label", "block_first_row"])
def test_label_cells_beside_empty_label_cells(real_grids, real_truth, layout):
    """A row's label is the text of its label cells however they are merged: （七）总计 and
    四、结转下年度继续办理 printed beside empty, unmerged label cells (to their right or left), a
    label split over two cells, a block's label printed in its first row only — every row is
    found and every cell keeps its value."""
    grids = [dataclasses.replace(g, cells=list(g.cells)) for g in real_grids]
    second = next(g for g in grids if any("（七）总计" in c.text for c in g.cells))
    first = next(g for g in grids if any("本年新收" in c.text for c in g.cells))
    cell = lambda g, word: next(c for c in g.cells if word in c.text)   # noqa: E731
    if layout == "empty_right":
        second.cells = _split_cell(second.cells, cell(second, "（七）总计"), [1, 1], ["（七）总计", ""])
        second.cells = _split_cell(second.cells, cell(second, "结转下年度"), [1, 1, 1],
                                   ["四、结转下年度继续办理", "", ""])
    elif layout == "empty_left":
        second.cells = _split_cell(second.cells, cell(second, "（七）总计"), [1, 1], ["", "（七）总计"])
        first.cells = _split_cell(first.cells, cell(first, "本年新收"), [1, 2],
                                  ["", "一、本年新收政府信息公开申请数量"])
    elif layout == "split_label":
        second.cells = _split_cell(second.cells, cell(second, "（七）总计"), [1, 1], ["（七）", "总计"])
        first.cells = _split_cell(first.cells, cell(first, "本年新收"), [1, 2],
                                  ["一、本年新收", "政府信息公开申请数量"])
    else:
        second.cells = _unmerge_rows(second.cells, cell(second, "（五）不"))
        first.cells = _unmerge_rows(first.cells, cell(first, "（三）不"))
        first.cells = _unmerge_rows(first.cells, cell(first, "三、"))      # the outermost block too
    match = match_document(grids)
    truth = {(c["row"], c["column"]): c["value"] for c in real_truth["cells"]
             if c["table"] == "applications"}
    got = _applications_values(match)
    assert not [p for p in match.problems if "applications" in p]
    assert got == {k: None if v is None else float(v) for k, v in truth.items()}


def test_outcome_headers_joined_by_a_worn_rule_put_their_column_in_doubt(real_grids):
    """The rule between 尚未审结 and 总计 of 行政复议 worn from the header down through the values:
    one header cell names both, and the one value cell under it is taken for 尚未审结 — it may
    hold both values run together, or either ("01" was read alike by both readers). Its
    position is for a person to confirm."""
    from pipeline.config import DEFAULT
    from pipeline.evidence import POSITION_FLAG, flag_positions
    from pipeline.extract import _cell_of

    grids = [dataclasses.replace(g, cells=list(g.cells)) for g in real_grids]
    review = next(g for g in grids if any("复议后起诉" in c.text for c in g.cells))
    leftmost = lambda label: min((c for c in review.cells if label in "".join(c.text.split())),  # noqa: E731
                                 key=lambda c: c.bbox[0])
    value = lambda header: max((c for c in review.cells if c.col == header.col), key=lambda c: c.row)  # noqa: E731
    pending, total = leftmost("尚未审结"), leftmost("总计")
    values = value(pending), value(total)
    review.cells = join(review.cells, pending, total)
    review.cells = join(review.cells, *values)
    match = match_document(grids)
    assert any("column review.pending: its header cell names 尚未审结, 总计" in p for p in match.problems)
    cells = [_cell_of(m, DEFAULT) for m in match.cells if m.table == "review"]
    flag_positions(cells, match.problems)
    pending_cell = next(c for c in cells if c.column == "review.pending")
    assert any(f.startswith(POSITION_FLAG) for f in pending_cell.flags)
    assert all(not any(f.startswith(POSITION_FLAG) for f in c.flags)
               for c in cells if c.column.startswith("suit_"))


def test_a_column_name_over_other_values_puts_a_table_drawn_with_no_rule_in_doubt(tmp_path):
    """In a table drawn with no rule, the spacing alone gives the values their columns, counted
    from the right: a speck of noise taken for a blank's dash added a column, every value of a
    harsh scan's table 三 stood one column off, and a row of zeros and blanks held its
    identities shifted. The header names each column: where a name stands over other values
    than its column's, every cell of that part of the table is in doubt; as printed, none is."""
    from page_images import spaced_grids_of_clean_report

    grids = spaced_grids_of_clean_report(tmp_path / "borderless.pdf", 2)
    applications = [m for m in match_document(grids).cells if m.table == "applications"]
    assert len(applications) > 100 and not any(m.problem for m in applications)

    # The first part of the table printed with its header (a part carried over prints it again).
    def names(grid):
        return [c for c in grid.cells if c.text.replace("\n", "") in ("商业企业", "科研机构")]

    grid = next(g for g in grids if len(names(g)) == 2)
    first, second = names(grid)
    first.text, second.text = second.text, first.text
    doubted = [m for m in match_document(grids).cells if m.table == "applications" and m.problem]
    assert doubted and {id(m.source) for m in doubted} == \
        {id(m.source) for m in applications if any(m.source is c for c in grid.cells)}
    assert all(m.problem.startswith("position:") for m in doubted)


def test_a_column_that_prints_nothing_beyond_the_table_is_none_of_its_own(tmp_path):
    """A mark beyond table 三's right side in a scan (a speck, the sheet's border) draws one more
    column edge: the table had a column on its right that no row prints anything in, and the
    values, counted from the right, were each taken for their right neighbour's (47 cells of a
    pale scan). The header centred over the columns spans it too. A column whose own cells
    print nothing is none of the table's: every value keeps its column."""
    from page_images import spaced_grids_of_clean_report

    grids = spaced_grids_of_clean_report(tmp_path / "borderless.pdf", 2)
    def printed(match):
        return {(m.row, m.column): m.source.text if m.source else None
                for m in match.cells if m.table == "applications"}

    before = printed(match_document(grids))
    assert len(before) > 100 and all(before.values())
    grid = next(g for g in grids if any(c.text.replace("\n", "") == "总计" for c in g.cells))
    right = grid.col_edges[-1]
    grid.col_edges.append(right + 12.0)
    for cell in list(grid.cells):
        if cell.col + cell.colspan == grid.n_cols:
            if cell.colspan > 1:        # a header centred over the columns
                cell.colspan += 1
            else:
                grid.cells.append(GridCell(cell.row, grid.n_cols, cell.rowspan, 1,
                                           (right, cell.bbox[1], right + 12.0, cell.bbox[3]), "",
                                           placed_by_spacing=True))
    grid.n_cols += 1
    assert any(c.colspan > 1 and c.col + c.colspan == grid.n_cols for c in grid.cells)
    assert printed(match_document(grids)) == before


@pytest.mark.parametrize("garbled, rows", [
    (["没有现成信息"], {"3.4.2"}),
    (["本机关不掌握", "没有现成信息"], {"3.4.1", "3.4.2"}),
    (["本机关不掌握", "没有现成信息", "补正后申请内容仍不明确"], {"3.4.1", "3.4.2", "3.4.3"})])
def test_rows_whose_labels_read_as_none_take_the_places_left_between_their_neighbours(
        real_grids, real_truth, garbled, rows):
    """A scan read a block's label into a row's ("提供行制作旧心用" for 2.没有现成信息需要另行制作),
    or a coarse scan blurred labels past reading: the rows matched none of the template's, and
    their values were lost. Where the printed rows left between the rows found before and after
    them are as many as the template rows between those, they are those rows in order, their
    cells flagged for a person (their values read as any)."""
    from pipeline.evidence import ORDER_FLAG

    grids = [dataclasses.replace(g, cells=[dataclasses.replace(c) for c in g.cells]) for g in real_grids]
    for word in garbled:
        next(c for g in grids for c in g.cells if word in c.text).text = "提供行制作旧心用"
    match = match_document(grids)
    truth = {(c["row"], c["column"]): c["value"] for c in real_truth["cells"] if c["table"] == "applications"}
    placed = [m for m in match.cells if m.table == "applications" and m.problem.startswith(ORDER_FLAG)]
    assert {m.row for m in placed} == rows and len(placed) == 7 * len(rows)
    assert all(parse_value(m.source.text).value == truth[(m.row, m.column)] for m in placed)
    assert not [p for p in match.problems if "applications" in p]
