"""One report PDF in, a checked Report out: the stages wired together."""
from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Optional

from . import pdf as pdfio
from . import readers
from .checks import run_checks
from .compilation import first_report
from .evidence import (BROKEN_FLAG, COARSE_FLAG, FIRST_READER, FRACTION_FLAG, LEADING_ZERO_FLAG, NEGATIVE_FLAG,
                       OVERDRAWN_FLAG, SECOND_ONLY_FLAG, SECOND_READER, SOURCE_TEXT_LAYER, agrees, assign_status,
                       classify_checks, flag_positions, identity_evidence, is_definite, review_cells,
                       same_stroke, second_value, unread_cells)
from .config import DEFAULT, Config
from .match import Match, classify_grid, match_document, placed_by_order
from .narrative import STATED_KEYS, narrative_checks, narrative_evidence, of_year, read_statements
from .numbers import as_figures, normalize_numeric_text, number_candidates, parse_value, read_number
from .resolve import choose_by_identities
from .template import TABLE_ACTIVE
from .title import find_title, parse_title, title_is_uncertain, title_lines
from .types import NO_BELIEF, STATUS_CONFIRMED, Cell, InputError, PageContent, Report, TextLine

log = logging.getLogger(__name__)

# Template columns of money, the only ones whose values may have a fraction (template.py).
AMOUNT_COLUMNS = {"amount"}
# Columns whose values may be below zero (table 二's 本年增/减 of the 2019 template); no other is.
SIGNED_COLUMNS = {"change"}
# The prose of a scan is read (a second or two a page) only where the cells it may state are at
# least this share of the cells in doubt: there it may take the report out of review, or most of
# what a reviewer would look at; beside dozens of cells that a failing table leaves in doubt, its
# two or three totals would spare the reviewer little.
PROSE_SHARE_OF_DOUBT = 0.5
# A number's digits after a leading zero ("01", "o7"; not "0.5").
_LEADING_ZERO = re.compile(r"^[+-]?[0oO〇]\d")


def extract(path: str | Path, config: Optional[Config] = None) -> Report:
    """Read one report. Raises InputError (one-line reason) when the file is not a readable report."""
    config = config or DEFAULT
    path = Path(path)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    doc = pdfio.open_document(path, config)
    try:
        timings["open"] = time.perf_counter() - t0
        contents = read_pages(doc, config, timings)
        return build_report(doc, contents, config, timings)
    finally:
        doc.close()


def read_pages(doc: pdfio.Document, config: Config, timings: dict) -> list[PageContent]:
    """Each page's tables and text lines, each page by the reader chosen for it
    (pipeline.readers: text layer, garbled layer over vector rulings, scan, image under an
    invisible layer, tables pasted as pictures)."""
    return readers.read_pages(doc, config, timings)


def match_in_page_order(contents: list[PageContent]):
    """The template's cells from the pages' grids, in the pages' order; or in the reverse order
    where that matches more cells with fewer problems (a stack fed to the scanner back to front:
    a table continued on the next page is then on the page before, and its rows were lost)."""
    match = match_document([g for c in contents for g in c.grids])
    if not any(p.endswith("not found") for p in match.problems):
        return match
    backwards = match_document([g for c in reversed(contents) for g in c.grids])
    found = lambda m: sum(c.source is not None for c in m.cells)
    if found(backwards) > found(match) and len(backwards.problems) < len(match.problems):
        log.info("pages matched in reverse order: %d cells found, %d in the pages' order",
                 found(backwards), found(match))
        return backwards
    return match


