"""Evidence per cell (govreport/2): a value is confirmed only by evidence, never by the recognizer's
own confidence; everything else is doubtful and goes to `review_cells`.

Evidence, strongest first:
- `text_layer`: read from a born-digital text layer judged good (visible glyphs drawn from it). An
  invisible layer over an image is someone's OCR: a reading to verify like ours.
- `identity:<rule>`: see ACCEPTANCE RULE below.
- `agreement`: the second recognizer (pipeline.ocr.second: another model, another runtime, another
  preparation of the crop) read the same value — except where the printed glyphs are broken
  apart (BROKEN_FLAG): both readers then read the same remains, and on 1-bit scans both read a
  4 that lost its crossbar as "1" (a lone "0" cut only at its hairlines is still its ring,
  not counted broken: pipeline.scan.is_whole_zero); or where a pen's mark touches the number
  (OVERDRAWN_FLAG): both read the print and the mark together, a tick over a 1 as 4; or where
  the scan is too coarse (COARSE_FLAG): both read the same blur of a few pixels, a 5 as 3 alike.
- `narrative`: the report's own prose states the same number (pipeline.narrative).

ACCEPTANCE RULE (identities). A cell is confirmed by the identities when all of these hold:
  1. its reading is definite: a number read, or a blank whose blankness is sure (an identity
     counts a blank as 0, so it cannot tell "—" from a lost "0"; nothing where a table drawn
     without rules is thought to have a cell is never sure); no position doubt; not unreadable;
  2. it takes part in at least one identity, and every identity it takes part in holds as read,
     every term of it definite as in 1 (an unreadable term counts as 0 in the sum: a row the
     print lost whole holds as 0 = 0);
  3. no term of those identities was chosen by the resolver (an identity made to hold by a choice
     proves nothing about its other terms);
  4. it takes part in at least two identities, or the second recognizer read the same value
     (and its glyphs are not broken apart).
Why this is enough: a misread value changes the sum of every identity it is in, so each of them
must hold another misreading that cancels it exactly. In table 三 a value cell lies in a row
identity and a column identity that share no other cell; a wrong value passing both needs at
least three other misread cells whose errors cancel around a rectangle of the table — each of
them misread by exactly the right amount. Table 四's cells lie in one identity only (their group's
total); one compensating misreading would do there, so rule 4 asks for the second recognizer too.
A failed identity is the document's own only when every term is confirmed and no term read from
pixels could mend it by one plausible slip (a digit changed, dropped or doubled): two readers
can make the same slip where the print itself is damaged, so such terms go to a person; not one
that an identity holding with every term confirmed settles, unless, on a 1-bit scan, the same
slip made alike in another of that identity's terms (every 4 read 1) would leave it holding.
tests/test_evidence.py injects every single misreading and thousands of random two-cell ones
into correct reports: every single one is caught; two-cell ones pass only in the patterns the
rule accepts (none in table 三), and the test shows which.
"""
from __future__ import annotations

import functools
import re
from typing import Callable, Optional

from . import template as T
from .numbers import parse_value
from .resolve import CHOSEN_FLAG, holds
from .types import SHAPE_CONFIDENCE, STATUS_CONFIRMED, STATUS_DOUBTFUL, Cell, Check

