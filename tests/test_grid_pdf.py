"""Ruled tables read from a page's own drawing (pipeline.grid_pdf) on real PDFs: reportlab draws
tables the ways producers do (stroked lines, thin filled bars, rectangles per cell, a Form
XObject, a page stored turned), and the committed reports' truth gives every cell's box and
value as drawn."""
from __future__ import annotations

import json
import subprocess
import sys

import pikepdf
import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen import canvas

from pipeline import grid_pdf
from pipeline.config import Config
from pipeline.grid_vector import read_vector_grids

from conftest import COMMITTED, ROOT

W, H = 400.0, 300.0


def _pdf(path, draw, size=(W, H)):
    c = canvas.Canvas(str(path), pagesize=size, invariant=1)
    c.setFont("Helvetica", 9)
    draw(c)
    c.save()
    return path


def _grids(path, index: int = 0):
    document = pdfium.PdfDocument(str(path))
    try:
        return grid_pdf.read_page_grids(document, index)
    finally:
        document.close()


def _cells(grid) -> dict:
    return {(c.row, c.col): c for c in grid.cells}


def _spans(grid) -> set:
    return {(c.row, c.col, c.rowspan, c.colspan) for c in grid.cells}


def _cjk(c, size: float = 9) -> None:
    from samples.render import register_fonts
    register_fonts()
    c.setFont("zenhei", size)


# A 3 x 3 table, x 50..350 and y (reportlab, up) 250..190: the header's first two cells merged,
# the first column's lower two cells merged.
XS = [50, 150, 250, 350]
YS = [250, 230, 210, 190]


def _merged_table_lines(c) -> None:
    # Rules as separate strokes, the top rule in two abutting pieces (drawn as producers do).
    c.line(XS[0], YS[0], 200, YS[0]); c.line(200, YS[0], XS[3], YS[0])
    c.line(XS[0], YS[1], XS[3], YS[1])
    c.line(XS[1], YS[2], XS[3], YS[2])          # not across the merged first column
    c.line(XS[0], YS[3], XS[3], YS[3])
    c.line(XS[0], YS[0], XS[0], YS[3]); c.line(XS[3], YS[0], XS[3], YS[3])
    c.line(XS[1], YS[1], XS[1], YS[3])          # not through the merged header
    c.line(XS[2], YS[0], XS[2], YS[3])
    c.drawString(55, 236, "Header AB"); c.drawString(255, 236, "C")
    c.drawString(55, 204, "tall"); c.drawString(155, 216, "12"); c.drawString(255, 216, "3 4")
    c.drawString(155, 196, "5"); c.drawString(255, 196, "six")


def _assert_merged_table(grid) -> None:
    assert (grid.n_rows, grid.n_cols) == (3, 3)
    assert _spans(grid) == {(0, 0, 1, 2), (0, 2, 1, 1), (1, 0, 2, 1), (1, 1, 1, 1), (1, 2, 1, 1),
                            (2, 1, 1, 1), (2, 2, 1, 1)}
    assert grid.col_edges == pytest.approx(XS, abs=0.01)
    assert grid.row_edges == pytest.approx([H - y for y in YS], abs=0.01)
    cells = _cells(grid)
    assert cells[(1, 0)].bbox == pytest.approx((50, H - 230, 150, H - 190), abs=0.01)
    assert {k: c.text for k, c in cells.items()} == {
        (0, 0): "Header AB", (0, 2): "C", (1, 0): "tall", (1, 1): "12", (1, 2): "3 4",
        (2, 1): "5", (2, 2): "six"}


def test_stroked_lines_with_merged_cells(tmp_path):
    grids = _grids(_pdf(tmp_path / "lines.pdf", _merged_table_lines))
    assert len(grids) == 1
    _assert_merged_table(grids[0])


