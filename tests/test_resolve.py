from pipeline.checks import run_checks
from pipeline.resolve import CHOSEN_FLAG, choose_by_identities
from pipeline.types import Cell


def _review_cells(values, confidences=None, candidates=None):
    ids = ["upheld", "corrected", "other", "pending", "total"]
    cells = []
    for group in ("review", "suit_direct", "suit_after_review"):
        for k, o in enumerate(ids):
            key = f"{group}.{o}"
            conf = (confidences or {}).get(key, 0.99)
            cells.append(Cell("review", "all", key, values[group][k], str(values[group][k]), conf, 5,
                              None, [] if conf >= 0.9 else ["low_confidence"],
                              (candidates or {}).get(key, [])))
    return cells


VALUES = {"review": [72, 64, 178, 37, 351], "suit_direct": [13, 4, 8, 1, 26],
          "suit_after_review": [12, 1, 1, 6, 20]}


def test_runner_up_reading_that_satisfies_the_sum_is_taken_and_stays_flagged():
    values = {g: list(v) for g, v in VALUES.items()}
    values["review"][2] = 173                       # "178" misread as "173"
    cells = _review_cells(values, {"review.other": 0.6}, {"review.other": [(178, 0.3), (176, 0.05)]})
    changed = choose_by_identities(cells, 0.9)
    cell = next(c for c in cells if c.column == "review.other")
    assert changed == [cell] and cell.value == 178 and CHOSEN_FLAG in cell.flags
    assert all(c.ok for c in run_checks(cells, 0.9))


def test_confident_cells_and_values_never_read_are_left_alone():
    values = {g: list(v) for g, v in VALUES.items()}
    values["review"][2] = 173
    # Confident reading: the document may print it so; no change.
    cells = _review_cells(values, {}, {"review.other": [(178, 0.01)]})
    assert choose_by_identities(cells, 0.9) == []
    # Uncertain, but no reading of the recognizer fits: no value is made up by arithmetic.
    cells = _review_cells(values, {"review.other": 0.5}, {"review.other": [(175, 0.2)]})
    assert choose_by_identities(cells, 0.9) == []
    assert next(c for c in cells if c.column == "review.other").value == 173


def _applications(truth, misread, candidates):
    """The applications table of `truth` as read by OCR, `misread` {(row, column): value} with
    the broken-print flag, each cell's `candidates` {(row, column): [(value, support)]}."""
    cells = []
    for c in truth["cells"]:
        if c["table"] != "applications":
            continue
        key = (c["row"], c["column"])
        value = misread.get(key, c["value"])
        cells.append(Cell("applications", c["row"], c["column"], value, "" if value is None else str(value),
                          0.99, 4, None, ["broken print"] if key in misread else [],
                          list(candidates.get(key, []))))
    return cells


def _cut_fours(truth):
    """Three 4s that a 1-bit scan's threshold cut to "1" (each value 3 less than printed): row
    2's count and total alike, which leaves row 2 holding; and row 1's and row 3.7's other_org
    alike, which leaves that column's first identity holding."""
    value = {(c["row"], c["column"]): c["value"] or 0 for c in truth["cells"] if c["table"] == "applications"}
    keys = [("2", "natural_person"), ("2", "total"), ("1", "other_org"), ("3.7", "other_org")]
    assert all(value[k] >= 3 for k in keys) and value[("1", "natural_person")] >= 3
    return value, {k: value[k] - 3 for k in keys}


def test_two_cells_misread_alike_in_one_identity_are_changed_together(real_truth):
    """A row's count and its total both read 3 short: the row holds, its columns fail, and no
    change of one cell mends them; the two readings the recognizer ranked next are taken
    together, flagged."""
    value, misread = _cut_fours(real_truth)
    pair = {k: misread[k] for k in [("2", "natural_person"), ("2", "total")]}
    cells = _applications(real_truth, pair, {k: [(value[k], 0.003)] for k in pair})
    changed = choose_by_identities(cells, 0.9)
    assert sorted((c.row, c.column) for c in changed) == sorted(pair)
    assert all(c.value == value[(c.row, c.column)] and CHOSEN_FLAG in c.flags for c in changed)
    assert all(c.ok for c in run_checks(cells, 0.9))


def test_a_failure_two_explanations_mend_alike_is_left_to_a_person(real_truth):
    """Row 1 fails by what its other_org lost, and the natural_person column by what row 2
    lost. Row 1's natural_person read 3 more would mend both; row 2's pair read right would mend
    the column and the total column. The recognizer supports both alike: with no reading of
    other_org to say which, neither is taken; with it, the explanation that mends every failure
    is, and the crossing is left as read."""
    value, misread = _cut_fours(real_truth)
    crossing = ("1", "natural_person")
    candidates = {k: [(value[k], 0.01)] for k in [("2", "natural_person"), ("2", "total")]}
    candidates[crossing] = [(value[crossing] + 3, 0.0001)]     # as likely as the pair
    flagged = {**misread, crossing: value[crossing]}
    assert choose_by_identities(_applications(real_truth, flagged, candidates), 0.9) == []
    candidates.update({k: [(value[k], 0.001)] for k in [("1", "other_org"), ("3.7", "other_org")]})
    cells = _applications(real_truth, flagged, candidates)
    changed = choose_by_identities(cells, 0.9)
    assert sorted((c.row, c.column) for c in changed) == sorted(misread)
    assert next(c for c in cells if (c.row, c.column) == crossing).value == value[crossing]
    assert all(c.ok for c in run_checks(cells, 0.9))


