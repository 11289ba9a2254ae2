"""Random report values that obey the template's accounting identities (or break them on purpose).

Every value is drawn from a seeded numpy Generator, so a seed fixes a report. The truth records what
the document PRINTS: a cell printed "/" has value None; a cell printed "3802895.90元" has value
3802895.9 and keeps its printed text. Blank markers are only ever put where the drawn count is 0, so
the identities still hold when a blank counts as 0 — the same reading a checker must make.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from pipeline.template import (
    APPLICANT_PART_COLUMNS, REVIEW_GROUPS, REVIEW_OUTCOMES, TABLE_ACTIVE, TABLE_APPLICATIONS,
    TABLE_REVIEW, cell_keys, identities, table_spec,
)

log = logging.getLogger(__name__)

CellKey = tuple[str, str, str]          # (table, row, column)
Number = Optional[int | float]

SCALES = ("department", "district", "city")
BLANK_MARKERS = ("", "/", "—", "无")
AMOUNT_STYLES = ("plain", "yuan", "wanyuan")
INCONSISTENCIES = ("review_total_zero", "total_column_blank", "row_total_off", "parts_sum_off")

# Relative weights of the outcome rows of `applications`: most requests are answered (3.1) or the
# agency does not hold the information (3.4.1); refusals are rare. Real reports look like this.
_PART_WEIGHTS = {
    "3.1": 40.0, "3.2": 8.0,
    "3.3.1": 0.3, "3.3.2": 1.0, "3.3.3": 0.3, "3.3.4": 0.8, "3.3.5": 0.8, "3.3.6": 1.2,
    "3.3.7": 0.5, "3.3.8": 2.0,
    "3.4.1": 22.0, "3.4.2": 2.0, "3.4.3": 1.0,
    "3.5.1": 4.0, "3.5.2": 2.5, "3.5.3": 0.5, "3.5.4": 0.4, "3.5.5": 0.6,
    "3.6.1": 2.0, "3.6.2": 0.3, "3.6.3": 4.0,
}
_PART_WEIGHTS["3.6"] = _PART_WEIGHTS["3.6.1"] + _PART_WEIGHTS["3.6.2"] + _PART_WEIGHTS["3.6.3"]

# Median number of handled requests per applicant column, by agency scale; other columns are a
# small share of natural persons and often zero.
_HANDLED_MEDIAN = {"department": 6.0, "district": 60.0, "city": 900.0}
_COLUMN_SHARE = {"natural_person": 1.0, "enterprise": 0.06, "research": 0.004,
                 "public_interest": 0.006, "legal_service": 0.03, "other_org": 0.02}


@dataclass
class ValueOptions:
    """How a report's values are drawn and printed (chosen per report by the generator)."""
    scale: str = "district"
    blank_marker: Optional[str] = None     # None: zeros printed "0"; else zeros may print this
    blank_share: float = 0.0               # share of zero cells printed with blank_marker
    amount_style: str = "plain"            # plain "96171.6" | yuan "3802895.90元" | wanyuan "7730.28万元"
    thousands_separator: bool = False      # large active-table counts printed "3,985,758"
    inconsistency: Optional[str] = None    # one of INCONSISTENCIES
    notes: bool = False                    # some counts of table 二 print a note: 22（其中修订16件）


@dataclass
class PrintedCell:
    table: str
    row: str
    column: str
    value: Number
    printed: str
    note: Optional[str] = None             # the bracketed note printed after the value, if any


@dataclass
class ReportValues:
    version: str
    split_six: bool
    cells: dict[CellKey, PrintedCell]      # in cell_keys order
    features: list[str] = field(default_factory=list)
    inconsistencies: list[str] = field(default_factory=list)

    @property
    def inconsistent(self) -> bool:
        return bool(self.inconsistencies)

    def value(self, table: str, row: str, column: str) -> Number:
        return self.cells[(table, row, column)].value

    def printed(self, table: str, row: str, column: str) -> str:
        return self.cells[(table, row, column)].printed