def test_filled_bars_shading_and_white_lines(tmp_path):
    """Rules drawn as thin filled bars; a header shading whose edges are no rules; a white line
    across a merged cell parts nothing."""
    def draw(c):
        c.setFillColorRGB(0.8, 0.85, 0.9)
        c.rect(XS[0], YS[1], XS[3] - XS[0], YS[0] - YS[1], stroke=0, fill=1)   # header shading
        c.rect(XS[1] + 10, YS[3] + 4, 60, 8, stroke=0, fill=1)                  # a highlight
        c.setFillColorRGB(0, 0, 0)
        t = 0.75
        for y in YS:
            x0 = XS[1] if y == YS[2] else XS[0]
            c.rect(x0, y - t / 2, XS[3] - x0, t, stroke=0, fill=1)
        for x in XS:
            y1 = YS[1] if x == XS[1] else YS[0]
            c.rect(x - t / 2, YS[3], t, y1 - YS[3], stroke=0, fill=1)
        c.setStrokeColorRGB(1, 1, 1)
        c.line(XS[0], YS[2], XS[1], YS[2])              # white, through the merged cell
        c.line(200, YS[0], 200, YS[1])                  # white, through the merged header
        c.setFillColorRGB(0, 0, 0)
        c.drawString(55, 236, "Header AB"); c.drawString(255, 236, "C")
        c.drawString(55, 204, "tall"); c.drawString(155, 216, "12"); c.drawString(255, 216, "3 4")
        c.drawString(155, 196, "5"); c.drawString(255, 196, "six")
    grids = _grids(_pdf(tmp_path / "bars.pdf", draw))
    assert len(grids) == 1
    _assert_merged_table(grids[0])


def test_rectangle_per_cell_in_a_form_on_a_page_stored_turned(tmp_path):
    """One stroked rectangle per cell (merged cells one rectangle), inside a Form XObject placed
    by a translation, on a page whose content is drawn turned and shown upright by /Rotate 90,
    with a CropBox off the MediaBox's corner: boxes are where the render shows the rules."""
    cells = [(0, 0, 1, 2, "Header AB"), (0, 2, 1, 1, "C"), (1, 0, 2, 1, "tall"),
             (1, 1, 1, 1, "12"), (1, 2, 1, 1, "3 4"), (2, 1, 1, 1, "5"), (2, 2, 1, 1, "six")]

    def draw(c):
        c.beginForm("table", 0, 0, W, H)
        c.setFont("Helvetica", 9)
        for r, col, rs, cs, text in cells:
            x0, x1 = XS[col], XS[col + cs]
            y_top, y_bottom = YS[r], YS[r + rs]
            c.rect(x0, y_bottom, x1 - x0, y_top - y_bottom, stroke=1, fill=0)
            c.drawString(x0 + 5, y_top - 14, text)
        c.endForm()
        # Stored turned: user space runs up the displayed page; /Rotate 90 turns it upright.
        c.translate(H, 0)
        c.rotate(90)
        c.translate(-20, 30)        # where the form goes
        c.doForm("table")

    path = _pdf(tmp_path / "turned.pdf", draw, size=(H, W))
    turned = tmp_path / "turned90.pdf"
    with pikepdf.open(path) as pdf:
        pdf.pages[0].Rotate = 90
        pdf.pages[0].CropBox = [10, 15, H - 5, W - 20]
        pdf.save(turned)
    grids = _grids(turned)
    assert len(grids) == 1
    grid = grids[0]
    assert (grid.n_rows, grid.n_cols) == (3, 3)
    assert _spans(grid) == {(r, c, rs, cs) for r, c, rs, cs, _ in cells}
    assert {(c.row, c.col): c.text for c in grid.cells} == {(r, c): t for r, c, _, _, t in cells}
    # Displayed: the CropBox (285 x 365 pt) turned; the rules lie where the render draws them.
    document = pdfium.PdfDocument(str(turned))
    try:
        image = document[0].render(scale=2).to_numpy().mean(axis=2)
    finally:
        document.close()
    assert image.shape[:2] == (2 * (H - 5 - 10), 2 * (W - 20 - 15))
    mid_y = (grid.row_edges[1] + grid.row_edges[2]) / 2
    mid_x = (grid.col_edges[1] + grid.col_edges[2]) / 2
    for x in grid.col_edges:
        assert image[int(2 * mid_y), int(round(2 * x)) - 1:int(round(2 * x)) + 2].min() < 128
    for y in grid.row_edges:
        assert image[int(round(2 * y)) - 1:int(round(2 * y)) + 2, int(2 * mid_x) + 30].min() < 128
    assert image[int(2 * mid_y), int(2 * mid_x) + 30] > 200      # inside a cell: paper