SOURCE_TEXT_LAYER = "text_layer"      # Cell.source of a born-digital good layer (types.py)
SECOND_READER = "second_reader"
FIRST_READER = "first_reader"
SLIP_FLAG = "an identity fails that one slip in this reading would mend"
POSITION_FLAG = "position"
# A row of table 三 whose label read as none of the template's, placed by its order: the one row
# printed between the rows found before and after it (pipeline.match._rows_between). Its values
# are read as any others, and the identities may count them; that the row is the template's is
# for a person to confirm, so they are confirmed by nothing.
ORDER_FLAG = "row placed by its order"
# A number whose printed glyphs are broken apart (pipeline.scan.ink_pieces): a second reading of
# the same remains is no independent witness, so agreement confirms nothing there.
BROKEN_FLAG = "broken print"
# A number with a pen's mark on it (pipeline.scan.mark_overdrawn): both readers read the print
# and the mark together, alike, so agreement confirms nothing there either.
OVERDRAWN_FLAG = "a mark drawn over the print"
# A cell of a scan made below pipeline.scan.COARSE_DPI: its digits a few pixels tall, which two
# readers misread alike as readily as they read them right (a 5 as 3, 4024 as 4034 at 75 dpi).
COARSE_FLAG = "a scan too coarse for two readings to confirm"
# A count (every template cell but an amount of money) read with a fraction: a speck taken for
# a point ("114" read "11.4" by both readers of a 1-bit scan).
FRACTION_FLAG = "a count read with a fraction"
# A value read below zero where none is (every template cell but a change, 本年增/减): a stroke
# or a speck before its digits taken for a minus ("-1" of a harsh scan's 1).
NEGATIVE_FLAG = "a value read below zero"
# A number read with a leading zero ("01"), which no table prints: two values run together where
# the rule between their cells was lost (both readers read the pair alike), or a misreading.
LEADING_ZERO_FLAG = "a number read with a leading zero"
# A cell the first reader could not read, whose value is the second reader's clear number: one
# reading, so agreement cannot confirm it (it would agree with itself); the identities may.
SECOND_ONLY_FLAG = "read by the second reader alone"
# Flags that make a reading indefinite: the value read is not known to be the value printed.
_INDEFINITE = ("unreadable", "missing", POSITION_FLAG, FRACTION_FLAG, NEGATIVE_FLAG, LEADING_ZERO_FLAG)
# The second recognizer writes a blank mark "—" as CJK "一" at times; in a value cell it is a mark.
_SECOND_BLANKS = {"一", "_", "…"}


def identities_of(cells: list[Cell]) -> list[T.Identity]:
    """The template's identities whose every term the document prints."""
    keys = {c.key for c in cells}
    app_rows = list(dict.fromkeys(c.row for c in cells if c.table == T.TABLE_APPLICATIONS))
    return [i for i in _identities(tuple(app_rows))
            if all((i.table, r, col) in keys for r, col in i.lhs + i.rhs)]


@functools.lru_cache(maxsize=64)
def _identities(app_rows: tuple[str, ...]) -> tuple[T.Identity, ...]:
    return tuple(T.identities(list(app_rows)))


def is_definite(cell: Cell, min_confidence: float) -> bool:
    if any(f == flag or f.startswith(flag + ":") for f in cell.flags for flag in _INDEFINITE):
        return False
    if SECOND_ONLY_FLAG in cell.flags and cell.value == 0:
        # What the first reader could not read and the second took for "0" may be a blank mark
        # ("—", "/"): an identity counts both as 0 and cannot tell them apart.
        return False
    if cell.placed_by_spacing and not cell.text.strip():
        # Nothing where a table drawn without rules is thought to have a cell: a value the
        # spacing put in another cell as well as a blank. Counted as a sure 0, it would let a row
        # whose "0" and "/" the spacing swapped hold its identities (a blank and a 0 sum alike).
        return False
    # A blank is sure only when the reader was sure nothing (or a blank mark) is printed there.
    return cell.value is not None or cell.confidence >= min_confidence


def identity_evidence(cells: list[Cell], min_confidence: float,
                      agreed: Callable[[Cell], bool] = lambda c: False) -> dict[tuple, list[str]]:
    """For each cell that the ACCEPTANCE RULE confirms, its `identity:` evidence."""
    by_key = {c.key: c for c in cells}
    idents = identities_of(cells)
    through: dict[tuple, list[int]] = {}
    for n, ident in enumerate(idents):
        for r, col in ident.lhs + ident.rhs:
            through.setdefault((ident.table, r, col), []).append(n)
    chosen = {c.key for c in cells if CHOSEN_FLAG in c.flags}
    # Identities that hold as read, every term of them definite (an unreadable cell counts as 0
    # in the sum: a row whose every value the print lost "holds" as 0 = 0), none of their terms
    # chosen to make them hold.
    proving = [holds(i, by_key) and all(is_definite(by_key[(i.table, r, col)], min_confidence)
                                        and (i.table, r, col) not in chosen for r, col in i.lhs + i.rhs)
               for i in idents]
    out: dict[tuple, list[str]] = {}
    for cell in cells:
        mine = through.get(cell.key)
        if not mine or not all(proving[n] for n in mine):
            continue
        if not is_definite(cell, min_confidence) or (len(mine) < 2 and not agreed(cell)):
            continue
        out[cell.key] = [f"identity:{_name(idents[n])}" for n in mine]
    return out


