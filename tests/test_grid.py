from pipeline.grid import implied_sides

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