def test_two_tables_stacked_close_are_two_grids(tmp_path):
    """Two tables a row's height apart are two grids (closer, their rules alongside bound no row:
    one table's double rule, test_cells_boxed_each_on_its_own_are_one_table)."""
    def draw(c):
        for top in (250, 192):          # the second 8 pt below the first
            ys = [top, top - 25, top - 50]
            for y in ys:
                c.line(50, y, 350, y)
            for x in (50, 200, 350):
                c.line(x, ys[0], x, ys[-1])
            c.drawString(55, top - 17, f"t{top} a"); c.drawString(205, top - 17, "1")
            c.drawString(55, top - 42, "b"); c.drawString(205, top - 42, "2")
    grids = _grids(_pdf(tmp_path / "stacked.pdf", draw))
    assert [(g.n_rows, g.n_cols) for g in grids] == [(2, 2), (2, 2)]
    assert [g.bbox for g in grids] == [pytest.approx((50, 50, 350, 100)), pytest.approx((50, 108, 350, 158))]
    assert [c.text for c in grids[1].cells] == ["t192 a", "1", "b", "2"]


def test_cells_boxed_each_on_its_own_are_one_table(tmp_path):
    """A web page's table printed by a browser (HTML's cellspacing, CSS border-collapse:
    separate): every cell its own box, 2.25 pt from the next, the table's frame round them all.
    No box's rule crosses another's: the page held no table, and a report of them read 3 cells
    of 200."""
    gap = 2.25

    def draw(c):
        c.rect(50 - gap, 250 - 50 - 2 * gap, 300 + 2 * gap, 50 + 3 * gap)     # the table's own frame
        for row, top in enumerate((250, 250 - 25 - gap)):
            for col, (left, right) in enumerate(((50, 200), (200 + gap, 350))):
                c.rect(left, top - 25, right - left, 25)
                c.drawString(left + 5, top - 17, f"r{row}c{col}")
    grids = _grids(_pdf(tmp_path / "boxed.pdf", draw))
    assert [(g.n_rows, g.n_cols) for g in grids] == [(2, 2)]
    assert [c.text for c in grids[0].cells] == ["r0c0", "r0c1", "r1c0", "r1c1"]


def test_turned_and_stacked_labels_read_as_one_line(tmp_path):
    """A label set turned (reading downwards, as WPS's 文字方向 does) and one stacked a character
    a line read top to bottom, text turned the other way bottom to top; digits one under another
    stay two lines."""
    def draw(c):
        for y in (250, 150, 50):
            c.line(50, y, 250, y)
        for x in (50, 100, 250):
            c.line(x, 250, x, 50)
        _cjk(c, 10)
        c.saveState()
        c.translate(70, 240)
        c.rotate(-90)
        c.drawString(0, 0, "三、本年度")
        c.restoreState()
        for i, ch in enumerate(["申", "请", "人"]):
            c.drawString(70, 130 - 14 * i, ch)
        c.drawString(120, 230, "1")
        c.drawString(120, 214, "2")
        c.setFont("Helvetica", 10)
        c.saveState()
        c.translate(180, 60)
        c.rotate(90)                    # reading upwards
        c.drawString(0, 0, "Sum 12")
        c.restoreState()
    grid = _grids(_pdf(tmp_path / "vertical.pdf", draw))[0]
    texts = {(c.row, c.col): c.text for c in grid.cells}
    assert texts == {(0, 0): "三、本年度", (0, 1): "1\n2", (1, 0): "申请人", (1, 1): "Sum 12"}