@functools.lru_cache(maxsize=512)
def _name(ident: T.Identity) -> str:
    rule = ident.rule.split(": ", 1)[-1]
    return f"{ident.table} {rule}" + (f" [{ident.column}]" if ident.column and "row " not in rule else "")


def second_value(text: str) -> tuple[str, Optional[float | int]]:
    """What the second recognizer's text means as a cell value: (kind, value)."""
    t = text.strip()
    if t in _SECOND_BLANKS or (t and set(t) <= {"一", "-", "—", "_"}):
        return ("blank", None)
    parsed = parse_value(t)
    return (parsed.kind, parsed.value)


# A blank mark the first reader told by its shape ("/" leaning 50-80°, "—" a flat bar: pixel
# geometry, checked on 26 fonts against every digit) is one stroke, which the second recognizer
# names "1", "7", "l", "|" or "_" at times: read so, it saw the same lone stroke, not a digit's shape.
SHAPE_MARKS = ("/", "—")
LONE_STROKES = set("17lI|/\\一-—_")


def same_stroke(cell: Cell, text: str) -> bool:
    """Whether the second recognizer's `text` names the lone stroke the first reader told by its
    shape as a blank mark (its confidence in naming a stroke says nothing of a digit)."""
    return cell.value is None and cell.text in SHAPE_MARKS and cell.confidence == SHAPE_CONFIDENCE \
        and len(text) == 1 and text in LONE_STROKES


def agrees(cell: Cell, kind: str, value, text: str = "") -> bool:
    if same_stroke(cell, text):
        return True
    if kind == "unreadable":
        return False
    if kind == "blank" or value is None:
        return cell.value is None and kind == "blank"
    return cell.value is not None and abs(float(cell.value) - float(value)) < 1e-9 \
        and isinstance(cell.value, float) == isinstance(value, float)


def assign_status(cells: list[Cell], min_confidence: float, narrative: dict[tuple, list[str]],
                  agreed_keys: set, same_keys: set | None = None) -> None:
    """Fill every cell's evidence and status from what is known now.

    `agreed_keys`: cells the second recognizer read alike with confidence (agreement on its own
    confirms); `same_keys` (default: the same): cells it read alike at any confidence — enough
    for rule 4 of the ACCEPTANCE RULE, where the identity already holds."""
    same = agreed_keys if same_keys is None else same_keys | agreed_keys
    ident = identity_evidence(cells, min_confidence, lambda c: c.key in same)
    for cell in cells:
        definite = is_definite(cell, min_confidence)
        evidence: list[str] = []
        if definite and cell.source == SOURCE_TEXT_LAYER and not cell.placed_by_spacing:
            evidence.append("text_layer")
        evidence += ident.get(cell.key, ())
        if definite:
            # Two readers agree on what a cell holds, not on where it stands: in a table drawn
            # with no rule, only the spacing put it there (unless its row's order did).
            if cell.key in agreed_keys and not cell.placed_by_spacing:
                evidence.append("agreement")
            evidence += narrative.get(cell.key, ())
        if any(f.startswith(ORDER_FLAG) for f in cell.flags):
            evidence = []
        cell.evidence = evidence
        cell.status = STATUS_CONFIRMED if evidence else STATUS_DOUBTFUL


def flag_positions(cells: list[Cell], problems: list[str]) -> None:
    """Matching problems that put a cell's position in doubt: the cells they name (a row, or a
    whole table when no row is named) can be confirmed by nothing but a person."""
    for problem in problems:
        table, _, what = problem.partition(": ")
        if table not in T.TABLES or "printed row not in the template" in what:
            continue    # a row the document adds takes no template cell's place
        m = re.match(r"row (\S+)", what)
        col = re.search(r"column (\S+?)(?::|\s|$)", what)
        for cell in cells:
            if cell.table != table or (m and cell.row != m.group(1)) or (col and cell.column != col.group(1)):
                continue
            flag = f"{POSITION_FLAG}: {what}"
            if flag not in cell.flags:
                cell.flags.append(flag)


