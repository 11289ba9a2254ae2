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