def test_no_table_from_a_frame_an_empty_grid_or_curves(tmp_path):
    def draw(c):
        c.rect(20, 20, 360, 260)                        # a page frame: one box
        for y in (250, 230, 210):                       # a ruled grid with nothing in it
            c.line(50, y, 350, y)
        for x in (50, 150, 250, 350):
            c.line(x, 250, x, 210)
        c.circle(200, 100, 40)
        c.drawString(60, 150, "prose")
    path = _pdf(tmp_path / "none.pdf", draw)
    assert _grids(path) == []
    document = pdfium.PdfDocument(str(path))
    try:
        rulings = grid_pdf.page_rulings(document[0])
    finally:
        document.close()
    # The frame's 4 sides and the grid's 7 lines; the circle's arcs are none.
    assert len(rulings) == 11
    assert all(r.hi - r.lo >= 40 for r in rulings)


def test_flat_curves_are_lines(tmp_path):
    def draw(c):
        p = c.beginPath()
        for y in (250, 225, 200):
            p.moveTo(50, y)
            p.curveTo(100, y, 200, y, 250, y)       # a Bezier drawn straight
        for x in (50, 150, 250):
            p.moveTo(x, 250)
            p.lineTo(x, 200)
        c.drawPath(p, stroke=1, fill=0)             # one path of many subpaths
        c.drawString(55, 235, "a"); c.drawString(155, 235, "b"); c.drawString(55, 210, "c")
    grids = _grids(_pdf(tmp_path / "flat.pdf", draw))
    assert [(g.n_rows, g.n_cols) for g in grids] == [(2, 2)]


@pytest.mark.parametrize("pdf", sorted(COMMITTED.glob("*.pdf")), ids=lambda p: p.stem)
def test_committed_reports_cells_are_where_they_were_drawn(pdf):
    """Every template cell of a committed report is a grid cell with the box it was drawn in
    and its value as text."""
    truth = json.loads(pdf.with_suffix(".truth.json").read_text(encoding="utf-8"))
    pages = sorted({c["page"] for c in truth["cells"]})
    grids = read_vector_grids(str(pdf), pages, {}, Config())
    for cell in truth["cells"]:
        found = [g for grid in grids[cell["page"]] for g in grid.cells
                 if max(abs(a - b) for a, b in zip(g.bbox, cell["bbox"])) < 0.05]
        assert len(found) == 1, cell
        printed = cell["printed"] if "printed" in cell else str(cell["value"])
        assert "".join(found[0].text.split()) == "".join(printed.split()), (cell, found[0].text)


