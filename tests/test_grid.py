from pipeline.grid import implied_columns, implied_rows, implied_sides, unruled_tables

# Rules as (position, start, end) in points; 72 to the inch.
ROWS = [(100.0 + 20 * i, 50.0, 400.0) for i in range(5)]          # a table's five row rules
COLUMNS = [(x, 100.0, 180.0) for x in (150.0, 250.0)]             # its column rules


def test_rows_ending_on_one_line_imply_both_sides():
    assert sorted(implied_sides(ROWS, COLUMNS, 72.0, 2.0)) == [(50.0, 100.0, 180.0), (400.0, 100.0, 180.0)]


def test_rows_no_column_rule_parts_imply_nothing():
    """Rules stacked with nothing across them (underlined lines, rows only) are no table here."""
    assert implied_sides(ROWS, [], 72.0, 2.0) == []


def test_short_strokes_imply_nothing():
    """A dash "——" in each cell of a column: short strokes ending on one line are no rows."""
    dashes = [(110.0 + 20 * i, 200.0, 222.0) for i in range(5)]
    assert implied_sides(dashes, COLUMNS, 72.0, 2.0) == []


def test_a_taller_unruled_gap_parts_two_tables():
    """Two open-sided tables of one width with a section heading between them: the heading's
    row, which no column rule crosses, is taller than the rows beside it, so each table has its
    own sides. A heading row inside a table (no column rule either, as tall as its neighbours)
    is one of its rows."""
    second = [(p + 140.0, lo, hi) for p, lo, hi in ROWS]          # from 240: 60 pt below the first
    columns = COLUMNS + [(x, 240.0, 320.0) for x in (150.0, 250.0)]
    left = sorted(s for s in implied_sides(ROWS + second, columns, 72.0, 2.0) if s[0] == 50.0)
    assert left == [(50.0, 100.0, 180.0), (50.0, 240.0, 320.0)]
    # The second table's first row a tall corner cell (its header rows beside it): the heading's
    # row is measured against the shorter of its neighbours.
    tall = [(240.0, 50.0, 400.0), (310.0, 50.0, 400.0), (330.0, 50.0, 400.0)]
    columns = COLUMNS + [(x, 240.0, 330.0) for x in (150.0, 250.0)]
    left = sorted(s for s in implied_sides(ROWS + tall, columns, 72.0, 2.0) if s[0] == 50.0)
    assert left == [(50.0, 100.0, 180.0), (50.0, 240.0, 330.0)]
    heading_row = [(p, lo, hi) for p, lo, hi in ROWS] + [(200.0, 50.0, 400.0)] + [(p + 100.0, lo, hi) for p, lo, hi in ROWS]
    columns = COLUMNS + [(x, 200.0, 280.0) for x in (150.0, 250.0)]
    left = [s for s in implied_sides(heading_row, columns, 72.0, 2.0) if s[0] == 50.0]
    assert left == [(50.0, 100.0, 280.0)]


# --- tables ruled by rows only -------------------------------------------------------------------


TABLE_ROWS = [(100.0 + 20 * i, 50.0, 400.0) for i in range(5)]   # four rows, no column rule


def _text(x0: float, x1: float, row: int, top: float = 100.0, height: float = 20.0) -> list[tuple]:
    """Character boxes 10 pt wide from x0 to x1, on the middle line of `row`."""
    y = top + height * row + 5.0
    return [(x, y, x + 10.0, y + 10.0) for x in range(int(x0), int(x1), 10)]


def _columns(ink: list[tuple], rules=TABLE_ROWS) -> list[tuple]:
    box, = unruled_tables(rules, [], 72.0, 2.0)
    return sorted(implied_columns(box, rules, ink, 72.0, 2.0))


def _edges_in_row(spans: list[tuple], row: int, top: float = 100.0) -> list[float]:
    y = top + 20 * row + 10.0
    return sorted(round(x) for x, y0, y1 in spans if y0 < y < y1)


