"""The report's prose as a witness: sentences that restate table figures.

Reports say in words what their tables print (本年度共收到政府信息公开申请N件 or 全市共受理…N件,
上年结转N件, 结转下年度继续办理N件 or N件顺延到下年度). A statement that names the same number as
its cell is `narrative` evidence for it: two prints of the number, read apart. One that names
another is a check that fails — the document's own contradiction when the cell is confirmed and
the prose is read as printed (a good text layer), a doubt about a reading otherwise (prose read by
OCR is one reading, unconfirmed).

Only statements whose cell is unambiguous are read. 共收到…申请N件 is the year's new applications
in most reports and new plus carried over in some: both count as agreement, and only the first
gives evidence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import template as T
from .types import STATUS_CONFIRMED, Cell, Check, TextLine

_STOP = r"[^。；;，,\d]"
# The year the sentence speaks of: the report's own (本年, 全年…), or its number leading the
# sentence (2024年，全市共受理…), which a comma may follow.
_THIS_YEAR = r"(?:本年|全年|年内|今年|(?<!\d)(?P<year>\d{4})年度?[，,]?)"
# (what the sentence states, pattern, the cell it restates, cells whose sum may be meant instead)
_STATEMENTS = (
    ("本年新收申请", re.compile(rf"{_THIS_YEAR}{_STOP}{{0,14}}?(?:收到|受理){_STOP}{{0,16}}?申请{_STOP}{{0,4}}?(?P<number>\d+)\s*件"),
     ("applications", "1", "total"), [("applications", "1", "total"), ("applications", "2", "total")]),
    ("上年结转申请", re.compile(rf"上一?年(?:度)?结转{_STOP}{{0,16}}?(?P<number>\d+)\s*件"),
     ("applications", "2", "total"), None),
    ("结转下年度申请", re.compile(rf"(?:结转|顺延)(?:至|到)?下一?年(?:度)?{_STOP}{{0,12}}?(?P<number>\d+)\s*件"),
     ("applications", "4", "total"), None),
    # The number before the words: 另有103件顺延到下年度答复.
    ("结转下年度申请", re.compile(rf"(?<!\d)(?P<number>\d+)\s*件{_STOP}{{0,4}}?(?:结转|顺延)(?:至|到)?下一?年"),
     ("applications", "4", "total"), None),
)
# Applications of another kind that the same words count (收到行政复议申请5件): not the table's.
_OTHER_APPLICATIONS = re.compile(r"复议|诉讼|举报|投诉|信访")


@dataclass
class Statement:
    what: str
    number: int
    sentence: str
    key: tuple[str, str, str]
    sum_keys: list | None
    page: int
    read_by: str = "text_layer"      # text_layer | ocr
    year: int | None = None          # the year it names (2024年，…), if it names one


# The cells a statement may restate.
STATED_KEYS = {key for _, _, key, _ in _STATEMENTS}


def read_statements(lines: list[tuple[int, TextLine]], read_by: str = "text_layer") -> list[Statement]:
    """Statements found in prose lines (page, line); a sentence may run over line breaks."""
    by_page: dict[int, str] = {}
    for page, line in lines:
        by_page[page] = by_page.get(page, "") + line.text
    out = []
    for page, text in sorted(by_page.items()):
        text = re.sub(r"\s+", "", text)
        for what, pattern, key, sum_keys in _STATEMENTS:
            for m in pattern.finditer(text):
                if _OTHER_APPLICATIONS.search(m.group(0)):
                    continue
                start = max(0, text.rfind("。", 0, m.start()) + 1)
                year = m.groupdict().get("year")
                out.append(Statement(what, int(m.group("number")), text[start:m.end()], key, sum_keys, page,
                                     read_by, int(year) if year else None))
    return out


def of_year(statements: list[Statement], year: int | None) -> list[Statement]:
    """The statements about the report's year: not those naming another (2023年共收到…, the year
    before's figure set beside this one's)."""
    return [s for s in statements if s.year is None or year is None or s.year == year]


def narrative_evidence(cells: list[Cell], statements: list[Statement]) -> dict[tuple, list[str]]:
    by_key = {c.key: c for c in cells}
    out: dict[tuple, list[str]] = {}
    for s in statements:
        cell = by_key.get(s.key)
        if cell is not None and cell.value is not None and cell.value == s.number:
            how = "" if s.read_by == "text_layer" else ", read by OCR"
            out.setdefault(s.key, []).append(f"narrative:{s.what} {s.number}件 (page {s.page}{how})")
    return out


def narrative_checks(cells: list[Cell], statements: list[Statement]) -> list[Check]:
    """One check per statement whose cell the document prints; cause as the module says."""
    by_key = {c.key: c for c in cells}
    checks = []
    for s in statements:
        cell = by_key.get(s.key)
        if cell is None:
            continue
        value = cell.value or 0
        ok = value == s.number
        if not ok and s.sum_keys and all(k in by_key for k in s.sum_keys):
            ok = sum(by_key[k].value or 0 for k in s.sum_keys) == s.number
        detail = f"prose {s.number} (page {s.page}: {s.sentence[-40:]}) vs table {value}"
        as_printed = cell.status == STATUS_CONFIRMED and s.read_by == "text_layer"
        cause = "ok" if ok else ("document" if as_printed else "reading")
        rule = f"narrative: {s.what} = {s.key[0]} {s.key[1]} {T.label_of(*s.key).split('›')[-1]}"
        checks.append(Check(rule, s.key[2], ok, detail, cause))
    return checks