def test_extract_of_a_born_digital_report_does_not_import_camelot():
    """camelot (and pandas under it) is for the raster fallback alone."""
    code = ("import sys, pipeline; report = pipeline.extract(sys.argv[1]); "
            "assert report.cells; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('camelot', 'pandas')))")
    pdf = sorted(COMMITTED.glob("*.pdf"))[0]
    proc = subprocess.run([sys.executable, "-c", code, str(pdf)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("style", ["double_frame", "boxed_cells"])
def test_double_rules_are_one_rule(tmp_path, style):
    """A report's tables drawn with double rules — a second frame 2.5 pt round each table (Word's
    double border), or each cell framed again 2.5 pt inside its rules (a web page's table) —
    give the grids the single rules give: no sliver of a row or column between the two lines,
    where each value was read one column over."""
    shapes = {rules: _layouts_report_grids(tmp_path, rules) for rules in ("", style)}
    assert shapes[style] == shapes[""] and any(shapes[""])


def _layouts_report_grids(folder, rule_style: str) -> list[list[tuple]]:
    """Per page, the shape of each grid of the layouts report drawn with `rule_style`."""
    from page_images import render_layouts_report

    path = folder / f"{rule_style or 'single'}.pdf"
    render_layouts_report(path, rule_style)
    document = pdfium.PdfDocument(str(path))
    try:
        return [[(g.n_rows, g.n_cols, sorted(_spans(g))) for g in grid_pdf.read_page_grids(document, i)]
                for i in range(len(document))]
    finally:
        document.close()


def test_open_sided_tables_give_the_grids_of_ruled_ones(tmp_path):
    """Word's open-sided tables draw no rule down their left and right sides: the heading rows
    of table 二's blocks then touch no column rule, and the blocks fell apart into pieces too
    small to be tables. The rows' rules ending on one line imply the sides: the grids are those
    of the fully ruled report, and no two tables are joined across the section heading between
    them (a row no column rule crosses, taller than the rows beside it)."""
    shapes = {rules: _layouts_report_grids(tmp_path, rules) for rules in ("", "open_sides")}
    assert shapes["open_sides"] == shapes[""] and sum(map(len, shapes[""])) == 4


def test_tables_ruled_by_rows_only_give_the_grids_of_ruled_ones(tmp_path):
    """A table printed from a web page, or given horizontal borders only in Word, parts its
    columns by space alone: no column rule, no table, and the report was refused. The edges its
    rows' gaps and its rules' ends imply give tables 三 and 四 the grids, merged cells and all, of
    the fully ruled report (table 二's blocks of three columns among those of four take edges of
    their own, where the ruled report merges two of the four)."""
    from page_images import render_clean_report

    shapes = {}
    for rules in ("", "rows_only"):
        path = tmp_path / f"{rules or 'ruled'}.pdf"
        result = render_clean_report(path, rules)
        document = pdfium.PdfDocument(str(path))
        try:
            shapes[rules] = [(g.n_rows, g.n_cols, sorted(_spans(g))) for table in ("applications", "review")
                             for page in result.table_pages[table]
                             for g in grid_pdf.read_page_grids(document, page - 1) if g.n_cols >= 10]
        finally:
            document.close()
    assert shapes["rows_only"] == shapes[""] and len(shapes[""]) >= 3


def test_a_rule_drawn_a_little_over_from_row_to_row_is_two_edges(tmp_path):
    """Cells sized by hand: the rule between two columns stands at x=150 in the first row and
    3.5 pt over in the second. Not a double rule (the two never run alongside): each row keeps
    its values apart."""
    def draw(c):
        c.setLineWidth(0.5)
        for y in (250, 230, 210):
            c.line(50, y, 350, y)
        for x in (50, 350):
            c.line(x, 250, x, 210)
        c.line(150, 250, 150, 230)
        c.line(153.5, 230, 153.5, 210)
        c.line(250, 250, 250, 210)
        for x, y, text in ((90, 236, "11"), (190, 236, "22"), (290, 236, "33"),
                           (90, 216, "44"), (190, 216, "55"), (290, 216, "66")):
            c.drawString(x, y, text)

    grid, = _grids(_pdf(tmp_path / "offset.pdf", draw))
    assert sorted(c.text for c in grid.cells if c.text) == ["11", "22", "33", "44", "55", "66"]


def test_column_rules_ending_on_one_line_close_a_frameless_table():
    """Tables drawn with inside rules only leave their top and bottom open. Two rows of table 三
    carried over to a page of their own: one row rule between them and the column rules down
    both, too few row rules for a table until the column rules' shared ends close it; a block of
    table 二 printed as a table of its own ends where its column rules do, not at the next
    block's first rule below."""
    R = grid_pdf.Ruling
    carried = [R(True, 84.0, 83.0, 512.0)] + [R(False, x, 65.0, 104.0) for x in (125.0, 171.0, 275.0, 309.0)]
    closed = grid_pdf.with_open_rows(carried)
    assert sorted(r.pos for r in closed if r.horizontal) == [65.0, 84.0, 104.0]
    assert all((r.lo, r.hi) == (83.0, 512.0) for r in closed if r.horizontal)
    table, = grid_pdf.find_tables(closed)
    assert table.row_edges == pytest.approx([65.0, 84.0, 104.0])
    block = [R(True, y, 83.0, 512.0) for y in (220.0, 242.0, 264.0)] + \
            [R(False, x, 220.0, 300.0) for x in (229.0, 323.0, 418.0)] + [R(True, 331.0, 83.0, 512.0)]
    assert 300.0 in [r.pos for r in grid_pdf.with_open_rows(block) if r.horizontal]
    # A ruled table's column rules all end on row rules: nothing is added.
    ruled = [R(True, y, 83.0, 512.0) for y in (220.0, 242.0, 264.0)] + [R(False, x, 220.0, 264.0) for x in (83.0, 300.0, 512.0)]
    assert grid_pdf.with_open_rows(ruled) == ruled


def test_a_number_wrapped_in_a_narrow_cell_is_one_number(tmp_path):
    """Digits typed full-width break like Chinese characters: in a column too narrow for it, a
    browser or a word processor wraps "１２６" as "１２" over "６", which read as two numbers,
    unreadable. A line that its next character would not have fitted beside goes on; numbers
    set one under another in a cell with room stay two lines."""
    def draw(c):
        _cjk(c, 9)
        for y in (250, 220):
            c.line(50, y, 250, y)
        for x in (50, 76, 250):
            c.line(x, 250, x, 220)
        c.drawString(53, 238, "１２")          # the narrow cell: 26 pt, 3 pt padding
        c.drawString(53, 226, "６")
        c.drawString(150, 238, "12")           # the wide one
        c.drawString(150, 226, "6")
    grid = _grids(_pdf(tmp_path / "wrapped.pdf", draw))[0]
    assert [c.text for c in grid.cells] == ["１２６", "12\n6"]


@pytest.mark.parametrize("index", [0, 2])
def test_a_table_drawn_with_no_rule_at_all_is_read_by_its_spacing(tmp_path, index):
    """A Word table with its borders off (or a web page whose stylesheet is lost) draws no rule:
    nothing was a table and the report was refused. Its rows are the lines of figures with the
    text beside them (labels wrapped over three lines, values on the middle one; a label centred
    down a merged cell; header rows centred over their columns) and its columns the gaps they
    leave: every cell is read. The layer's text is exact but its place in the table is the
    spacing's guess, except in a row that prints one figure or mark for each of its columns:
    left to right, they are its columns in order. Those the layer confirms; no value is
    silently wrong, and both reports go straight through."""
    import pipeline
    from pipeline.evaluate import compare_with_truth

    from page_images import render_clean_report_truth

    path = tmp_path / "borderless.pdf"
    truth = render_clean_report_truth(path, "none", index)
    document = pdfium.PdfDocument(str(path))
    try:
        spaced = [grid_pdf.read_page_grids(document, i, by_spacing=True) for i in range(len(document))]
        assert not any(grid_pdf.read_page_grids(document, i) for i in range(len(document)))
    finally:
        document.close()
    assert sum(map(len, spaced)) >= 3
    assert all(cell.placed_by_spacing for grids in spaced for grid in grids for cell in grid.cells)
    data = pipeline.extract(path).to_json()
    result = compare_with_truth(data, truth)
    assert result["right"] == result["total"] and not result["silent_cells"]
    by_layer = [c for c in data["cells"] if "text_layer" in c["evidence"]]
    assert {c["table"] for c in by_layer} == {"active", "applications", "review"}
    assert all(c["text"].strip() for c in by_layer)
    assert all(c["status"] == "confirmed" for c in data["cells"] if c["table"] == "applications")
    assert not data["needs_review"]


def _read_with_no_rule(tmp_path, index: int) -> tuple[dict, dict, dict]:
    """The clean corpus's report `index` rendered with no rule at all: its truth, what extract
    made of it, and how that compares."""
    import pipeline
    from pipeline.evaluate import compare_with_truth

    from page_images import render_clean_report_truth

    path = tmp_path / "borderless.pdf"
    truth = render_clean_report_truth(path, "none", index)
    data = pipeline.extract(path).to_json()
    return truth, data, compare_with_truth(data, truth)


def test_a_block_of_one_row_in_a_table_with_no_rule_is_a_table(tmp_path):
    """Report 42 prints each of table 二's blocks under its heading (第二十条第（五）项) and its row
    of column names, values set left in their cells: 行政许可 and 行政事业性收费 are a block's
    one row each. One row of a label and a value was no table, and both cells went unread; under
    a row of as many column names it is one, and the report goes straight through."""
    truth, data, result = _read_with_no_rule(tmp_path, 42)
    assert "numbers_left" in truth["layout"]
    assert result["right"] == result["total"] and not data["needs_review"]


def test_a_header_row_under_a_running_title_is_a_row_of_its_own(tmp_path):
    """A browser's page printed without table borders, a block of table 二 at the top of the
    page: the running title (date, report's name), the block's column names and its row of
    values, each line as close to the next. The column names' first stood nearer its cell below
    (行政事业性收费) and the others nearer the title: the row of names was taken for the first
    line of the row of values, whose cells then read "上一年项目数量" over "8", unreadable."""
    def draw(c):
        _cjk(c, 8)
        c.drawString(24, H - 22, "12/5/26, 9:40 PM")
        c.drawString(200, H - 22, "苏州市人民政府2019年政府信息公开工作年度报告")
        rows = [("信息内容", "上一年项目数量", "本年增/减"), ("行政事业性收费", "8", "0"),
                ("", "第二十条第（九）项", ""), ("信息内容", "采购项目数量", "采购总金额"),
                ("政府集中采购", "0", "0")]
        # Table 三 below, its rows set further apart than the block's.
        rows += [("", "", "")] * 2 + [(f"{k + 1}.本年新收", str(631 - k), str(118 + k)) for k in range(5)]
        _cjk(c, 11)
        for k, row in enumerate(rows):
            for x, text in zip((150, 230, 320), row):
                c.drawCentredString(x, H - 38 - 18 * k - 8 * max(0, k - 6), text)
    grids = _grids_by_spacing(_pdf(tmp_path / "block.pdf", draw))
    texts = [[c.text for c in sorted(g.cells, key=lambda c: (c.row, c.col))] for g in grids]
    assert any(["行政事业性收费", "8", "0"] == t[k:k + 3] for t in texts for k in range(len(t)))
    assert not any("\n" in text for t in texts for text in t)


@pytest.mark.parametrize("index,form", [
    (6, "a value printed with its unit, 6276.10元, a block's one row"),
    (16, "a block's one row carried to the next page's top, its header at the foot of the page before"),
    (36, "a block's one row of a label and one figure carried to the next page's top"),
    (20, "table 四 whose outcome headers (其他结果 over two lines) read 其他, a label of table 三"),
    (27, "each block's heading right above its row of column names"),
    (94, "a row's label over three lines beside a block's label set down merged rows (read right before: kept)"),
])
def test_forms_of_a_table_with_no_rule_that_lost_cells(tmp_path, index, form):
    """Reports of the clean corpus rendered with no rule at all, each printing a form that lost
    cells or sent right ones to review: a value with its unit was no figure, and its block's one
    row no table; a row alone at a page's top was no table (one row of a label and a value was
    one only under its column names); table 四 was taken for table 三 carried over, its 其他 a
    vote for 三; a column name under a heading went with the heading, the names' row with the
    row below. Every cell is read, none silently wrong, and the report goes straight through."""
    truth, data, result = _read_with_no_rule(tmp_path, index)
    assert "rules:none" in truth["layout"]
    assert result["right"] == result["total"] and not result["silent_cells"], form
    assert not data["needs_review"], form


def test_a_table_with_no_rule_that_prints_its_blanks_empty_takes_its_columns_from_their_names(tmp_path):
    """Report 8 prints its blanks empty: most rows of table 三 hold one to three figures, and the
    gaps between them run over several columns, so its page 2 part had 6 columns for 10 and 82
    cells were lost. Its row of column names shows every column; every cell is read now, none
    silently wrong. Which column an empty cell is, only the spacing says: those stay doubtful."""
    truth, data, result = _read_with_no_rule(tmp_path, 8)
    assert "blank:empty" in truth["layout"]
    assert result["right"] == result["total"] and not result["silent_cells"]


@pytest.mark.parametrize("index", [81, 107, 11])
def test_a_table_with_no_rule_carried_over_without_its_header_keeps_its_columns(tmp_path, index):
    """Table 三 carried over to the next page without its header, drawn with no rule: where its
    blanks print empty (report 81) or its total column is left blank (reports 107, 11), no row
    there fills every column and the spacing finds fewer columns than the part before it. Its
    rows were lost (88 of 200 cells right in 107) or, in 81, taken for the other form of （六）:
    the template's three rows under it went missing with no cell in review. The part carried
    over takes the columns of the part before it; every value of table 三 is read, none silently
    wrong. Report 11's first part lost its blank total column as well (37 of 200 right): the
    edge of a column left empty in every row was put half way to the table's side, through its
    header 总计, which stands right of the values; it stands between them now."""
    truth, data, result = _read_with_no_rule(tmp_path, index)
    assert "applications_split_no_header" in truth["layout"]
    assert not result["silent_cells"]
    assert not [k for k in list(result["wrong"]) + result["missing"] if k[0] == "applications"]


def test_a_column_left_blank_in_a_table_with_no_rule_keeps_its_place(tmp_path):
    """Report 35 leaves table 三's total column blank in every row: with no rule, only its
    header shows the column. Taken for none, the columns under 法人或其他组织 ran one short and
    the table's 182 cells were not read; every cell is read now, none silently wrong. Its rows
    print a figure fewer than their columns: which one is blank, only the spacing says, so the
    layer confirms none of them."""
    truth, data, result = _read_with_no_rule(tmp_path, 35)
    assert "inconsistent:total_column_blank" in truth["layout"]
    assert result["right"] == result["total"] and not result["silent_cells"]
    assert not any("text_layer" in c["evidence"] for c in data["cells"] if c["table"] == "applications")


def test_a_wrapped_label_and_a_label_down_merged_rows_keep_their_rows(tmp_path):
    """(六)其他处理's first row prints its label over three lines with its values beside the middle
    one, and the block's label centred down its three rows: one row each, the label's lines with
    their values, the block's label in none of them."""
    from page_images import spaced_grids_of_clean_report

    grids = spaced_grids_of_clean_report(tmp_path / "borderless.pdf", 0)
    rows = {}
    for grid in grids:
        for cell in grid.cells:
            rows.setdefault((id(grid), cell.row), []).append(cell)
    texts = {key: "".join(c.text.replace("\n", "") for c in sorted(cells, key=lambda c: c.col) if c.col < 3)
             for key, cells in rows.items()}
    wrapped = [key for key, text in texts.items() if "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请" in text]
    assert len(wrapped) == 1
    values = [c.text for c in sorted(rows[wrapped[0]], key=lambda c: c.col) if c.col >= 2 and c.text.strip()]
    assert values[-7:] == ["4", "2", "0", "0", "10", "2", "18"]


def test_no_table_from_prose_by_its_spacing(tmp_path):
    """Prose, headings and a line of contact details hold no table: no grid is drawn from them."""
    def draw(c):
        _cjk(c, 10.5)
        y = H - 40
        for line in ["一、总体情况", "全年共收到政府信息公开申请150件，均在法定期限内予以答复。",
                     "主动公开政府信息1074条，其中政策文件1905件，政策解读2242篇。",
                     "联系电话：0571-87654321        传真：0571-87654322", "二、主动公开政府信息情况"]:
            c.drawString(40, y, line)
            y -= 22
    path = _pdf(tmp_path / "prose.pdf", draw)
    assert _grids_by_spacing(path) == []


def _grids_by_spacing(path, index: int = 0):
    document = pdfium.PdfDocument(str(path))
    try:
        return grid_pdf.read_page_grids(document, index, by_spacing=True)
    finally:
        document.close()
