"""Agency and reporting year from the report's title."""
from __future__ import annotations

import re
from typing import Optional

from .types import TextLine

_TITLE_END = "政府信息公开工作年度报告"
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年度?")
_PERIOD = re.compile(r"统计期限.{0,4}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
_STRIP = ("关于", "的")


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def find_title(lines: list[TextLine]) -> Optional[str]:
    """The title, joined from the line that ends it and up to two lines above it: titles break
    after the agency's name ("淮安市人民政府" / "2024 年政府信息公开工作年度报告") or mid-phrase."""
    used = title_lines(lines)
    return "".join(_clean(l.text) for l in used) if used else None


def title_lines(lines: list[TextLine]) -> list[TextLine]:
    """The lines the title is made of, top first (none when no title is found)."""
    flat = [_clean(l.text) for l in lines]
    for i, text in enumerate(flat[:40]):
        if "年度报告" not in text:
            continue
        first, title = i, text
        for k in range(i - 1, max(0, i - 2) - 1, -1):
            prev = flat[k]
            complete = _TITLE_END in title and not title.startswith(
                ("政府信息", "年度", "关于")) and not _YEAR.match(title)
            if complete or not prev or "。" in prev or re.fullmatch(r"[-—\d第页/]+", prev):
                break
            first, title = k, prev + title
        return lines[first:i + 1]
    return []


def title_is_uncertain(lines: list[TextLine], min_confidence: float) -> bool:
    """Whether OCR of the title might have read the agency or the year wrong: a title line read
    with low confidence, or a reading the recognizer found plausible that names another agency
    or year (淮安 and 准安 differ by a stroke)."""
    used = title_lines(lines)
    if not used:
        return False
    if any(l.confidence < min_confidence for l in used):
        return True
    main = parse_title(find_title(used), [])
    for k, line in enumerate(used):
        for alt, _ in line.alternatives:
            other = [TextLine(alt, l.bbox) if j == k else l for j, l in enumerate(used)]
            if parse_title(find_title(other), []) != main:
                return True
    return False


def parse_title(title: Optional[str], lines: list[TextLine]) -> tuple[Optional[str], Optional[int]]:
    """(agency, year) from the title; the year falls back to the report's statistics period."""
    agency, year = None, None
    if title:
        t = _clean(title)
        end = t.rfind(_TITLE_END)
        if end < 0:
            end = t.rfind("年度报告")
        head = t[:end] if end >= 0 else t
        m = None
        for m in _YEAR.finditer(head):
            pass
        if m:
            year = int(m.group(1))
            head = head[: m.start()] + head[m.end():]
        for s in _STRIP:
            head = head.removeprefix(s)
        head = head.removesuffix("的")
        agency = head or None
    if year is None:
        body = _clean("".join(l.text for l in lines[:60]))
        m = _PERIOD.search(body)
        if m:
            year = int(m.group(1))
    return agency, year