def classify_checks(checks: list[Check], cells: list[Cell], incomplete: set = frozenset()) -> list[dict]:
    """A failed check is the document's own (`document`) when every term is confirmed, else
    ours (`reading`); returns the document issues. `incomplete`: the tables of which a template
    cell was not read (a row not found). Their sums run over the rows found only, and fail by
    what the lost row holds: never the document's."""
    by_key = {c.key: c for c in cells}
    issues = []
    idents = {(i.rule, i.column): i for i in identities_of(cells)}
    # Terms of an identity that holds with every term confirmed: a slip in one of them would
    # break that identity, so it explains another's failure only beside a second misreading
    # (the standard of the identity evidence itself). Taken before any term is put in doubt here.
    settling: dict[tuple, list[T.Identity]] = {}
    for i in idents.values():
        if holds(i, by_key) and all(by_key[(i.table, r, c)].status == STATUS_CONFIRMED for r, c in i.lhs + i.rhs):
            for r, c in i.lhs + i.rhs:
                settling.setdefault((i.table, r, c), []).append(i)
    for check in checks:
        if check.ok:
            continue
        ident = idents.get((check.rule, check.column))
        if ident is None:       # a narrative check: its cause is set where it is made
            if check.cause == "document":
                issues.append({"rule": check.rule, "column": check.column, "detail": check.detail})
            continue
        terms = [by_key.get((ident.table, r, c)) for r, c in ident.lhs + ident.rhs] if ident else []
        # A settled term is no suspect, unless its slip, made again alike in another term of
        # each identity that settles it, would leave those holding too.
        suspects = [cell for cell, printed in one_slip_suspects(ident, by_key)
                    if any(all(slip_repeated(i, by_key, cell, value) for i in settling.get(cell.key, ()))
                           for value in printed)]
        for cell in suspects:       # agreement or not, a person looks at these
            cell.status = STATUS_DOUBTFUL
            if SLIP_FLAG not in cell.flags:
                cell.flags.append(SLIP_FLAG)
        confirmed = bool(terms) and all(t is not None and t.status == STATUS_CONFIRMED for t in terms) \
            and ident.table not in incomplete
        check.cause = "document" if confirmed else "reading"
        if confirmed:
            issues.append({"rule": check.rule, "column": check.column, "detail": check.detail})
    return issues


def misreadings(value) -> set:
    """What a recognizer can make of a printed number: one digit changed, dropped or doubled, a
    blank read for a lone digit (the misreadings tests/test_evidence.py injects)."""
    text = _digits_of(value)
    out: set = set()
    for i, ch in enumerate(text):
        if not ch.isdigit():
            continue
        for t in [text[:i] + d + text[i + 1:] for d in "0123456789"] + [text[:i] + text[i + 1:],
                                                                       text[:i] + ch + text[i:]]:
            try:
                out.add(float(t) if "." in t else int(t or "0"))
            except ValueError:
                pass
    out.discard(value or 0)
    return out


def printed_before_a_slip(value) -> set:
    """What a reading of `value` may have been printed as, one slip away: a digit changed, one
    more (a digit doubled) or one fewer read, or a digit cut off at either end, where a crop
    cut the "1" off 132 and both readers read 32."""
    text = _digits_of(value)
    out = misreadings(value)
    for d in "0123456789":
        for t in (d + text, text + d):
            if t[0] == "0" and t[1:2].isdigit():
                continue        # no number is printed with a leading zero
            try:
                out.add(float(t) if "." in t else int(t))
            except ValueError:
                pass
    out.discard(value or 0)
    return out


def one_slip_suspects(ident: T.Identity, by_key: dict) -> list[tuple[Cell, list]]:
    """The terms read from pixels that, read otherwise by one plausible slip, would make the
    failed identity hold, each with the values it may then have been printed as. Two readers can
    make the same slip where the print itself is damaged (a 1-bit scan that lost the stroke of a
    4 shows a 1 to a person too), so such a failure is not called the document's own: a person
    looks. A term from a born-digital layer is as printed."""
    terms = [(side, by_key[(ident.table, r, c)]) for side, keys in ((1, ident.lhs), (-1, ident.rhs))
             for r, c in keys]
    gap = sum(side * (cell.value or 0) for side, cell in terms)      # lhs − rhs as read
    out = []
    for side, cell in terms:
        if cell.source == SOURCE_TEXT_LAYER:
            continue
        mending = [other for other in printed_before_a_slip(cell.value)
                   if abs(gap + side * (other - (cell.value or 0))) < 1e-6]
        if mending:
            out.append((cell, mending))
    return out