def test_a_reading_far_better_supported_decides_between_explanations():
    """A group of table 四 fails: its pending read "3" where the second reader read "1", and its
    total's 6 might be an 8, the digit the recognizer ranked next there, far behind. Both mend the
    group's one identity; the clear reading is taken."""
    values = {g: list(v) for g, v in VALUES.items()}
    values["suit_direct"][3] = 3                     # "1" misread as "3"; 13+4+8+3 = 28 != 26
    cells = _review_cells(values, {"suit_direct.pending": 0.6, "suit_direct.total": 0.8},
                          {"suit_direct.pending": [(1, 0.9)], "suit_direct.total": [(28, 0.0004)]})
    changed = choose_by_identities(cells, 0.9)
    assert [(c.column, c.value) for c in changed] == [("suit_direct.pending", 1)]


def test_a_cell_read_as_no_value_takes_the_reading_its_identities_hold_with(real_truth):
    """A 0 the threshold cut to "(" reads as no value, though the recognizer ranked "0" and "1"
    after it. Every identity holds with the 0 and none with the 1: the 0 is taken, flagged.
    Where only the 1 was read, nothing is: no value is made up by arithmetic. Nor where its
    row's total was read as nothing too (a row of 0s): an identity that counts both as 0 says
    nothing."""
    zero = next((c["row"], c["column"]) for c in real_truth["cells"]
                if c["table"] == "applications" and c["value"] == 0 and c["column"] != "total")
    cells = _applications(real_truth, {zero: None}, {zero: [(0, 0.3), (1, 0.015)]})
    cell = next(c for c in cells if (c.row, c.column) == zero)
    cell.text, cell.flags = "(", ["unreadable"]
    assert choose_by_identities(cells, 0.9) == [cell]
    assert cell.value == 0 and CHOSEN_FLAG in cell.flags

    cells = _applications(real_truth, {zero: None}, {zero: [(1, 0.3)]})
    cell = next(c for c in cells if (c.row, c.column) == zero)
    cell.flags = ["unreadable"]
    assert choose_by_identities(cells, 0.9) == [] and cell.value is None

    zeros = next(c["row"] for c in real_truth["cells"]
                 if c["table"] == "applications" and c["column"] == "total" and c["value"] == 0)
    zero = (zeros, "natural_person")
    cells = _applications(real_truth, {zero: None, (zeros, "total"): None}, {zero: [(0, 0.3)]})
    for cell in cells:
        if (cell.row, cell.column) == zero:
            cell.flags = ["unreadable"]
        if (cell.row, cell.column) == (zeros, "total"):
            cell.confidence, cell.flags = 0.0, ["low_confidence"]
    assert choose_by_identities(cells, 0.9) == []


def test_four_misread_cells_that_hang_on_one_another_are_changed_together(real_truth):
    """A 1-bit scan's chain of misreadings (as in a bilevel300 report): row 3.1's count and
    total misread, the count's column failing until row 3.2's count is read otherwise too, and
    the total column until another row's total is. No change of one or two cells makes every
    identity through it hold; the four readings the recognizer ranked next do, and are taken
    together, flagged.
    With one of them never read, nothing is: no value is made up by arithmetic."""
    value = {(c["row"], c["column"]): c["value"] or 0 for c in real_truth["cells"] if c["table"] == "applications"}
    errors = {("3.1", "natural_person"): -2, ("3.2", "natural_person"): -5, ("3.1", "total"): -9,
              ("3.3.2", "total"): -4}
    assert all(value[k] + e >= 0 for k, e in errors.items())
    misread = {k: value[k] + e for k, e in errors.items()}
    candidates = {k: [(value[k], 0.3), (value[k] + 1, 0.05)] for k in errors}
    cells = _applications(real_truth, misread, candidates)
    changed = choose_by_identities(cells, 0.9)
    assert sorted((c.row, c.column) for c in changed) == sorted(errors)
    assert all(c.value == value[(c.row, c.column)] and CHOSEN_FLAG in c.flags for c in changed)
    assert all(c.ok for c in run_checks(cells, 0.9))

    candidates[("3.3.2", "total")] = [(value[("3.3.2", "total")] + 1, 0.3)]
    cells = _applications(real_truth, misread, candidates)
    assert choose_by_identities(cells, 0.9) == []
    assert all(c.value == misread[(c.row, c.column)] for c in cells if (c.row, c.column) in misread)