# --- drawing counts ---------------------------------------------------------------------------

def _lognormal_count(rng: np.random.Generator, median: float, sigma: float = 1.0) -> int:
    return int(round(median * float(np.exp(rng.normal(0.0, sigma)))))


def _split_count(rng: np.random.Generator, total: int, weights: list[float]) -> list[int]:
    """total split over parts; a Dirichlet draw first so reports differ in their mix."""
    if total == 0:
        return [0] * len(weights)
    share = rng.dirichlet(np.asarray(weights) * 0.8 + 1e-3)
    return [int(x) for x in rng.multinomial(total, share)]


def draw_applications(rng: np.random.Generator, scale: str, split_six: bool) -> dict[tuple[str, str], int]:
    """(row, column) -> count for table `applications`, every identity satisfied."""
    rows = [r.id for r in table_spec(TABLE_APPLICATIONS, "2021", split_six).rows]
    part_rows = [r for r in rows if r.startswith("3.") and r != "3.7"]
    out: dict[tuple[str, str], int] = {}
    natural = _lognormal_count(rng, _HANDLED_MEDIAN[scale], 1.0)
    for col in APPLICANT_PART_COLUMNS:
        share = _COLUMN_SHARE[col]
        handled = natural if col == "natural_person" else (
            _lognormal_count(rng, natural * share * 2.0, 1.2) if rng.random() < 0.55 else 0)
        parts = _split_count(rng, handled, [_PART_WEIGHTS[r] for r in part_rows])
        carried_out = int(rng.binomial(handled, 0.04)) if rng.random() < 0.6 else 0
        carried_in = min(int(rng.binomial(handled, 0.04)) if rng.random() < 0.6 else 0,
                         handled + carried_out)
        out.update({(r, col): n for r, n in zip(part_rows, parts)})
        out[("3.7", col)] = handled
        out[("4", col)] = carried_out
        out[("2", col)] = carried_in
        out[("1", col)] = handled + carried_out - carried_in
    for r in rows:
        out[(r, "total")] = sum(out[(r, c)] for c in APPLICANT_PART_COLUMNS)
    return out


def draw_review(rng: np.random.Generator, scale: str) -> dict[tuple[str, str], int]:
    """('all', column) -> count for table `review`; each group total is the sum of its outcomes."""
    base = {"department": 0.6, "district": 4.0, "city": 40.0}[scale]
    out: dict[tuple[str, str], int] = {}
    for g, _ in REVIEW_GROUPS:
        group_mean = base * (1.0 if g == "review" else 0.5)
        outcomes = [o for o, _ in REVIEW_OUTCOMES[:-1]]
        weights = {"upheld": 0.55, "corrected": 0.15, "other": 0.2, "pending": 0.1}
        for o in outcomes:
            out[("all", f"{g}.{o}")] = int(rng.poisson(group_mean * weights[o] * 2))
        out[("all", f"{g}.total")] = sum(out[("all", f"{g}.{o}")] for o in outcomes)
    return out


def _maybe_zero(rng: np.random.Generator, n: float, p_zero: float) -> int:
    return 0 if rng.random() < p_zero else max(0, int(round(n)))


def _draw_amount(rng: np.random.Generator, scale: str, p_zero: float) -> float:
    if rng.random() < p_zero:
        return 0.0
    median = {"department": 30.0, "district": 900.0, "city": 60000.0}[scale]
    return float(median * np.exp(rng.normal(0.0, 1.3)))


