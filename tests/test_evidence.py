"""The ACCEPTANCE RULE of pipeline.evidence, proved by injecting misreadings into correct reports.

Cells are built from the truth of real and committed reports as if read by OCR (no text layer, no
flag), so that only the identities (and, where a test gives it, the second recognizer's agreement)
can confirm them. A misreading is what a recognizer does to a number: one digit changed, one
digit dropped or doubled, a decimal point lost; a "silent pass" is a wrong value that comes out
`confirmed`.
"""
from __future__ import annotations

import json
import random

import pytest

from pipeline import template as T
from pipeline.evidence import (SECOND_ONLY_FLAG, assign_status, classify_checks, identities_of, review_cells,
                               unread_cells)
from pipeline.checks import run_checks
from pipeline.types import STATUS_CONFIRMED, Cell

from conftest import COMMITTED

MIN_CONFIDENCE = 0.9


def truths(real_truth) -> list[dict]:
    out = [real_truth]
    for path in sorted(COMMITTED.glob("*.truth.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        if not truth.get("inconsistent"):
            out.append(truth)
    return out


def ocr_cells(truth: dict) -> list[Cell]:
    return [Cell(c["table"], c["row"], c["column"], c["value"], "" if c["value"] is None else str(c["value"]),
                 0.99, 1, (0, 0, 1, 1), source="ocr") for c in truth["cells"]]


def misreadings(value) -> list:
    """Values a recognizer can make of `value`: each digit changed, dropped or doubled."""
    text = "0" if value is None else str(value)
    out = set()
    for i, ch in enumerate(text):
        if ch.isdigit():
            for d in "0123456789":
                out.add(text[:i] + d + text[i + 1:])
            out.add(text[:i] + text[i + 1:])
            out.add(text[:i] + ch + text[i:])
    values = set()
    for t in out:
        try:
            v = float(t) if "." in t else int(t)
        except ValueError:
            continue
        if t and v != (value or 0):
            values.add(v)
    return sorted(values, key=float)


def confirmed_wrong(cells: list[Cell], wrong_keys: set, agreed: set = frozenset()) -> list[tuple]:
    assign_status(cells, MIN_CONFIDENCE, {}, set(agreed))
    return [c.key for c in cells if c.key in wrong_keys and c.status == STATUS_CONFIRMED]


def in_identities(cells: list[Cell]) -> dict[tuple, int]:
    count: dict[tuple, int] = {}
    for ident in identities_of(cells):
        for r, col in ident.lhs + ident.rhs:
            count[(ident.table, r, col)] = count.get((ident.table, r, col), 0) + 1
    return count


def test_correct_reports_are_confirmed_where_the_rule_allows(real_truth):
    for truth in truths(real_truth):
        cells = ocr_cells(truth)
        assign_status(cells, MIN_CONFIDENCE, {}, set())
        count = in_identities(cells)
        for c in cells:
            # Table 三: every cell in two identities or more, all holding: confirmed by them alone.
            # Table 四 (one identity each) and table 二 (none) wait for a second reading.
            assert (c.status == STATUS_CONFIRMED) == (count.get(c.key, 0) >= 2), (truth.get("name"), c.key)
        # With the second recognizer agreeing everywhere, every cell is confirmed.
        assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
        assert all(c.status == STATUS_CONFIRMED for c in cells)


def test_every_single_misreading_is_caught(real_truth):
    """One wrong cell, misreadings of every cell of every report (up to six of each, drawn):
    never confirmed by the identities, whatever the second recognizer says of the other cells."""
    rng = random.Random(2)
    injected = 0
    for truth in truths(real_truth):
        base = ocr_cells(truth)
        count = in_identities(base)
        for k, cell in enumerate(base):
            if not count.get(cell.key):
                continue
            options = misreadings(cell.value)
            for wrong in rng.sample(options, min(6, len(options))):
                cells = ocr_cells(truth)
                cells[k].value = wrong
                others_agreed = {c.key for c in cells if c.key != cell.key}
                assert confirmed_wrong(cells, {cell.key}, others_agreed) == [], (cell.key, wrong)
                injected += 1
    assert injected > 3000      # the test really ran over many misreadings


def test_two_misreadings_are_never_confirmed_by_the_identities(real_truth):
    """Random pairs of misread cells, the second recognizer agreeing with every other cell of the
    report: the identities confirm neither wrong value. Only where the second recognizer makes
    the same misreading as the first (correlated errors of two independent readers, the risk
    `agreement` accepts) does a wrong value come out confirmed, and then by agreement."""
    rng = random.Random(0)
    tried, by_identities = 0, 0
    for truth in truths(real_truth):
        base = ocr_cells(truth)
        count = in_identities(base)
        covered = [i for i, c in enumerate(base) if count.get(c.key)]
        for _ in range(300):
            i, j = rng.sample(covered, 2)
            cells = ocr_cells(truth)
            for k in (i, j):
                cells[k].value = rng.choice(misreadings(cells[k].value))
            wrong = {cells[i].key, cells[j].key}
            others = {c.key for c in cells} - wrong
            by_identities += len(confirmed_wrong(cells, wrong, others))
            passed = confirmed_wrong(cells, wrong, others | wrong)
            assert all("agreement" in c.evidence for c in cells if c.key in passed)
            tried += 1
    assert tried >= 1500 and by_identities == 0
    print(f"two-cell injections: {tried}; wrong values confirmed by the identities: {by_identities}")


def test_three_misreadings_in_table_three_never_pass(real_truth):
    """Table 三 needs a closed pattern of four cancelling errors (a rectangle); three never do,
    even with the second reader agreeing with every other cell."""
    rng = random.Random(1)
    tried = 0
    for truth in truths(real_truth):
        base = ocr_cells(truth)
        apps = [i for i, c in enumerate(base) if c.table == T.TABLE_APPLICATIONS]
        for _ in range(150):
            picks = rng.sample(apps, 3)
            cells = ocr_cells(truth)
            for k in picks:
                cells[k].value = rng.choice(misreadings(cells[k].value))
            wrong = {cells[k].key for k in picks}
            assert confirmed_wrong(cells, wrong, {c.key for c in cells} - wrong) == []
            tried += 1
    assert tried >= 450


def test_a_rectangle_of_cancelling_errors_is_the_accepted_risk(real_truth):
    """The rule's stated limit, shown: four errors that cancel around a rectangle of table 三
    (+d, −d in one row; −d, +d in another, same two columns) keep every identity true."""
    cells = ocr_cells(real_truth)
    by_key = {c.key: c for c in cells}
    a, b = ("applications", "3.1", "natural_person"), ("applications", "3.1", "enterprise")
    c, d = ("applications", "3.2", "natural_person"), ("applications", "3.2", "enterprise")
    for key, delta in ((a, 1), (b, -1), (c, -1), (d, 1)):
        by_key[key].value = (by_key[key].value or 0) + delta
    if any(by_key[k].value < 0 for k in (a, b, c, d)):
        pytest.fail("pick other cells: a negative count is not a misreading")
    assert set(confirmed_wrong(cells, {a, b, c, d})) == {a, b, c, d}


def test_blank_certainty_decides_blank_cells(real_truth):
    """An identity counts a blank as 0, so it cannot tell a printed "—" from a lost "0": a blank
    the reader was unsure of (faint ink in the cell) is never confirmed, even with its identities."""
    cells = ocr_cells(real_truth)
    blank = next(c for c in cells if c.table == T.TABLE_APPLICATIONS and not c.value)
    blank.value, blank.confidence = None, 0.5
    assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
    assert blank.status != STATUS_CONFIRMED


def test_an_identity_with_an_unreadable_term_proves_nothing(real_truth):
    """An unreadable cell counts as 0 in an identity's sum: a row whose values the print lost
    holds as 0 = 0. Its other cells, however sure, are not confirmed by that row (a 1-bit fax
    that cut a row's digits to dots: its total unreadable, a "2" read as a sure blank)."""
    cells = ocr_cells(real_truth)
    rows: dict[str, list[Cell]] = {}
    for c in cells:
        if c.table == T.TABLE_APPLICATIONS:
            rows.setdefault(c.row, []).append(c)
    name, row = next((r, cs) for r, cs in rows.items() if all(not c.value for c in cs))
    total = next(c for c in row if c.column == "total")
    total.value, total.text, total.confidence, total.flags = None, "..", 0.3, ["unreadable"]
    assign_status(cells, MIN_CONFIDENCE, {}, set())
    assert all(not any(e.endswith(f" row {name} total = sum of applicants") for e in c.evidence) for c in row)
    assert all(c.status != STATUS_CONFIRMED for c in row)
    # Its total read (a "0"): the row's identity proves its cells again.
    total.value, total.text, total.confidence, total.flags = 0, "0", 0.99, []
    assign_status(cells, MIN_CONFIDENCE, {}, set())
    assert all(c.status == STATUS_CONFIRMED for c in row)


def test_a_zero_only_the_second_reader_read_is_never_confirmed(real_truth):
    """A cell the first reader could not read takes the second reader's number: the identities
    may confirm it, except a 0 — it may be a blank mark the second reader took for one, and an
    identity counts both alike."""
    cells = ocr_cells(real_truth)
    zero = next(c for c in cells if c.table == T.TABLE_APPLICATIONS and c.value == 0)
    some = next(c for c in cells if c.table == T.TABLE_APPLICATIONS and c.row == "3.1" and c.value)
    for c in (zero, some):
        c.flags.append(SECOND_ONLY_FLAG)
    assign_status(cells, MIN_CONFIDENCE, {}, set())
    assert zero.status != STATUS_CONFIRMED
    assert some.status == STATUS_CONFIRMED and all(e.startswith("identity:") for e in some.evidence)


def test_document_issues_need_every_term_confirmed(real_truth):
    """A report that contradicts itself, every term read twice alike: a document issue, and no
    cell of it sent to review; the same with one term unconfirmed: a reading problem."""
    cells = ocr_cells(real_truth)
    review = next(c for c in cells if c.key == ("review", "all", "review.total"))
    review.value = (review.value or 0) + 555        # the document prints a wrong total
    everything = {c.key for c in cells}
    assign_status(cells, MIN_CONFIDENCE, {}, everything)
    checks = run_checks(cells, MIN_CONFIDENCE)
    issues = classify_checks(checks, cells)
    assert [i["column"] for i in issues] == ["review.total"]
    assert review_cells(cells, "2021", True, set(T.TABLES)) == []
    assign_status(cells, MIN_CONFIDENCE, {}, everything - {review.key})
    checks = run_checks(cells, MIN_CONFIDENCE)
    assert classify_checks(checks, cells) == []
    assert [ch.cause for ch in checks if not ch.ok] == ["reading"]
    assert ["review", "all", "review.total"] in review_cells(cells, "2021", True, set(T.TABLES))


def test_a_sum_over_a_table_with_a_row_lost_is_never_the_documents(real_truth):
    """A row of table 三 not found: the column sums run over the rows found and fail by what the
    lost row holds, every term read twice alike. That is our reading's gap, not the document's
    contradiction; the lost row's cells are review cells."""
    for truth in truths(real_truth):
        lost = next((r for r in ("3.4.2", "3.3.1", "3.2", "3.1") if any(
            c["table"] == "applications" and c["row"] == r and c["value"] for c in truth["cells"])), None)
        if lost is None:
            continue
        cells = [c for c in ocr_cells(truth) if (c.table, c.row) != ("applications", lost)]
        assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
        checks = run_checks(cells, MIN_CONFIDENCE)
        unread = unread_cells(cells, truth["version"], truth.get("split_six", True), set(T.TABLES))
        assert {k[0] for k in unread} == {"applications"}
        assert classify_checks(checks, cells, {k[0] for k in unread}) == [], truth.get("file")
        failed = [ch for ch in checks if not ch.ok]
        assert failed and all(ch.cause == "reading" for ch in failed)


def test_a_failure_one_slip_explains_is_never_the_documents(real_truth):
    """Both readers can make the same slip where the print is damaged (a 1-bit scan that lost the
    stroke of a 4): a failed identity that one plausible misreading of one pixel-read term would
    mend is a reading problem, however alike the two readings; from a born-digital layer it is the
    document's."""
    for source, cause in (("ocr", "reading"), ("text_layer", "document")):
        cells = ocr_cells(real_truth)
        for c in cells:
            c.source = source
        part = next(c for c in cells if c.key == ("applications", "3.1", "natural_person"))
        part.value = int(str(part.value).replace("4", "1", 1)) if "4" in str(part.value) else part.value + 1
        assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
        checks = run_checks(cells, MIN_CONFIDENCE)
        classify_checks(checks, cells)
        failed = [ch for ch in checks if not ch.ok]
        assert failed and all(ch.cause == cause for ch in failed), source
        listed = review_cells(cells, "2021", True, set(T.TABLES))
        assert (list(part.key) in listed) == (source == "ocr")


def test_a_slip_that_would_break_an_identity_holding_explains_nothing(real_truth):
    """A report that prints one count of table 三 one off in its last digit, read from pixels,
    every cell read twice alike: that cell's row and column both fail, and a slip in it would
    mend both, so it goes to a person. Its row's and column's other cells each take part in
    another identity that holds as read: a slip in one of them would break that one, so it
    explains the failure only beside a second misreading, and they stay confirmed."""
    for truth in truths(real_truth):
        cells = ocr_cells(truth)
        printed = next(c for c in cells if c.key == ("applications", "3.1", "natural_person"))
        printed.value = (printed.value or 0) + (1 if (printed.value or 0) % 10 != 9 else -1)   # its last digit
        assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
        classify_checks(run_checks(cells, MIN_CONFIDENCE), cells)
        assert review_cells(cells, truth["version"], truth.get("split_six", True), set(T.TABLES)) \
            == [list(printed.key)], truth.get("file")


def test_a_slip_made_alike_on_both_sides_of_an_identity_is_a_suspect(real_truth):
    """A 1-bit scan's threshold takes the same stroke from every 4, and both readers read each
    as a 1. Two terms on the two sides of an identity that print the same number are misread
    alike: that identity holds as read while the others through them fail, every cell read
    twice alike. A slip in either would mend its failing identity; the one that holds settles
    neither, as two slips alike cancel in it: both go to a person."""
    tried = 0
    for truth in truths(real_truth):
        cells = ocr_cells(truth)
        by_key = {c.key: c for c in cells}
        pair = next(((i.table, *a), (i.table, *b)) for i in identities_of(cells) for a in i.lhs for b in i.rhs
                    if isinstance(v := by_key[(i.table, *a)].value, int) and v > 0
                    and by_key[(i.table, *b)].value == v)
        # Its last digit, read as what is left of it with strokes lost (a 4 as 1, an 8 as 3).
        printed = str(by_key[pair[0]].value)
        left = {"0": "1", "3": "1", "4": "1", "6": "5", "7": "1", "8": "3", "9": "3"}
        if printed[-1] not in left:
            continue
        read = int(printed[:-1] + left[printed[-1]])
        for cell in cells:
            cell.bilevel = True
        for key in pair:
            by_key[key].value = read
        assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
        classify_checks(run_checks(cells, MIN_CONFIDENCE), cells)
        assert all(by_key[key].status != STATUS_CONFIRMED for key in pair), (truth.get("file"), pair)
        tried += 1
    assert tried >= 2


def test_a_digit_cut_off_at_a_cells_edge_is_a_suspect(real_truth):
    """A crop that cut the "1" off 132 leaves 32 to both readers, who agree on it. The row's sum
    fails by what a lost leading digit would mend: the cell goes to a person, whatever agreement
    it has, and so does any cell of the report that lost one."""
    for truth in truths(real_truth):
        for target in [c for c in ocr_cells(truth) if c.table == T.TABLE_APPLICATIONS
                       and isinstance(c.value, int) and c.value >= 10 and str(c.value)[1] != "0"]:
            cells = ocr_cells(truth)
            cut = next(c for c in cells if c.key == target.key)
            cut.value = int(str(cut.value)[1:])
            assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
            classify_checks(run_checks(cells, MIN_CONFIDENCE), cells)
            assert cut.status != STATUS_CONFIRMED, (truth.get("file"), cut.key)


def test_cells_of_a_missing_table_are_review_cells(real_truth):
    cells = [c for c in ocr_cells(real_truth) if c.table != T.TABLE_REVIEW]
    assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
    listed = review_cells(cells, "2021", True, {T.TABLE_ACTIVE, T.TABLE_APPLICATIONS})
    assert len(listed) == 15 and all(k[0] == T.TABLE_REVIEW for k in listed)


def test_position_problems_make_the_cells_they_name_doubtful(real_truth):
    """A matching problem that names a column, a row, or only a table puts those cells' position
    in doubt: no identity or agreement can confirm a value that may belong to another column."""
    from pipeline.evidence import flag_positions
    cells = ocr_cells(real_truth)
    flag_positions(cells, ["review: column review.total not found",
                           "active: row 20.1/rules column issued: value cells merged",
                           "applications: printed row not in the template: '合计'"])
    assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
    doubtful = {c.key for c in cells if c.status != STATUS_CONFIRMED}
    assert doubtful == {("review", "all", "review.total"), ("active", "20.1/rules", "issued")}
    cells = ocr_cells(real_truth)
    flag_positions(cells, ["review: one header cell names suit_direct, suit_after_review; columns taken five by five"])
    assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
    assert {c.key for c in cells if c.status != STATUS_CONFIRMED} == {c.key for c in cells if c.table == "review"}


def test_a_blank_mark_told_by_its_shape_and_named_a_stroke_agrees():
    """The second recognizer names a lone "/" stroke "1" at times; a "/" the first reader told by
    its shape agrees with such a reading, a "/" read by a recognizer (or a digit) does not."""
    from pipeline.evidence import agrees
    from pipeline.types import SHAPE_CONFIDENCE
    by_shape = Cell("active", "20.1/rules", "issued", None, "/", SHAPE_CONFIDENCE, 1, None)
    by_reader = Cell("active", "20.1/rules", "issued", None, "/", 0.97, 1, None)
    one = Cell("active", "20.1/rules", "issued", 1, "1", SHAPE_CONFIDENCE, 1, None)
    assert agrees(by_shape, "number", 1, "1") and agrees(by_shape, "blank", None, "一")
    assert not agrees(by_reader, "number", 1, "1") and not agrees(by_shape, "number", 11, "11")
    assert not agrees(one, "blank", None, "/")


def test_slips_of_a_large_amount_are_its_digits():
    """A fee of 3802895.9 slips to 3802891.9 or 380289.9, never to values of '3.8029e+06'."""
    from pipeline.evidence import misreadings
    slips = misreadings(3802895.9)
    assert {3802891.9, 380289.9, 38028895.9} <= slips and all(v >= 0 for v in slips)


def test_with_the_version_unknown_every_unread_cell_is_a_review_cell(real_truth):
    """Rows lost from a found table of a report whose template version was not recognised (a
    heavy 1-bit scan lost row 1 and the version with it): the cells they should have given are
    listed, since nothing says they are not printed."""
    cells = [c for c in ocr_cells(real_truth) if not (c.table == T.TABLE_APPLICATIONS and c.row == "1")]
    assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
    listed = {tuple(k) for k in review_cells(cells, None, True, set(T.TABLES))}
    lost = {k for k in T.all_cell_keys() if k[0] == T.TABLE_APPLICATIONS and k[1] == "1"}
    assert lost and lost <= listed
    assert not listed & {c.key for c in cells}


def test_a_row_lost_from_a_found_table_is_a_review_cell(real_truth):
    """A row the matcher lost entirely (seen on a mixed-degradation scan: row 1 of table 三 gone,
    the version still known): its cells are listed, never silently absent."""
    cells = [c for c in ocr_cells(real_truth) if not (c.table == T.TABLE_APPLICATIONS and c.row == "1")]
    assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
    listed = {tuple(k) for k in review_cells(cells, "2021", True, set(T.TABLES))}
    assert listed == {k for k in T.cell_keys("2021", True) if k[0] == T.TABLE_APPLICATIONS and k[1] == "1"}


def test_row_six_lost_in_either_form_lists_both(real_truth):
    """Row （六） is printed whole or in three; where none of it was read (a photographed page whose
    rows the matcher lost), which form the report prints is a guess: the cells of both are
    listed. Where one form was read, the other's cells are not expected."""
    split, whole = set(T.cell_keys("2021", True)), set(T.cell_keys("2021", False))
    both = split ^ whole
    assert {k[1] for k in both} == {"3.6", "3.6.1", "3.6.2", "3.6.3"}
    cells = [c for c in ocr_cells(real_truth) if c.key not in both]
    assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
    for split_six in (True, False):
        assert {tuple(k) for k in review_cells(cells, "2021", split_six, set(T.TABLES))} == both
    cells = ocr_cells(real_truth)           # the report prints it in three, all read
    assert both & {c.key for c in cells}
    assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
    assert review_cells(cells, "2021", True, set(T.TABLES)) == []


def test_a_dash_told_by_shape_agrees_with_any_name_of_a_lone_stroke():
    """The first reader tells a blank "—" by its shape; the second recognizer names the same
    bar "一", "-", "_" (seen at 0.79 on a plain 200 dpi scan) or "1": the same stroke, agreement
    whatever its confidence. A digit it names is no such stroke."""
    from pipeline.evidence import agrees, same_stroke
    from pipeline.types import SHAPE_CONFIDENCE, Cell
    dash = Cell("active", "20.5/other_services", "prev_items", None, "—", SHAPE_CONFIDENCE, 2, None, [])
    for name in ("一", "-", "_", "1"):
        assert same_stroke(dash, name) and agrees(dash, "number", 1, name)
    assert not same_stroke(dash, "4") and not same_stroke(dash, "__")


def test_agreement_does_not_confirm_where_only_the_spacing_placed_a_cell(real_truth):
    """Two readers agreeing on a cell's crop say what it holds, not that it stands in its column:
    in a scanned table drawn with no rule, the spacing put it there, and a column taken for its
    neighbour would pass every value of it through wrong. Such a cell is confirmed only by an
    identity (or by its row's order: placed_by_spacing is then off)."""
    cells = ocr_cells(real_truth)
    active = [c for c in cells if c.table == T.TABLE_ACTIVE and c.value is not None]
    for c in active:
        c.placed_by_spacing = True
    assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
    assert active and all("agreement" not in c.evidence for c in active)
    lone = [c for c in active if not any(e.startswith("identity:") for e in c.evidence)]
    assert lone and all(c.status != STATUS_CONFIRMED for c in lone)
    for c in active:
        c.placed_by_spacing = False
    assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
    assert all(c.status == STATUS_CONFIRMED for c in active)


def test_nothing_where_the_spacing_put_a_cell_proves_no_identity(real_truth):
    """In a table drawn with no rule, an empty place may be a value the spacing put in the next
    cell. A row of table 三 printing "0" and "/" in two cells and "/" in its total, read with
    the total's mark lost and the other two placed one column left (a blank and a 0 sum alike),
    holds its identities as read: none of its cells may be confirmed by them."""
    cells = ocr_cells(real_truth)
    by_key = {c.key: c for c in cells}
    app = T.TABLE_APPLICATIONS
    name = next(r.id for r in T.APPLICATION_ROWS_SPLIT
                if all((app, r.id, col.id) in by_key for col in T.APPLICATION_COLUMNS)
                and not any(by_key[(app, r.id, col.id)].value for col in T.APPLICATION_COLUMNS))
    row = [by_key[(app, name, col.id)] for col in T.APPLICATION_COLUMNS]
    for c in row:
        c.placed_by_spacing = True
    # As read: "/", "0" one column left of where they stand, nothing in the total.
    for c, (value, text) in zip(row, [(None, "/")] * 4 + [(0, "0"), (None, "/"), (None, "")]):
        c.value, c.text = value, text
    assign_status(cells, MIN_CONFIDENCE, {}, set())
    assert all(c.status != STATUS_CONFIRMED for c in row)
    # The total's mark read: the row's place of every figure is what the identities then judge.
    row[-1].text = "/"
    assign_status(cells, MIN_CONFIDENCE, {}, set())
    assert row[4].status == STATUS_CONFIRMED


def test_a_row_placed_by_its_order_is_confirmed_by_nothing_and_still_counts_in_its_sums(real_truth):
    """A row of table 三 placed by its order (its label misread) holds values read as any: the
    identities count them, and the other cells keep what they prove. That the row is the
    template's is for a person to confirm: none of its cells is confirmed."""
    from pipeline.evidence import ORDER_FLAG

    plain = ocr_cells(real_truth)
    assign_status(plain, MIN_CONFIDENCE, {}, set())
    cells = ocr_cells(real_truth)
    row = [c for c in cells if c.table == T.TABLE_APPLICATIONS and c.row == "3.4.2"]
    for c in row:
        c.flags.append(f"{ORDER_FLAG}: between rows 3.4.1 and 3.4.3")
    assign_status(cells, MIN_CONFIDENCE, {}, set())
    assert len(row) == 7 and all(c.status != STATUS_CONFIRMED and not c.evidence for c in row)
    others = [(c.key, c.status) for c in cells if c not in row]
    assert any(s == STATUS_CONFIRMED for _, s in others)
    assert others == [(c.key, c.status) for c in plain if c.row != "3.4.2" or c.table != T.TABLE_APPLICATIONS]
    # Two readers agreeing on its values say nothing of its place either.
    assign_status(cells, MIN_CONFIDENCE, {}, {c.key for c in cells})
    assert all(c.status != STATUS_CONFIRMED for c in row)