def slip_repeated(ident: T.Identity, by_key: dict, cell: Cell, printed) -> bool:
    """Whether `cell`, printed as `printed` and read as a digit that lost strokes of the printed
    one, would leave `ident` holding if another of its terms were misread alike (the same digit
    read as the same other digit), both read from a 1-bit scan: its threshold takes the same
    strokes from every glyph alike (every 4 that lost its diagonal is a 1 to both readers), and
    two such slips on the two sides of an identity cancel. Elsewhere a second misreading, alike
    or not, is the chance the identity evidence itself accepts."""
    if not cell.bilevel:
        return False
    read, meant = _digits_of(cell.value), _digits_of(printed)
    changed = [(a, b) for a, b in zip(read, meant) if a != b]
    if len(read) != len(meant) or len(changed) != 1 or not _strokes_of(*changed[0]):
        return False
    digit_read, digit_printed = changed[0]
    for r, c in ident.lhs + ident.rhs:
        other = by_key[(ident.table, r, c)]
        if other is cell or not other.bilevel:
            continue
        text = _digits_of(other.value)
        for k, ch in enumerate(text):
            if ch == digit_read:
                alike = text[:k] + digit_printed + text[k + 1:]
                values = {cell.key: printed, other.key: float(alike) if "." in alike else int(alike)}
                if holds(ident, by_key, values):
                    return True
    return False


# A digit's strokes, as a seven-segment display draws it: the shape a threshold that takes
# strokes, and never adds any, can leave of one digit and read as another (4 -> 1, 8 -> 3).
_SEGMENTS = {"0": "abcdef", "1": "bc", "2": "abdeg", "3": "abcdg", "4": "bcfg", "5": "acdfg",
             "6": "acdefg", "7": "abc", "8": "abcdefg", "9": "abcdfg"}


def _strokes_of(read: str, printed: str) -> bool:
    """Whether the digit `read` is what is left of the digit `printed` with strokes lost."""
    return read in _SEGMENTS and printed in _SEGMENTS and set(_SEGMENTS[read]) < set(_SEGMENTS[printed])


def _digits_of(value) -> str:
    return "0" if value is None else str(value)      # 3802895.9, never 3.8029e+06


def review_cells(cells: list[Cell], version: Optional[str], split_six: bool,
                 tables_found: set) -> list[list[str]]:
    """Every doubtful cell, and every template cell the document should print and that was not
    read (unread_cells)."""
    return [list(c.key) for c in cells if c.status != STATUS_CONFIRMED] + \
        unread_cells(cells, version, split_six, tables_found)


def unread_cells(cells: list[Cell], version: Optional[str], split_six: bool,
                 tables_found: set) -> list[list[str]]:
    """Every template cell the document should print and that was not read (a table or a row not
    found), in template order; with the template version unknown, every cell of either version
    that was not read, and with row （六） not read, the cells of both its forms."""
    out: list[list[str]] = []
    have = {c.key for c in cells}
    expected = set(T.cell_keys(version, split_six)) if version is not None else set()
    if version is not None:
        # Row （六） printed whole or in three: where no row of either form was read, the form
        # is a guess, and the cells of both are lost.
        six = set(T.cell_keys(version, True)) ^ set(T.cell_keys(version, False))
        # So is it where a table drawn without rules gave the row only blanks: its label's line
        # alone may have made a row of its own (（六）其他处理 above its three rows).
        spaced_blank = [c for c in cells if c.key in six and c.placed_by_spacing]
        if not six & have or (spaced_blank and all(c.value is None for c in spaced_blank)):
            expected |= six
    # A table not found: every cell it may print, in whichever version and form of row （六）;
    # a table found: every cell of its template that was not read (a row lost).
    for key in T.all_cell_keys() if version is None else \
            list(dict.fromkeys(T.cell_keys(version, True) + T.cell_keys(version, False))):
        lost = key[0] not in tables_found or version is None or key in expected
        if lost and key not in have:
            out.append(list(key))
    return out