def build_report(doc: pdfio.Document, contents: list[PageContent], config: Config,
                 timings: dict) -> Report:
    t = time.perf_counter()
    every_page = contents       # a file of several reports: the first one's pages are read
    contents, another_report = first_report(in_reading_order(contents))
    match = match_in_page_order(contents)
    if not match.tables_found:
        raise InputError(  # a damaged download says so: "not a report" is only true of what was read
            f"damaged PDF: {damaged} objects or streams could not be read; no table found in what could"
            if (damaged := pdfio.count_unreadable(doc.path)) else
            "not a government-information-disclosure annual report: none of the template's tables was found")
    by_page = {c.info.page: c for c in contents}
    # A row of a table drawn without rules that prints all its figures has their order for its
    # place, not the spacing's guess: its layer's text confirms it as a ruled table's would.
    ordered = placed_by_order(match, [g for c in contents for g in c.grids])
    cells = [_cell_of(m, config, by_page.get(m.page), ordered) for m in match.cells]
    flag_positions(cells, match.problems)
    # Chains wait for the second readings: a cell of one that the second reader reads alike is
    # confirmed, where a choice would have taken its identities' evidence from the others.
    choose_by_identities(cells, config.min_confidence, chains=False)
    agreed, same = read_twice(cells, config, timings)
    lines: list[TextLine] = [l for c in contents[:2] for l in c.lines]
    agency, year = parse_title(find_title(lines), lines)
    statements = of_year(read_statements([(c.info.page, l) for c in contents for l in c.prose]), year)
    assign_status(cells, config.min_confidence, narrative_evidence(cells, statements), agreed, same)
    if ocr_prose := read_prose_if_needed(cells, statements, contents, config, timings, year):
        statements += ocr_prose
        assign_status(cells, config.min_confidence, narrative_evidence(cells, statements), agreed, same)
    checks = run_checks(cells, config.min_confidence) + narrative_checks(cells, statements)
    unread = unread_cells(cells, match.version, match.split_six, match.tables_found)
    document_issues = classify_checks(checks, cells, {k[0] for k in unread}) \
        + ([another_report] if another_report else [])
    review = review_cells(cells, match.version, match.split_six, match.tables_found)
    reasons = _review_reasons(match, cells, checks, agency, year)
    # Every listed cell not read makes the report one to review (output.md: needs_review is
    # true exactly when review_cells is not empty), a table whose grids held no row of values too.
    if unread:
        reasons.append(f"{len(unread)} template cell(s) not read, e.g. {' '.join(unread[0])}")
    if title_is_uncertain(lines, config.min_confidence) and not _title_read_twice(lines, agency, year, config):
        reasons.append("title read by OCR with doubt: agency or year may be misread")
    timings["match"] = time.perf_counter() - t
    return Report(
        source_path=str(doc.path), sha256=doc.sha256, n_pages=doc.n_pages,
        version=match.version, agency=agency, year=year,
        pages=[c.info for c in every_page], cells=cells, checks=checks,
        needs_review=bool(reasons), review_reasons=reasons, timings=timings,
        review_cells=review, document_issues=document_issues,
        read_lines={c.info.page: [(_as_printed(g.text), g.bbox) for grid in c.grids for g in grid.cells
                                  if g.text.strip()]
                    for c in every_page if c.info.read_by == "ocr" and c.grids})


def in_reading_order(contents: list[PageContent]) -> list[PageContent]:
    """The pages in the order they were printed. A stack scanned back to front (a feeder loaded
    face up) holds its title on its last page and none on its first two: read as it lies, the
    title was not found, table 三's last page came before its first, and table 二 coming again
    after them looked like a second report's. Such a file, whose first table is not table 二
    either, is taken last page first; its last page's lines are read (its title) where they
    were not."""
    if len(contents) < 2 or find_title([line for c in contents[:2] for line in c.lines]) is not None:
        return contents
    first_table = next((kind for c in contents for g in c.grids if (kind := classify_grid(g)) is not None), None)
    if first_table in (None, TABLE_ACTIVE):
        return contents
    last = contents[-1]
    lines = last.lines or last.prose or (last.read_prose() if last.read_prose is not None else [])
    if find_title(lines) is None:
        return contents
    log.info("the title is on the last page, none on the first: pages read last first")
    last.lines = lines
    return contents[::-1]


def _title_read_twice(lines: list[TextLine], agency, year, config: Config) -> bool:
    """Whether the second recognizer, reading the title's lines on its own, finds the same agency
    and year: the doubt of the first reading is then settled by agreement."""
    used = title_lines(lines)
    if agency is None or year is None or not used or any(l.image is None for l in used):
        return False
    from .ocr.second import get_second_recognizer
    # Only the title's own lines are read again (the prose under it costs ~0.05 s a line); the
    # others stay as read, so the title is found among the same lines.
    readings = dict(zip(map(id, used), get_second_recognizer(config).recognize([l.image for l in used])))
    again = [TextLine(r.text, l.bbox, r.confidence) if (r := readings.get(id(l))) else l for l in lines]
    return parse_title(find_title(again), again) == (agency, year)


