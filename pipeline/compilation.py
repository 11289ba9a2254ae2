"""Files that hold more than one report: the first is read, the rest named.

Governments publish their departments' reports bound into one PDF (…各部门年度报告汇编), and
archives join one agency's years into one file. Read as one report, the second report's table 三
continued the first's, and its tables 二 and 四 stood in for the first's: whole tables of another
report's values, each consistent in itself and so confirmed, under the first report's title. The
output describes one report (output.md), so the file is read up to where the second begins and a
document issue says what follows.

A second report begins where table 二 comes again after table 三 or 四: a report prints its
tables in the template's order once (a stack scanned back to front is put back in order first,
pipeline.extract.in_reading_order). A title alone is no sign: running headers print the title, often shortened. The
pages between the first report's last table and the second's table 二 belong to the first unless
one of them prints a title other than the first's: from there on the prose (一、总体情况) is the
second report's.
"""
from __future__ import annotations

import logging
from typing import Optional

from .match import classify_grid
from .template import TABLE_ACTIVE
from .title import find_title, parse_title
from .types import PageContent

log = logging.getLogger(__name__)

ISSUE_RULE = "document: more than one report"


def first_report(contents: list[PageContent]) -> tuple[list[PageContent], Optional[dict]]:
    """The pages of the file's first report, and the document issue naming what follows it
    (None when the file is one report)."""
    start = _second_start(contents)
    if start is None:
        return contents, None
    first, rest = contents[:start], contents[start:]
    named = " ".join(str(v) for v in _title_of(rest[0]) or () if v)
    detail = (f"pages {rest[0].info.page}–{rest[-1].info.page} hold another report{': ' + named if named else ''}; "
              f"only pages {first[0].info.page}–{first[-1].info.page} are read")
    log.warning("%s", detail)
    return first, {"rule": ISSUE_RULE, "column": None, "detail": detail}


def _title_of(content: PageContent) -> Optional[tuple[Optional[str], Optional[int]]]:
    """The (agency, year) of a title the page prints, from its title lines (read on the first
    pages) or its layer's prose."""
    lines = content.lines or content.prose
    title = find_title(lines)
    if title is None:
        return None
    return parse_title(title, lines)


def _second_start(contents: list[PageContent]) -> Optional[int]:
    """The index of the page where a second report begins, or None."""
    seen: list[str] = []            # table kinds in page order, repeats of the last one dropped
    last_table_at = -1
    for i, content in enumerate(contents):
        for grid in content.grids:
            kind = classify_grid(grid)
            if kind is None:
                continue
            if kind == TABLE_ACTIVE and TABLE_ACTIVE in seen and seen[-1] != TABLE_ACTIVE:
                # Table 二 again after 三 or 四: the second report's. Its title page, if a page
                # since the first's last table prints another title, is where it begins (a
                # title the same as the first's is a running header).
                first_title = next((t for c in contents if (t := _title_of(c)) is not None), None)
                titled = [k for k in range(last_table_at + 1, i)
                          if (t := _title_of(contents[k])) is not None and t != first_title]
                return titled[0] if titled else i
            if not seen or seen[-1] != kind:
                seen.append(kind)
            last_table_at = i
    return None