def draw_active(rng: np.random.Generator, scale: str, version: str) -> dict[tuple[str, str], float | int]:
    """(row, column) -> number for table `active` (counts up to millions, fees with decimals)."""
    big = {"department": 1.0, "district": 30.0, "city": 600.0}[scale]
    out: dict[tuple[str, str], float | int] = {}
    can_make_rules = scale == "city"
    if version == "2021":
        rules_in_force = _maybe_zero(rng, rng.integers(5, 200), 0.1) if can_make_rules else 0
        out[("20.1/rules", "issued")] = _maybe_zero(rng, rng.integers(1, 12), 0.3) if can_make_rules else 0
        out[("20.1/rules", "repealed")] = _maybe_zero(rng, rng.integers(1, 8), 0.6) if can_make_rules else 0
        out[("20.1/rules", "in_force")] = rules_in_force
        out[("20.1/normative", "issued")] = _maybe_zero(rng, rng.integers(1, 30) * big ** 0.2, 0.25)
        out[("20.1/normative", "repealed")] = _maybe_zero(rng, rng.integers(1, 30) * big ** 0.2, 0.4)
        out[("20.1/normative", "in_force")] = _maybe_zero(rng, rng.integers(5, 120) * big ** 0.3, 0.1)
        out[("20.5/licensing", "decisions")] = _maybe_zero(rng, _lognormal_count(rng, 300 * big, 1.4), 0.3)
        out[("20.6/penalty", "decisions")] = _maybe_zero(rng, _lognormal_count(rng, 400 * big, 1.6), 0.3)
        out[("20.6/enforcement", "decisions")] = _maybe_zero(rng, _lognormal_count(rng, 20 * big, 1.5), 0.45)
        out[("20.8/fees", "amount")] = _draw_amount(rng, scale, 0.5)
        return out
    for row in ("20.1/rules", "20.1/normative"):
        if row == "20.1/rules" and not can_make_rules:
            made = 0
        else:
            made = _maybe_zero(rng, rng.integers(1, 25) * big ** 0.2, 0.3)
        out[(row, "new_made")] = made
        out[(row, "new_published")] = made if rng.random() < 0.8 else max(0, made - int(rng.integers(0, 3)))
        out[(row, "total_published")] = made + (_maybe_zero(rng, rng.integers(5, 150) * big ** 0.3, 0.1)
                                                if made or row != "20.1/rules" else 0)
    for row in ("20.5/licensing", "20.5/other_services", "20.6/penalty", "20.6/enforcement"):
        prev = _maybe_zero(rng, _lognormal_count(rng, 40 * big ** 0.4, 0.9), 0.2)
        out[(row, "prev_items")] = prev
        out[(row, "change")] = int(rng.integers(-min(prev, 25), 26)) if rng.random() < 0.6 else 0
        out[(row, "decisions")] = _maybe_zero(rng, _lognormal_count(rng, 300 * big, 1.5), 0.3)
    prev_fees = _maybe_zero(rng, rng.integers(1, 30), 0.4)
    out[("20.8/fees", "prev_items")] = prev_fees
    out[("20.8/fees", "change")] = int(rng.integers(-min(prev_fees, 6), 4)) if rng.random() < 0.5 else 0
    out[("20.9/procurement", "items")] = _maybe_zero(rng, _lognormal_count(rng, 20 * big ** 0.5, 1.0), 0.3)
    out[("20.9/procurement", "amount")] = (_draw_amount(rng, scale, 0.0)
                                           if out[("20.9/procurement", "items")] else 0.0)
    return out


# --- printing ---------------------------------------------------------------------------------

def _with_separator(n: int) -> str:
    return f"{n:,}"


def _print_count(n: int, options: ValueOptions, table: str) -> str:
    if options.thousands_separator and table == TABLE_ACTIVE and abs(n) >= 1000:
        return _with_separator(n)
    return str(n)


def _print_amount(rng: np.random.Generator, amount: float, options: ValueOptions) -> tuple[Number, str]:
    """An amount as printed and its value: decimals 0–2 as real reports vary, unit per style."""
    if amount == 0:
        return 0, "0"
    if options.amount_style == "yuan":
        decimals, unit = 2, "元"
        amount *= 10000 if amount < 5000 else 1
    elif options.amount_style == "wanyuan":
        decimals, unit = 2, "万元"
    else:
        decimals, unit = int(rng.choice([0, 1, 2], p=[0.2, 0.4, 0.4])), ""
    text = f"{amount:.{decimals}f}"
    value: Number = int(text) if decimals == 0 else round(float(text), decimals)
    return value, text + unit