VALUES = [box for row in (1, 2, 3) for x0, x1 in ((60, 110), (180, 200), (260, 280), (340, 360))
          for box in _text(x0, x1, row)]


def test_rows_only_columns_stand_in_the_gaps_of_the_values():
    """A table printed from a web page parts its rows by rules and its columns by space: its sides
    are its rules' ends, a column edge stands in the gap every row of values leaves."""
    spans = _columns(VALUES + _text(60, 100, 0) + _text(170, 210, 0) + _text(250, 290, 0) + _text(330, 370, 0))
    edges = _edges_in_row(spans, 0)
    assert all(_edges_in_row(spans, row) == edges for row in range(4))
    _assert_in_gaps(edges)


def _assert_in_gaps(edges: list[float]) -> None:
    """The sides, and one edge in each gap between VALUES' columns."""
    assert len(edges) == 5 and (edges[0], edges[-1]) == (50, 400)
    assert all(lo < x < hi for x, (lo, hi) in zip(edges[1:4], ((110, 180), (200, 260), (280, 340))))


def test_a_label_over_columns_stays_one_cell():
    """一、本年新收… runs from the label column over the first value column: no edge crosses it
    in its row, and the other rows keep theirs."""
    ink = VALUES + _text(60, 230, 0) + _text(250, 290, 0) + _text(330, 370, 0)
    spans = _columns(ink)
    edges = _edges_in_row(spans, 1)
    _assert_in_gaps(edges)
    assert _edges_in_row(spans, 0) == [50, edges[2], edges[3], 400]


def test_a_header_centred_over_empty_columns_spans_them():
    """申请人情况 centred over three columns it leaves empty spans them; the row with a label and
    the header, not a row of values, is no evidence of edges."""
    ink = VALUES + _text(60, 100, 0) + _text(250, 300, 0)
    spans = _columns(ink)
    edges = _edges_in_row(spans, 1)
    _assert_in_gaps(edges)
    assert _edges_in_row(spans, 0) == [50, edges[1], 400]


def test_a_long_value_running_up_to_the_next_column_is_its_own_cell():
    """Left-aligned columns: a value with a note (167(其中38件已公开)) runs past the middle of the
    gap the other rows leave, up to the next column's text, which starts where the column's
    always does. The edge stands in what it leaves free, and is drawn in its row too: each value
    is a cell of its own, not one cell holding both."""
    left_aligned = [box for row in (1, 2) for x0, x1 in ((60, 110), (180, 200), (260, 280), (340, 360))
                    for box in _text(x0, x1, row)]
    long_value = _text(60, 100, 3) + _text(180, 250, 3) + _text(260, 280, 3) + _text(340, 360, 3)
    spans = _columns(left_aligned + long_value + _text(60, 100, 0) + _text(180, 220, 0)
                     + _text(260, 300, 0) + _text(340, 380, 0))
    assert all(len(_edges_in_row(spans, row)) == 5 for row in range(4))
    assert 250 < _edges_in_row(spans, 3)[2] < 260


def test_a_rule_ending_inside_the_table_is_a_column_edge():
    """Where a label spans rows, the rules between its rows begin at its right side: the edge
    stands there in every row beside them, though no row's text leaves a gap round it."""
    rules = [(100.0, 50.0, 400.0), (120.0, 120.0, 400.0), (140.0, 120.0, 400.0), (160.0, 50.0, 400.0)]
    ink = [box for row in (0, 1, 2) for x0, x1 in ((130, 170), (260, 280)) for box in _text(x0, x1, row)]
    spans = _columns(ink, rules)
    assert all(120 in _edges_in_row(spans, row) for row in (0, 1, 2))


