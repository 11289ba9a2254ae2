"""The scan reader on inputs of its own: a scanned report whose tables are drawn with no rule."""
from __future__ import annotations

import pipeline
from pipeline.evaluate import compare_with_truth
from pipeline.resolve import CHOSEN_FLAG
from samples.degrade import write_variant

from page_images import render_clean_report_truth


def _scanned(tmp_path, index: int, variant: str = "scan200", seed: int = 2024,
             name: str = "borderless", ruled: bool = False) -> tuple[dict, dict, dict]:
    """The clean corpus's report `index` drawn with no rule at all (`ruled`: with its rules) and
    scanned (`variant`, as samples.degrade makes it of a file called `name`): its truth, what
    extract made of the scan, and how that compares."""
    src = tmp_path / f"{name}.pdf"
    truth = render_clean_report_truth(src, "" if ruled else "none", index)
    data = pipeline.extract(write_variant(src, tmp_path / variant, variant, seed=seed)).to_json()
    return truth, data, compare_with_truth(data, truth)


def test_a_scan_of_tables_drawn_with_no_rule_is_read_by_their_spacing(tmp_path):
    """A Word report whose tables have their borders off, printed and scanned at 200 dpi: no page
    holds a ruled table, and the report was refused ("none of the template's tables was
    found"). Its tables are found as a text layer's are, from the lines the detector finds and
    reads, cut where their ink leaves a cell's gap; their cells are read from the pixels as any
    scanned cell. Report 1 is read whole, and its rows print a figure in every column (their
    order fixes each cell's place), so it goes straight through."""
    truth, data, result = _scanned(tmp_path, 1)
    assert {p["read_by"] for p in data["pages"]} == {"ocr"}
    assert result["right"] == result["total"] and not result["silent_cells"]
    assert not data["needs_review"]


def test_a_scan_of_tables_with_no_rule_whose_blanks_are_dashes(tmp_path):
    """Report 4 prints its blanks "—": a dash alone in its cell is no line to the detector, so
    rows of table 三 showed fewer figures than columns and lost their columns (25 of 198 cells
    right). A dash that no detected line holds counts as the blank's mark it is: every cell of
    tables 二 and 三 is read, and none is silently wrong."""
    truth, data, result = _scanned(tmp_path, 4)
    assert sum(c.get("printed") == "—" for c in truth["cells"]) > 50
    assert not result["silent_cells"]
    assert not [k for k in list(result["wrong"]) + result["missing"] if k[0] != "review"]


def test_a_scan_of_tables_with_no_rule_whose_cells_hold_a_lone_mark(tmp_path):
    """Report 2 prints blanks as "/" and many a cell with one figure: the detector returns no
    line for a lone "/" or "1", so the rows showed fewer figures than columns and their columns
    ran together (16 of 200 cells right). Ink that no detected line holds is read as a mark of
    its own: every cell is read, and none is silently wrong."""
    truth, data, result = _scanned(tmp_path, 2)
    assert "blank:slash" in truth["layout"]
    assert result["right"] == result["total"] and not result["silent_cells"]


def test_a_scan_of_tables_with_no_rule_whose_blanks_print_nothing(tmp_path):
    """Report 8 prints its blanks as nothing, shades its header rows, draws a diagonal in the
    corner cell and sets 三、本年度办理结果 down a merged cell: its table 三 was lost whole (168
    of 186 cells). The detector's box of a header line reached into the next line's label
    (社会公益 / 组织), and the two lines stood as one; a character of the merged cell's label
    alone between two rows parted the table, the lower part without the header that gives it
    its columns; a line of bold text was taken for a rule an inch long and turned its page by
    2.3 degrees. Now every cell of tables 二 and 三 is read, and none is silently wrong."""
    truth, data, result = _scanned(tmp_path, 8)
    assert "blank:empty" in truth["layout"]
    assert {p["skew"] for p in data["pages"]} == {0.0}
    assert not result["silent_cells"]
    assert not [k for k in list(result["wrong"]) + result["missing"] if k[0] != "review"]


def test_a_scan_of_tables_with_no_rule_whose_zeros_read_as_letters(tmp_path):
    """Report 7's zeros are read "O" in the lines the detector finds, and "（五）不 / 予处理" sets
    its two lines beside two rows: with the zeros taken for no figure, the row of 3.要求提供公开
    出版物 had none, and the two rows ran into one (7 cells lost, 3 wrong). A number read with
    letters for digits is figures: every cell is read right, and the report goes straight
    through."""
    truth, data, result = _scanned(tmp_path, 7)
    assert result["right"] == result["total"] and not result["silent_cells"]
    assert not data["needs_review"]


def test_a_ruled_box_of_one_column_leaves_tables_drawn_with_no_rule_sought(tmp_path):
    """A 100 dpi scan of report 2 shows one ruled grid of one column on a page (the edges of its
    shaded header bands): taken for a ruled table, it left the report's tables drawn with no
    rule unsought, and the report was refused as no annual report. A ruled table of one column
    is none of the template's: the tables are found by their spacing, every cell of tables 二
    and 三 read right, and none silently wrong."""
    truth, data, result = _scanned(tmp_path, 2, "scan100", seed=7, name="borderless-2024-002-2021")
    assert not result["silent_cells"]
    assert not [k for k in list(result["wrong"]) + result["missing"] if k[0] != "review"]