def _printed_cells(rng: np.random.Generator, version: str, split_six: bool,
                   numbers: dict[CellKey, float | int], options: ValueOptions) -> dict[CellKey, PrintedCell]:
    cells: dict[CellKey, PrintedCell] = {}
    for key in cell_keys(version, split_six):
        table, row, column = key
        raw = numbers[key]
        if table == TABLE_ACTIVE and column == "amount":
            value, text = _print_amount(rng, float(raw), options)
        else:
            value, text = int(raw), _print_count(int(raw), options, table)
        if value == 0 and options.blank_marker is not None and rng.random() < options.blank_share:
            value, text = None, options.blank_marker
        cells[key] = PrintedCell(table, row, column, value, text)
    return cells


# --- deliberate source inconsistencies --------------------------------------------------------

def _set(cells: dict[CellKey, PrintedCell], key: CellKey, value: Number) -> None:
    cells[key].value = value
    cells[key].printed = "" if value is None else str(value)


def _break_identities(rng: np.random.Generator, cells: dict[CellKey, PrintedCell], kind: str,
                      row_ids: list[str]) -> str:
    """Make the printed values break an identity the way real reports do; returns a description."""
    app = TABLE_APPLICATIONS
    if kind == "review_total_zero":
        g = str(rng.choice([g for g, _ in REVIEW_GROUPS]))
        if not cells[(TABLE_REVIEW, "all", f"{g}.upheld")].value:
            _set(cells, (TABLE_REVIEW, "all", f"{g}.upheld"), int(rng.integers(1, 9)))
        _set(cells, (TABLE_REVIEW, "all", f"{g}.total"), 0)
        return f"review {g}.total printed 0 beside non-zero outcomes"
    if kind == "total_column_blank":
        if not cells[(app, "1", "natural_person")].value:
            # A blank 总计 column beside all-zero parts breaks nothing: give it something to miss.
            for r in ("1", "3.1", "3.7"):
                _set(cells, (app, r, "natural_person"), 1)
        for r in row_ids:
            _set(cells, (app, r, "total"), None)
        return "applications 总计 column left blank"
    if kind == "row_total_off":
        r = str(rng.choice(row_ids))
        total = cells[(app, r, "total")].value or 0
        # A typo'd total: off by a few, never negative (nobody prints a negative count here).
        delta = int(rng.integers(1, 10))
        _set(cells, (app, r, "total"), total - delta if total > delta and rng.random() < 0.5 else total + delta)
        return f"applications row {r} total differs from the sum of applicants"
    if kind == "parts_sum_off":
        r = str(rng.choice(["3.1", "3.4.1", "3.5.1"]))
        old = cells[(app, r, "natural_person")].value or 0
        _set(cells, (app, r, "natural_person"), old + int(rng.integers(1, 5)))
        return f"applications natural_person: part {r} printed too large for 3.7"
    raise ValueError(f"unknown inconsistency {kind!r}")


# --- checking ---------------------------------------------------------------------------------

def failed_identities(cells: dict[CellKey, Number], version: str, split_six: bool) -> list[str]:
    """Rules (with column) that the values break; a blank (None) counts as 0."""
    row_ids = [r.id for r in table_spec(TABLE_APPLICATIONS, version, split_six).rows]
    failures = []
    for ident in identities(row_ids):
        def side(keys):
            return sum((cells.get((ident.table, r, c)) or 0) for r, c in keys)
        if side(ident.lhs) != side(ident.rhs):
            failures.append(f"{ident.rule} [{ident.column}]")
    return failures


