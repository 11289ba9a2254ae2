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
    """The title, joined from the lines it is printed on: titles break after the agency's name
    ("淮安市人民政府" / "2024 年政府信息公开工作年度报告"), mid-phrase, even inside a word
    ("…政府信息公开工作年" / "度报告"), and some print the year on a line of its own above or
    below ("2023年度" / "某某局政府信息公开工作年度报告")."""
    used = title_lines(lines)
    return "".join(_clean(l.text) for l in used) if used else None


# What ends a title: the template's wording, and "2023年度政府信息公开工作报告" some agencies use.
_MARKS = ("年度报告", "公开工作报告")
_ENDS = (_TITLE_END, "政府信息公开工作报告")
_BARE_YEAR = re.compile(r"[（(]?(?:19|20)\d{2}\s*年度?[）)]?")
_PROSE = ("。", "，", "〈", "《", "；")
_MAX_ABOVE = 3          # lines above the one that ends the title: an agency's name may wrap too


def _end_of_title(flat: list[str]) -> Optional[int]:
    """The index of the line that ends the title: the first line printing 年度报告, or the
    second of two lines that print it across their break. Prose lines (with 。，《) only cite
    the phrase (《…政府信息公开工作年度报告格式》)."""
    for i, text in enumerate(flat[:40]):
        if any(p in text.rstrip("。.") for p in _PROSE):      # a stray full stop of a reader
            continue
        if any(mark in text for mark in _MARKS):
            return i
        nxt = next((k for k in range(i + 1, min(len(flat), i + 3)) if flat[k]), None)
        if text and nxt is not None and not any(p in flat[nxt] for p in _PROSE):
            joined = text + flat[nxt]
            for mark in _MARKS:
                at = joined.find(mark)
                if 0 <= at < len(text) < at + len(mark):
                    return nxt
    return None


def _agency_wrapped(upper: TextLine, lower: TextLine, text: str) -> bool:
    """Whether `upper` is the start of an agency's name that wraps onto `lower`, the top line of
    a title already complete: words only (no digits, brackets or prose), printed right above it
    in the same size and on the same axis."""
    if re.search(r"[\d（()）]", text) or not any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return False
    (ux0, uy0, ux1, uy1), (lx0, ly0, lx1, ly1) = upper.bbox, lower.bbox
    uh, lh = uy1 - uy0, ly1 - ly0
    if uh <= 0 or lh <= 0 or not 0.75 <= uh / lh <= 1.33:
        return False
    if not -0.3 * lh <= ly0 - uy1 <= 1.3 * lh:
        return False
    centred = abs((ux0 + ux1) - (lx0 + lx1)) / 2 <= 0.2 * max(ux1 - ux0, lx1 - lx0)
    return centred or abs(ux0 - lx0) <= lh


def _over(line: TextLine, title: list[TextLine]) -> bool:
    """Whether `line` lies over the title's lines (their columns overlap), not beside them."""
    x0, x1 = min(l.bbox[0] for l in title), max(l.bbox[2] for l in title)
    return line.bbox[0] < x1 and line.bbox[2] > x0


def title_lines(lines: list[TextLine]) -> list[TextLine]:
    """The lines the title is made of, top first (none when no title is found)."""
    flat = [_clean(l.text) for l in lines]
    end = _end_of_title(flat)
    if end is None:
        return []
    used = [end]
    title = flat[end]
    above = 0
    for k in range(end - 1, -1, -1):
        prev = flat[k]
        if not prev:
            continue            # an empty line (a stray box of the reader) is no break
        if not _over(lines[k], [lines[j] for j in used]):
            continue            # beside the title, not above it: another page of a sheet of two
        # "年政府信息…" is the rest of a year whose digits an OCR tool's layer set apart
        # ("北京市朝阳区人民政府 2023" / "年政府信息…", or "2023" alone on the line above).
        complete = any(e in title for e in _ENDS) and not title.startswith(
            ("政府信息", "年", "关于")) and not _YEAR.match(title)
        if complete and _agency_wrapped(lines[k], lines[used[0]], prev):
            complete = False       # "北京市朝阳区" / "人民政府2023年…": the name itself wraps
        year_digits = title.startswith("年") and re.fullmatch(r"(?:19|20)\d{2}", prev)
        if above >= _MAX_ABOVE or complete or any(p in prev for p in _PROSE) \
                or (re.fullmatch(r"[-—\d第页/]+", prev) and not year_digits):
            if complete and not _YEAR.search(title) and _BARE_YEAR.fullmatch(prev):
                used.insert(0, k)          # the year printed on a line of its own, above
            break
        used.insert(0, k)
        title = prev + title
        above += 1
    if not _YEAR.search(title):
        # The year on a line of its own below the title: "（2023年度）".
        nxt = next((k for k in range(end + 1, min(len(flat), end + 3)) if flat[k]), None)
        if nxt is not None and _BARE_YEAR.fullmatch(flat[nxt]):
            used.append(nxt)
    return [lines[k] for k in used]


def title_complete(lines: list[TextLine]) -> bool:
    """Whether the lines read so far (top first) hold the whole title and the year: its last line
    and the two after it are read (a year may stand on a line of its own below), and a year is
    found (in the title, or in the statistics period of the prose under it)."""
    flat = [_clean(l.text) for l in lines]
    end = _end_of_title(flat)
    if end is None or len(flat) < end + 3:
        return False
    return parse_title(find_title(lines), lines)[1] is not None


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
        end = -1
        for mark in (*_ENDS, "年度报告", "公开工作报告"):
            end = t.rfind(mark)
            if end >= 0:
                break
        head = t[:end] if end >= 0 else t
        m = None
        for m in _YEAR.finditer(head):
            pass
        if m:
            year = int(m.group(1))
            head = head[: m.start()] + head[m.end():]
        elif end >= 0:
            tail = _YEAR.search(t[end:])        # "…年度报告（2023年度）"
            if tail:
                year = int(tail.group(1))
        head = re.sub(r"[（(][）)]", "", head)      # the brackets of "（2023年度）" once the year is out
        for s in _STRIP:
            head = head.removeprefix(s)
        head = head.removesuffix("的").removesuffix("关于")
        agency = head or None
    if year is None:
        body = _clean("".join(l.text for l in lines[:60]))
        m = _PERIOD.search(body)
        if m:
            year = int(m.group(1))
    return agency, year