def test_specks_of_paper_noise_are_no_blank_dashes(tmp_path):
    """A harsh scan (noise, blur) of report 1 sprinkles specks a few pixels apart over the page.
    Joined where lone marks are sought, a row of them had a dash's shape, and each such "—"
    gave a table drawn with no rule a column of its own: 108 cells were lost or wrong. A dash
    is one stroke, its ink across most of its width: every cell is read right and settled."""
    truth, data, result = _scanned(tmp_path, 1, "scan200-harsh", seed=7, name="borderless-2024-001-2019")
    assert result["right"] == result["total"] and not result["silent_cells"]
    assert not data["review_cells"]


def test_a_photograph_of_tables_drawn_with_no_rule_is_rectified_by_the_sheets_edges(tmp_path):
    """Report 1 photographed on a desk: the sheet in perspective, no rule to show it. Turned
    only, its rows lay level and its columns still leaned by 3°, so the values of a row of table
    三 ran into the next column's place further down the page: 70 cells lost. The sheet's edges
    rectify the page, and every cell is read right and settled."""
    truth, data, result = _scanned(tmp_path, 1, "photo200", seed=7, name="borderless-2024-001-2019")
    assert result["right"] == result["total"] and not result["silent_cells"]
    assert not data["review_cells"]


def test_a_ruled_grid_of_no_table_leaves_tables_drawn_with_no_rule_sought(tmp_path):
    """Report 0 scanned with the back page's print showing through: on its first page that
    print formed a small ruled grid of five columns, holding a few misread characters and no
    figure. Taken for a ruled table, it left the report's tables drawn
    with no rule unsought, and the report was refused as no annual report. A ruled grid counts
    only where it holds the template's labels or figures: every cell is read right."""
    truth, data, result = _scanned(tmp_path, 0, "scan200-show-through", seed=7, name="borderless-2024-000-2021")
    assert result["right"] == result["total"] and not result["silent_cells"]


def test_a_1_bit_scan_whose_threshold_cut_the_print_away_confirms_no_blank(tmp_path):
    """A 1-bit scan at 200 dpi whose threshold, drawn light, cut most of the page's digits to
    dots and some away whole: a 2 and a 3 left no ink at all, and both readers read nothing,
    which their agreement confirmed (8 blanks, silently wrong). Where more of the cells without a
    glyph hold dots than clean paper, none of them is a sure blank: every one goes to review."""
    truth, data, result = _scanned(tmp_path, 2, "bilevel200", seed=11, name="synth-2024-002-2021", ruled=True)
    assert result["wrong"] and not result["silent_cells"], result["silent_cells"]


def test_a_blank_mark_in_doubt_on_a_1_bit_scan_keeps_what_its_digit_may_have_been(tmp_path):
    """A 1-bit scan's threshold left of a 2 its foot and dots of its arc: the cell reads as the
    blank mark "—", in doubt. What the recognizer reads in all of the cell's ink, softened, is
    kept as the readings an identity may choose: the identities take the 2 among them, flagged
    as chosen, and no cell is silently wrong."""
    src = tmp_path / "synth-2024-004-2019.pdf"
    truth = render_clean_report_truth(src, "", 4)
    report = pipeline.extract(write_variant(src, tmp_path / "bilevel300", "bilevel300", seed=0))
    want = {(c["table"], c["row"], c["column"]): c["value"] for c in truth["cells"]}
    doubted = [c for c in report.cells if c.text == "—" and c.confidence < 1.0 and want[c.key] is not None]
    assert doubted and all(c.value is None or CHOSEN_FLAG in c.flags for c in doubted)
    assert any(c.value == want[c.key] for c in doubted)
    assert not compare_with_truth(report.to_json(), truth)["silent_cells"]


def test_a_coarse_scan_of_tables_with_no_rule_and_a_false_grid_is_read_by_their_spacing(tmp_path):
    """At 100 dpi, strokes of report 4's label column gave a grid of two columns whose cells read
    as figures ("1", "7"): a grid that may be a table, so the tables drawn with no rule were not
    sought, and the report was refused (none of the template's tables found). Matched, the
    grid holds none of the template's tables: the spacing finds them, and no cell is silently
    wrong."""
    from samples.degrade import VARIANTS, make_scan

    src = tmp_path / "borderless.pdf"
    truth = render_clean_report_truth(src, "none", 4)
    scan = tmp_path / "scan100.pdf"
    make_scan(src, scan, VARIANTS["scan100"], seed=7, label="scan100")
    data = pipeline.extract(scan).to_json()
    result = compare_with_truth(data, truth)
    assert result["right"] >= 0.98 * result["total"] and not result["silent_cells"]
    assert data["agency"] == truth["agency"] and data["year"] == truth["year"]


def test_a_label_set_down_a_merged_cell_parts_no_rows_of_a_table_drawn_with_no_rule(tmp_path):
    """Report 0 sets 三、本年度办理结果 down its merged cell one character under another; at 150
    dpi the detector drew one box round a column of them, beside a box round one of them. Read
    on paper, with the margin a line is read with, such a box read "1": a figure down the rows it
    spans, which parted table 三 in two and lost the row between (3.3.6). A piece whose margin
    holds another's ink is read as cut: every cell is right."""
    from samples.degrade import VARIANTS, make_scan

    src = tmp_path / "borderless.pdf"
    truth = render_clean_report_truth(src, "none", 0)
    scan = tmp_path / "scan150.pdf"
    make_scan(src, scan, VARIANTS["scan150"], seed=7, label="scan150")
    result = compare_with_truth(pipeline.extract(scan).to_json(), truth)
    assert result["right"] == result["total"] and not result["silent_cells"]