def test_a_broken_rules_end_beside_a_value_moves_no_edge():
    """A scan's rule broken just right of a value (ends at 203 and 215, each alone) is no column
    edge: the edge stays in the middle of the gap the rows leave."""
    rules = TABLE_ROWS[:2] + [(140.0, 50.0, 203.0), (140.0, 215.0, 400.0)] + TABLE_ROWS[3:]
    spans = _columns(VALUES + _text(60, 100, 0) + _text(170, 210, 0) + _text(250, 290, 0) + _text(330, 370, 0),
                     rules)
    edges = _edges_in_row(spans, 1)
    _assert_in_gaps(edges)
    assert 220 <= edges[2] <= 240


def test_a_heading_between_two_tables_parts_them():
    """Two tables of one width, the second's section heading between them with a paragraph's
    space above it: each has its own sides; the heading's row is in neither."""
    rules = TABLE_ROWS + [(220.0, 50.0, 400.0), (240.0, 50.0, 400.0), (260.0, 50.0, 400.0)]
    ink = VALUES + _text(60, 100, 0) + _text(170, 210, 0) + _text(250, 290, 0) + _text(330, 370, 0)
    ink += _text(55, 250, 0, top=200.0)                               # the heading, low in its row
    ink += [b for row in (0, 1) for x0, x1 in ((60, 110), (180, 200), (260, 280), (340, 360))
            for b in _text(x0, x1, row, top=220.0)]
    spans = _columns(ink, rules)
    sides = sorted((y0, y1) for x, y0, y1 in spans if x == 50.0)
    assert sides == [(100.0, 180.0), (220.0, 260.0)]


def test_a_table_with_column_rules_is_not_unruled():
    assert unruled_tables(TABLE_ROWS, [(200.0, 100.0, 180.0)], 72.0, 2.0) == []
    assert unruled_tables(TABLE_ROWS[:2], [], 72.0, 2.0) == []


# --- tables drawn with no rule at all: rows from their text -------------------------------------

H = 10.0          # text height, points
FIGURES_X = (200.0, 250.0, 300.0)


def _label(top: float, chars: int = 6, x0: float = 60.0) -> list:
    return [(x0 + k * H, top, x0 + (k + 1) * H, top + H) for k in range(chars)]


def _row_of_figures(top: float) -> list:
    return [(x, top, x + 0.6 * H, top + H) for x in FIGURES_X]


def _rows_of(boxes_and_figures: list) -> list:
    ink = [b for b, _ in boxes_and_figures]
    return implied_rows(ink, [f for _, f in boxes_and_figures], 72.0, 2.0)


def test_a_labels_last_two_lines_a_hair_closer_stay_in_its_row():
    """A label of five lines, its values beside the third, the last two a hair closer to each
    other (3.2 points) than to the line above them (3.4): each was the other's nearest line, so
    neither reached the row, and both stood as rows of text that parted the table in two. The
    inner one's other neighbour is its cell's line too: one table, the label in one row."""
    tops = [124.0, 137.5, 151.0, 164.4, 177.6]
    items = [(b, False) for b in _label(100.0)] + [(b, True) for b in _row_of_figures(100.0)]
    items += [(b, False) for top in tops for b in _label(top)] + [(b, True) for b in _row_of_figures(151.0)]
    for top in (201.0, 225.0):
        items += [(b, False) for b in _label(top)] + [(b, True) for b in _row_of_figures(top)]
    tables = _rows_of(items)
    assert len(tables) == 1
    ys = [y for y, _, _ in tables[0]]
    assert len(ys) == 5                     # four rows
    assert not any(tops[0] < y < tops[-1] + H for y in ys)


def test_one_character_alone_between_rows_parts_no_table():
    """A label set down a merged cell (三、本年度办理结果) whose characters stand apart: one of
    them alone between two rows is a row of one line, but no heading: the table stays whole."""
    items = []
    for top in (100.0, 124.0, 148.0, 172.0):
        items += [(b, False) for b in _label(top)] + [(b, True) for b in _row_of_figures(top)]
    tables = _rows_of(items + [((20.0, 136.0, 30.0, 146.0), False)])
    assert len(tables) == 1
