"""Reading a printed cell as a number: ints, decimals, negatives, full-width digits, units."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

# Printed marks that mean "nothing here": the cell's value is null, and that is certain.
BLANK_MARKS = {"", "/", "／", "—", "——", "–", "-", "－", "无", "無", "\\", "、"}

_FULLWIDTH = str.maketrans("０１２３４５６７８９．，－＋（）", "0123456789.,-+()")
# Letters a recognizer gives for digits: in a cell that is otherwise a number they are digits.
# A lone 。 in a value cell is a 0 drawn small (a recognizer's classic confusion); the crop
# reached the recognizer only if its ink was glyph-sized, not a dot.
_DIGIT_LOOKALIKES = str.maketrans("OoО〇○。lI|", "000000111")
UNITS = ("万元", "元", "件", "个", "项", "条", "份", "次", "万")
_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")


@dataclass
class ParsedValue:
    value: Optional[int | float]
    kind: str          # "number" | "blank" | "unreadable"
    note: Optional[str] = None   # what the cell prints beside its value: 22（其中修订16件） → 其中修订16件


# A value followed by a note in brackets, as table 二 prints "22（其中修订16件）", "3（件）". The
# note holds no bracket of its own, and nothing follows its closing bracket.
_WITH_NOTE = re.compile(r"^(?P<lead>[^（()）]*?)\s*[（(](?P<note>[^（()）]*)[）)]\s*$", re.S)


def normalize_numeric_text(text: str) -> str:
    """Full-width forms to ASCII; whitespace dropped only where it groups thousands.

    "3 985 758" is one number; "3 4" (two values run together in one cell, or one value broken
    over two lines) is not, and stays with its space so that it reads as unreadable.
    """
    t = text.translate(_FULLWIDTH).replace("−", "-").replace("﹣", "-").strip()
    groups = t.split()
    if len(groups) > 1 and all(re.fullmatch(r"\d{3}(\.\d+)?", g) for g in groups[1:]) \
            and re.fullmatch(r"[+-]?\d{1,3}", groups[0]):
        return "".join(groups)
    if len(groups) > 1 and not any(ch.isdigit() for ch in "".join(groups[1:])):
        return "".join(groups)          # "96171.6 万元": a unit after a space
    return " ".join(groups) if len(groups) > 1 else t


def as_figures(text: str) -> str:
    """The text with the recognizer's letters for digits ("O", "l") as the digits, where the
    whole of it reads as a number; else as it is."""
    if parse_value(text).kind != "number":
        return text
    return text.translate(_DIGIT_LOOKALIKES)


def parse_value(text: str) -> ParsedValue:
    """The value a cell prints. A leading number with a bracketed note after it is that number,
    the note kept aside; only when the leading part alone is a clean number and the note has
    words (Chinese characters): a note of digits or letters may be a misread value, and "1（2）",
    "1（O）" stay unreadable."""
    m = _WITH_NOTE.match(text or "")
    if m:
        note = re.sub(r"\s+", "", m.group("note"))
        lead = _parse_plain(m.group("lead"))
        if lead.kind == "number" and any("\u4e00" <= ch <= "\u9fff" for ch in note):
            return ParsedValue(lead.value, "number", note)
        return ParsedValue(None, "unreadable")
    return _parse_plain(text)


def _parse_plain(text: str) -> ParsedValue:
    t = normalize_numeric_text(text or "")
    if t in BLANK_MARKS:
        return ParsedValue(None, "blank")
    for unit in UNITS:
        if t.endswith(unit) and len(t) > len(unit):
            t = t[: -len(unit)]
            break
    m = _NUMBER.match(t)
    if not m and any(ch.isdigit() for ch in t) or t in ("O", "o", "〇", "○", "。"):
        m = _NUMBER.match(t.translate(_DIGIT_LOOKALIKES))
    if not m:
        return ParsedValue(None, "unreadable")
    sign, whole, frac = m.groups()
    digits = whole.replace(",", "")
    if frac:
        value: int | float = float(f"{sign}{digits}{frac}")
    else:
        value = int(f"{sign}{digits}")
    return ParsedValue(value, "number")


def number_candidates(text: str, confidence: float, alternatives: list[tuple[str, float]]
                      ) -> list[tuple[int | float, float]]:
    """Every number the readings support, best supported first, with its pooled support."""
    support: dict[tuple, float] = {}
    for t, c in [(text, confidence)] + list(alternatives):
        parsed = parse_value(t)
        if parsed.kind == "number":
            key = (parsed.value, type(parsed.value))
            support[key] = support.get(key, 0.0) + c
    ranked = sorted(support.items(), key=lambda kv: -kv[1])
    return [(key[0], min(1.0, s)) for key, s in ranked]


def read_number(text: str, confidence: float, alternatives: list[tuple[str, float]]) -> tuple[ParsedValue, float]:
    """The value a cell's readings support most, and how much of the recognizer's belief is on it.

    Readings that mean the same value ("0", "o", "O") pool their confidence: the recognizer
    hesitating between spellings of one number is not doubt about the number.
    """
    support: dict[tuple, float] = {}
    first: dict[tuple, ParsedValue] = {}
    for t, c in [(text, confidence)] + list(alternatives):
        parsed = parse_value(t)
        key = (parsed.kind, parsed.value, type(parsed.value))
        support[key] = support.get(key, 0.0) + c
        first.setdefault(key, parsed)
    best = max(support, key=support.get)
    return first[best], min(1.0, support[best])