def read_prose_if_needed(cells: list[Cell], statements: list, contents: list[PageContent],
                         config: Config, timings: dict, year: Optional[int] = None) -> list:
    """Statements of the prose of pages read from pixels, read only where they can confirm a cell
    nothing else did: a doubtful cell that prose restates (pipeline.narrative), read definitely
    from pixels, that no statement of a text layer names. The prose that restates a table comes
    before it (一、总体情况), so pages are read from the first up to the cell's own page, and no
    further once every such cell is stated; and only where those cells are a good share of the
    cells in doubt (PROSE_SHARE_OF_DOUBT). year: the report's (statements of another are none)."""
    stated = {s.key for s in statements}
    wanted = [c for c in cells if c.key in STATED_KEYS and c.key not in stated
              and c.status != STATUS_CONFIRMED and c.source != SOURCE_TEXT_LAYER
              and c.page is not None and is_definite(c, config.min_confidence)]
    if not wanted:
        return []
    in_doubt = sum(c.status != STATUS_CONFIRMED for c in cells)
    if len(wanted) < PROSE_SHARE_OF_DOUBT * in_doubt:
        log.info("prose not read: it may state %d of the %d cells in doubt", len(wanted), in_doubt)
        return []
    t = time.perf_counter()
    place = {c.info.page: k for k, c in enumerate(contents)}       # in reading order
    last = max(place.get(c.page, len(contents)) for c in wanted)
    found: list = []
    for k, content in enumerate(contents):
        if k > last or {c.key for c in wanted} <= {s.key for s in found}:
            break
        if content.read_prose is not None:
            found += of_year(read_statements([(content.info.page, line) for line in content.read_prose()],
                                             read_by="ocr"), year)
    timings["prose"] = time.perf_counter() - t
    log.info("prose read by OCR for %s: %d statement(s)",
             ", ".join(" ".join(c.key) for c in wanted), len(found))
    return found


def read_twice(cells: list[Cell], config: Config, timings: dict) -> tuple[set, set]:
    """Second readings, by the second recognizer, of every cell read from pixels that the
    identities do not confirm; returns the keys of the cells it agrees with (read alike, with
    confidence), and of those it read alike at any confidence.

    A disagreeing reading is kept among the cell's alternatives and offered to the resolver as
    a candidate; a cell the resolver then changes takes the identity evidence of its identities'
    other terms away (ACCEPTANCE RULE 3), so those are read again in the next round.
    """
    t = time.perf_counter()
    seconds: dict[tuple, tuple[str, object, float, str]] = {}
    by_key = {c.key: c for c in cells}

    def same() -> set:
        # Two readers of one broken glyph, of a glyph a pen drew over, or of a coarse scan's few
        # pixels see the same remains: reading it alike proves nothing.
        return {k for k, (kind, value, _, text) in seconds.items()
                if agrees(by_key[k], kind, value, text)
                and not {BROKEN_FLAG, OVERDRAWN_FLAG, COARSE_FLAG, SECOND_ONLY_FLAG} & set(by_key[k].flags)}

    def agreed() -> set:
        # A hesitant second reading confirms nothing on its own: agreement is two clear readings.
        return {k for k in same() if seconds[k][2] >= config.second_agreement_confidence
                or same_stroke(by_key[k], seconds[k][3])}

    same_now: set = set()
    for _ in range(3):
        confirmed = identity_evidence(cells, config.min_confidence, lambda c: c.key in same_now)
        need = [c for c in cells if c.source != SOURCE_TEXT_LAYER
                and (c.second_look is not None or c.second_reading is not None)
                and c.key not in seconds and c.key not in confirmed]
        if not need:
            break
        from .ocr.second import get_second_recognizer
        looks = [c.second_look() if c.second_reading is None else (None, []) for c in need]
        todo = [i for i, (whole, _) in enumerate(looks) if whole is not None]
        # A cell the first reader read as several lines is read line by line as well, and so
        # taken where its whole crop reads as no value (a value whose note wraps).
        parts = [(i, line) for i, (_, lines) in enumerate(looks) for line in lines]
        readings = get_second_recognizer(config).recognize(
            [looks[i][0] for i in todo] + [line for _, line in parts]) if todo else []
        texts = {i: (r.text, r.confidence) for i, r in zip(todo, readings)}
        by_line: dict[int, tuple[str, float]] = {}
        for (i, _), r in zip(parts, readings[len(todo):]):
            text, confidence = by_line.get(i, ("", 1.0))
            by_line[i] = (f"{text} {r.text}".strip(), min(confidence, r.confidence))
        for i, reading in by_line.items():
            if second_value(texts[i][0])[0] == "unreadable":
                texts[i] = reading
        texts.update({i: c.second_reading for i, c in enumerate(need) if c.second_reading is not None})
        for i, cell in enumerate(need):
            reading = texts.get(i)
            text = re.sub(r"\s+", " ", reading[0]).strip() if reading else ""
            kind, value = second_value(text)
            confidence = reading[1] if reading else 1.0    # no ink: surely nothing
            seconds[cell.key] = (kind, value, confidence, text)
            if kind == "number" and (cell.value is None and "unreadable" in cell.flags
                                     or cell.confidence < NO_BELIEF
                                     or FRACTION_FLAG in cell.flags and float(value).is_integer()
                                     or NEGATIVE_FLAG in cell.flags and value >= 0):
                # What the first reader could not read at all ("(" of a broken 90, "S" of a
                # broken 8), read without any belief (a "2" of what it saw of 233, nothing
                # under a pen's stroke), or read as no value can be (a speck between 6 and 5
                # read as a point, a stroke before a 1 as a minus), the second read as a number:
                # its best guess, with the doubt of a single reading (only the identities may
                # confirm it).
                cell.alternatives.append((cell.value, cell.text, FIRST_READER))
                cell.value, cell.text, cell.confidence = value, text, min(confidence, cell.confidence)
                cell.flags = [f for f in cell.flags if f != "unreadable"] + [SECOND_ONLY_FLAG]
                continue
            if not agrees(cell, kind, value, text):
                cell.alternatives.append((value, text, SECOND_READER))
                if kind == "number" and all(v != value for v, _ in cell.candidates):
                    cell.candidates.append((value, confidence))
        choose_by_identities(cells, config.min_confidence)
        same_now = same()
    timings["second_reading"] = timings.get("second_reading", 0.0) + time.perf_counter() - t
    return agreed(), same()