# --- the one entry point ----------------------------------------------------------------------

def draw_report_values(rng: np.random.Generator, version: str, split_six: bool,
                       options: ValueOptions) -> ReportValues:
    """All printed data cells of one report, as cell_keys(version, split_six) lists them."""
    numbers: dict[CellKey, float | int] = {}
    numbers.update({(TABLE_ACTIVE, r, c): v for (r, c), v in draw_active(rng, options.scale, version).items()})
    numbers.update({(TABLE_APPLICATIONS, r, c): v
                    for (r, c), v in draw_applications(rng, options.scale, split_six).items()})
    numbers.update({(TABLE_REVIEW, r, c): v for (r, c), v in draw_review(rng, options.scale).items()})
    cells = _printed_cells(rng, version, split_six, numbers, options)
    values = ReportValues(version, split_six, cells, features=_value_features(cells, options))
    row_ids = [r.id for r in table_spec(TABLE_APPLICATIONS, version, split_six).rows]
    if options.inconsistency:
        values.inconsistencies.append(_break_identities(rng, cells, options.inconsistency, row_ids))
        values.features.append(f"inconsistent:{options.inconsistency}")
    failures = failed_identities({k: c.value for k, c in cells.items()}, version, split_six)
    if bool(failures) != values.inconsistent:
        raise AssertionError(f"identities {failures} vs inconsistencies {values.inconsistencies}")
    if options.notes:
        # Drawn last, and only when asked: reports without notes draw exactly what they did.
        if add_notes(rng, cells):
            values.features.append("value_notes")
    return values


# Notes real reports print after a count of table 二: a share of it, or the unit.
_NOTES = {"issued": ("其中修订{k}件", "其中新制定{k}件", "件"),
          "repealed": ("含自然失效{k}件", "件"),
          "in_force": ("含自然失效{k}件", "含废止{k}件", "件")}
_OTHER_NOTES = ("件", "其中{k}件已公开")


def add_notes(rng: np.random.Generator, cells: dict[CellKey, PrintedCell]) -> int:
    """Give two to four printed counts of table 二 a bracketed note: 22（其中修订16件）, 55（含自然失效
    29件）, 3（件）. The value stays the count; the note is what the cell prints beside it."""
    eligible = [k for k, c in cells.items() if k[0] == TABLE_ACTIVE and isinstance(c.value, int)
                and not isinstance(c.value, bool) and c.value > 0 and c.column not in ("amount", "change")]
    if not eligible:
        return 0
    n = min(len(eligible), int(rng.integers(2, 5)))
    picks = sorted(int(i) for i in rng.choice(len(eligible), size=n, replace=False))
    for i in picks:
        cell = cells[eligible[i]]
        forms = _NOTES.get(cell.column, _OTHER_NOTES)
        form = forms[int(rng.integers(len(forms)))]
        note = form.format(k=int(rng.integers(1, cell.value + 1)))
        open_, close = ("(", ")") if rng.random() < 0.2 else ("（", "）")
        cell.note = note
        cell.printed = f"{cell.printed}{open_}{note}{close}"
    return n


def _value_features(cells: dict[CellKey, PrintedCell], options: ValueOptions) -> list[str]:
    features = [f"scale:{options.scale}"]
    printed = [c.printed for c in cells.values()]
    if options.blank_marker is not None and any(c.value is None for c in cells.values()):
        features.append("blank:" + {"": "empty", "/": "slash", "—": "dash", "无": "wu"}[options.blank_marker])
    if any(p.endswith("万元") for p in printed):
        features.append("amount_unit:wanyuan")
    elif any(p.endswith("元") for p in printed):
        features.append("amount_unit:yuan")
    if any("," in p for p in printed):
        features.append("thousands_separator")
    if any(p.startswith("-") for p in printed):
        features.append("negative_change")
    if any(isinstance(c.value, float) for c in cells.values()):
        features.append("decimal_amount")
    return features
