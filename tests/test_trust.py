"""Earned trust end to end: scans of the real report read by the real engines; every value either
confirmed by evidence or in review_cells. Slow (OCR on 2 cores): marked slow, which CI still runs."""
from __future__ import annotations

import json
import pickle
import shutil

import pytest

import pipeline
from pipeline.config import DEFAULT
from pipeline.evaluate import compare_with_truth
from pipeline.evidence import FRACTION_FLAG, SECOND_ONLY_FLAG, assign_status
from pipeline.extract import read_twice
from pipeline.types import STATUS_CONFIRMED, STATUS_DOUBTFUL
from samples.degrade import write_variant

from conftest import REAL_PDF, REAL_TRUTH, require_shared

pytestmark = pytest.mark.slow

FEES = ("active", "20.8/fees", "amount")


@pytest.fixture(scope="module")
def real_scan(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    shutil.copy(require_shared(REAL_PDF), src / "real.pdf")
    shutil.copy(require_shared(REAL_TRUTH), src / "real.truth.json")
    out = write_variant(src / "real.pdf", tmp_path_factory.mktemp("scan"), "scan150", seed=5)
    truth = json.loads(out.with_suffix(".truth.json").read_text(encoding="utf-8"))
    return pipeline.extract(out), truth


def test_scan_values_are_confirmed_or_sent_to_review(real_scan):
    report, truth = real_scan
    data = report.to_json()
    assert data["schema"] == "govreport/2"
    result = compare_with_truth(data, truth)
    assert result["silent_cells"] == [] and not result["silent_error"]
    # Table 二 has no identity: what confirms it on a scan is the second recognizer's agreement.
    for cell in data["cells"]:
        if cell["table"] == "active" and cell["status"] == STATUS_CONFIRMED:
            assert "agreement" in cell["evidence"]
        if cell["status"] == STATUS_CONFIRMED:
            assert cell["evidence"] and "text_layer" not in cell["evidence"]
    listed = {tuple(k) for k in data["review_cells"]}
    assert listed == {(c["table"], c["row"], c["column"]) for c in data["cells"] if c["status"] == STATUS_DOUBTFUL}
    assert data["needs_review"] == bool(listed or any(not c["ok"] and c["cause"] == "reading" for c in data["checks"])
                                        or data["agency"] is None or data["year"] is None)


def test_a_slip_no_identity_catches_is_caught_by_the_second_reading(real_scan):
    """The fee amount misread by a factor of ten (7730.28 read 773.28 was seen on a 150 dpi
    scan, at confidence 1.0): the second recognizer reads the crop itself, disagrees, and the
    cell goes to review with the other reading beside it."""
    report, truth = real_scan
    cells = report.cells
    fees = next(c for c in cells if c.key == FEES)
    right = fees.value
    for c in cells:
        c.alternatives, c.evidence = [], []
    fees.value, fees.text, fees.confidence = round(right / 10, 2), str(round(right / 10, 2)), 1.0
    agreed, same = read_twice(cells, DEFAULT, {})
    assign_status(cells, DEFAULT.min_confidence, {}, agreed, same)
    assert fees.status == STATUS_DOUBTFUL
    assert right in [v for v, _, by in fees.alternatives if by == "second_reader"]
    assert all(c.status == STATUS_CONFIRMED for c in cells if c.table == "active" and c is not fees)


def test_a_cell_the_first_reader_could_not_read_takes_the_second_readers_number(real_scan):
    """A glyph the first reader gave up on ("(" for a broken 90 on a 1-bit scan) is read by the
    second: the value is its number, one reading, so it never agrees with itself — only the
    identities confirm it (table 三), and where no identity reaches (table 二) it stays doubtful."""
    report, truth = real_scan
    cells = report.cells
    want = {(c["table"], c["row"], c["column"]): c["value"] for c in truth["cells"]}
    lost = [next(c for c in cells if c.table == "applications" and c.row == "3.1" and c.column == "total"),
            next(c for c in cells if c.table == "active" and isinstance(c.value, int) and c.value > 0)]
    for c in cells:
        c.alternatives, c.evidence = [], []
    for c in lost:
        c.value, c.text, c.confidence, c.flags = None, "(", 1.0, ["unreadable"]
    agreed, same = read_twice(cells, DEFAULT, {})
    assign_status(cells, DEFAULT.min_confidence, {}, agreed, same)
    for c in lost:
        assert c.value == want[c.key] and SECOND_ONLY_FLAG in c.flags and "unreadable" not in c.flags
        assert "agreement" not in c.evidence and c.key not in same
        assert ("(" in [t for _, t, by in c.alternatives if by == "first_reader"])
    assert lost[0].status == STATUS_CONFIRMED and all(e.startswith("identity:") for e in lost[0].evidence)
    assert lost[1].status == STATUS_DOUBTFUL


def test_a_reading_without_belief_gives_way_to_the_second_readers_number(real_scan):
    """The first reader read a 1-bit scan's broken 233 as "2" with confidence 0 (a piece of it
    read as nothing); a cell under a pen's stroke, as nothing at confidence 0; a count, with a
    speck between its digits read as a point ("6.5" of 65), as no count is. None of these
    readings can be the value: it is the second reader's number, kept from agreeing with
    itself, and the first reading stays beside it."""
    report, truth = real_scan
    cells = report.cells
    want = {(c["table"], c["row"], c["column"]): c["value"] for c in truth["cells"]}
    numbers = [c for c in cells if c.table == "applications" and isinstance(c.value, int) and c.value >= 10]
    cut, covered, speck = numbers[0], numbers[1], numbers[2]
    for c in cells:
        c.alternatives, c.evidence = [], []
    cut.value, cut.text, cut.confidence = int(str(cut.value)[0]), str(cut.value)[0], 0.0
    covered.value, covered.text, covered.confidence = None, "", 0.0
    digits = str(speck.value)
    speck.text = f"{digits[0]}.{digits[1:]}"
    speck.value, speck.confidence = float(speck.text), 0.9
    speck.flags.append(FRACTION_FLAG)
    first_readings = [(cut, cut.text), (covered, ""), (speck, speck.text)]
    agreed, same = read_twice(cells, DEFAULT, {})
    for c, first in first_readings:
        assert c.value == want[c.key] and SECOND_ONLY_FLAG in c.flags and c.key not in same
        assert first in [t for _, t, by in c.alternatives if by == "first_reader"]


def test_a_scanned_report_crosses_processes_as_data(real_scan):
    """Batch workers and dask send reports pickled: the second looks (page images, closures)
    stay behind, the contract JSON arrives whole."""
    report, _ = real_scan
    assert any(c.second_look is not None for c in report.cells)
    again = pickle.loads(pickle.dumps(report))
    assert again.to_json() == report.to_json()
    assert all(c.second_look is None for c in again.cells)