def _cell_of(m, config: Config, content: Optional[PageContent] = None, ordered: frozenset | set = frozenset()
             ) -> Cell:
    if m.source is None:
        return Cell(m.table, m.row, m.column, None, "", 0.0, m.page, None,
                    [m.problem or "missing"])
    to_page = content.to_page if content else None
    src = m.source
    text = re.sub(r"\s+", " ", src.text).strip()
    parsed, confidence = read_number(text, src.confidence, src.alternatives)
    flags = []
    if m.problem:
        flags.append(m.problem)
    if parsed.kind == "unreadable":
        flags.append("unreadable")
    if getattr(src, "broken", False):
        flags.append(BROKEN_FLAG)
    if getattr(src, "overdrawn", False):
        flags.append(OVERDRAWN_FLAG)
    if content is not None and content.coarse:
        flags.append(COARSE_FLAG)
    fraction = isinstance(parsed.value, float) and not parsed.value.is_integer() and m.column not in AMOUNT_COLUMNS
    if fraction:
        flags.append(FRACTION_FLAG)
    if parsed.kind == "number" and parsed.value < 0 and m.column not in SIGNED_COLUMNS:
        flags.append(NEGATIVE_FLAG)
    if parsed.kind == "number" and _LEADING_ZERO.match(normalize_numeric_text(text)):
        flags.append(LEADING_ZERO_FLAG)
    if confidence < config.min_confidence:
        flags.append("low_confidence")
    bbox = to_page(src.bbox) if to_page else src.bbox
    candidates = [(v, c) for v, c in number_candidates(text, src.confidence, src.alternatives)
                  if v != parsed.value] if src.alternatives else []
    for reading, support in getattr(src, "digit_readings", []):
        value = parse_value(reading).value
        if isinstance(value, int) and value != parsed.value and all(v != value for v, _ in candidates):
            candidates.append((value, support))
    if fraction and re.fullmatch(r"\d+\.\d+", text):
        # The point a speck: the digits alone are a reading the identities may choose.
        candidates.append((int(text.replace(".", "")), confidence / 2))
    cell = Cell(m.table, m.row, m.column, parsed.value, text, confidence, m.page, bbox, flags,
                candidates, note=getattr(parsed, "note", None))
    cell.placed_by_spacing = src.placed_by_spacing and cell.key not in ordered
    if content is not None:
        cell.source = content.cell_source
        cell.bilevel = content.bilevel
        if getattr(src, "second_reading", None) is not None:
            cell.second_reading = src.second_reading
        elif content.second_look is not None:
            look, grid_bbox, lines = content.second_look, src.bbox, "\n" in src.text.strip()
            cell.second_look = lambda: look(grid_bbox, lines)
    return cell


def _as_printed(text: str) -> str:
    """A cell's reading as a searchable layer should hold it: a number as printed, with the
    recognizer's letters for its digits as the digits ("o" or "。" written for a 0 is "0") and
    its unit and separators kept (3656911.44元, 1,234); anything else as read."""
    parsed = parse_value(re.sub(r"\s+", " ", text).strip())
    if parsed.kind == "number" and not parsed.note:
        return as_figures(text)
    return text


def _review_reasons(match: Match, cells: list[Cell], checks, agency, year) -> list[str]:
    """Why the report needs a person, one line each: what needs_review stands on."""
    reasons = [p for p in match.problems if p.endswith("table not found")]
    if match.version is None:
        reasons.append("template version not recognised")
    for c in cells:
        if c.status != STATUS_CONFIRMED:
            why = ", ".join(c.flags) or "no evidence confirms the reading"
            reasons.append(f"{c.table} {c.row} {c.column}: doubtful ({why})")
    for ch in checks:
        if not ch.ok and ch.cause == "reading":
            reasons.append(f"identity fails ({ch.cause}): {ch.rule} [{ch.column}] {ch.detail}")
    if agency is None:
        reasons.append("agency not found in the title")
    if year is None:
        reasons.append("reporting year not found")
    return reasons
