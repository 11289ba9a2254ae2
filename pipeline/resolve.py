"""Choosing among the recognizer's own readings where an identity shows one of ours is wrong.

When sums fail, the uncertain cells in them may be read otherwise: each has the recognizer's
runner-up readings (`Cell.candidates`). A *change* takes one such reading in one cell, in two
cells that share an identity (a 34 read "31" in a row's count and in its total leaves the row
holding; only the pair mends its columns), or in a chain of up to CHAIN_CELLS cells linked by
the identities they share, where every identity through the changed cells holds after it and
one of them failed before, or the cell was read as no value at all (its reading with which
every identity through it holds is its value, a failure mended too). Changes that can stand
together explain the failures they mend; the explanation that mends the most failures is taken
where it is the only one that does, or where the recognizer supports its readings DOMINANT
times more than the next one's. Otherwise only what every such explanation holds is taken: two
explanations of one failure (the cell at a failing row's and column's crossing read otherwise, or
the two cells that lost what it would gain) never decide it by chance.

A value never comes from arithmetic alone (only readings the recognizer produced are tried), and
a cell so chosen stays flagged for review.
"""
from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass
from typing import Optional

from . import template as T
from .types import NO_BELIEF, Cell

log = logging.getLogger(__name__)

CHOSEN_FLAG = "value chosen among the recognizer's readings by the identities"
MAX_ROUNDS = 4              # a change can make another possible (the identity it mended now holds)
MAX_CHANGES_WEIGHED = 16    # more possible changes than this in one knot of identities: none taken
CHAIN_CELLS = 4             # the most cells one change takes
CHAIN_SUSPECTS = 16         # more cells in doubt than this in failing identities: no chained change
CHAIN_READINGS = 3          # of each cell's readings, the likeliest this many are tried in a chain
CHAIN_WEIGHED = 20000       # more combinations than this in a document's tables: none is taken
# Of explanations that mend as many failures, one whose readings the recognizer supports this many
# times more than the next one's (a second reader's clear "5" against a digit ranked next where
# nearly nothing else was possible) is taken whole.
DOMINANT = 100.0


@dataclass(frozen=True)
class Change:
    """One way to mend failing identities: readings taken in one cell or in several."""
    values: tuple[tuple[tuple, float | int], ...]   # (cell key, value taken), one to CHAIN_CELLS
    mended: frozenset                                 # the failing identities it makes hold, and
                                                      # ("unread", key) for a cell read as no value
    touched: frozenset                                # every identity through its cells
    support: float                                    # the recognizer's support for its readings


def choose_by_identities(cells: list[Cell], min_confidence: float, chains: bool = True) -> list[Cell]:
    """Take the changes that the one best explanation of the failing identities holds (see the
    module's docstring), round by round; returns the cells changed. chains: changes of more
    than two cells are weighed too."""
    by_key = {(c.table, c.row, c.column): c for c in cells}
    app_rows = list(dict.fromkeys(c.row for c in cells if c.table == T.TABLE_APPLICATIONS))
    identities = [i for i in T.identities(app_rows)
                  if all((i.table, r, col) in by_key for r, col in i.lhs + i.rhs)]
    through: dict[tuple, list[T.Identity]] = {}
    for ident in identities:
        for r, col in ident.lhs + ident.rhs:
            through.setdefault((ident.table, r, col), []).append(ident)

    changed: list[Cell] = []
    for _ in range(MAX_ROUNDS):
        taken = _best_explanation(by_key, _possible_changes(by_key, identities, through, min_confidence, chains))
        if not taken:
            break
        for key, value in taken:
            cell = by_key[key]
            log.info("%s %s %s: %s -> %s, chosen by the identities", cell.table, cell.row, cell.column,
                     cell.value, value)
            cell.candidates = [(v, s) for v, s in cell.candidates if v != value] + [(cell.value, cell.confidence)]
            cell.value = value
            if CHOSEN_FLAG not in cell.flags:
                cell.flags.append(CHOSEN_FLAG)
            changed.append(cell)
    return changed


def holds(ident: T.Identity, by_key: dict, values: Optional[dict] = None) -> bool:
    """Whether the identity holds as read, or with these `values` (by cell key) read instead."""
    def total(side):
        return sum((values[(ident.table, r, c)] if values and (ident.table, r, c) in values
                    else by_key[(ident.table, r, c)].value) or 0 for r, c in side)
    return abs(total(ident.lhs) - total(ident.rhs)) < 1e-6


def _possible_changes(by_key: dict, identities: list, through: dict, min_confidence: float,
                      chains: bool = True) -> list[Change]:
    failing = {i for i in identities if not holds(i, by_key)}

    def read(key) -> bool:
        # A value, or a blank read with some belief: not nothing where the reader saw nothing it
        # could read (a cell a pen's stroke covers), which an identity would count as 0.
        cell = by_key[key]
        return cell.value is not None or ("unreadable" not in cell.flags and cell.confidence >= NO_BELIEF)

    # A cell read as no value at all ("(" of a broken 0) is in doubt as a failing sum is: of its
    # readings, the one with which every identity through it holds mends it, where every other
    # term of those identities was read (one read as nothing counts 0, as this one did).
    unread = {key for key in through if by_key[key].value is None and "unreadable" in by_key[key].flags
              and by_key[key].candidates
              and all(read((i.table, r, c)) for i in through[key] for r, c in i.lhs + i.rhs
                      if (i.table, r, c) != key)}
    if not failing and not unread:
        return []

    def uncertain(key) -> bool:
        cell = by_key[key]
        return bool(cell.candidates) and bool(cell.flags or cell.confidence < min_confidence)

    def mends(keys, mine: set) -> frozenset:
        return frozenset(mine & failing) | frozenset(("unread", key) for key in keys if key in unread)

    suspects = sorted({(i.table, r, c) for i in failing for r, c in i.lhs + i.rhs if uncertain((i.table, r, c))}
                      | unread)
    # Per suspect and reading, the identities through it that hold with that reading alone.
    holding = {key: {value: {i for i in through[key] if holds(i, by_key, {key: value})}
                     for value, _ in by_key[key].candidates if value != by_key[key].value}
               for key in suspects}
    support = {key: dict(by_key[key].candidates) for key in suspects}
    changes = []
    for key in suspects:
        mine = set(through[key])
        mended = mends([key], mine)
        for value, held in holding[key].items():
            if held == mine and mended:
                changes.append(Change(((key, value),), mended, frozenset(mine), support[key][value]))
    for a, b in itertools.combinations(suspects, 2):
        shared = set(through[a]) & set(through[b])
        if not shared:
            continue
        only_a, only_b = set(through[a]) - shared, set(through[b]) - shared
        for va, held_a in holding[a].items():
            if not only_a <= held_a:
                continue
            for vb, held_b in holding[b].items():
                if only_b <= held_b and all(holds(i, by_key, {a: va, b: vb}) for i in shared):
                    mine = set(through[a]) | set(through[b])
                    if mended := mends([a, b], mine):
                        changes.append(Change(((a, va), (b, vb)), mended, frozenset(mine),
                                              support[a][va] * support[b][vb]))
    if chains:
        changes += _chained_changes(by_key, suspects, holding, support, through, mends,
                                    {key for change in changes for key, _ in change.values})
    return changes


def _chained_changes(by_key: dict, suspects: list, holding: dict, support: dict, through: dict, mends,
                     settled: set) -> list[Change]:
    """Changes of three to CHAIN_CELLS cells linked by the identities they share, where each
    cell's reading holds its identities only with the others' (a row's count and its total
    both misread, the count's column failing until a third cell of it is read otherwise, the
    total column until a fourth). Every identity through the cells must hold with all of them
    taken; a cell that a change of one or two takes is left to it."""
    free = [key for key in suspects if key not in settled and holding[key]]
    if len(free) > CHAIN_SUSPECTS:
        return []           # a table read this badly has too many ways to be mended
    linked = {key: {other for other in free if other != key and set(through[key]) & set(through[other])}
              for key in free}
    groups: set[frozenset] = set()
    frontier = {frozenset([key]) for key in free}
    for _ in range(CHAIN_CELLS - 1):
        frontier = {group | {other} for group in frontier for key in group for other in linked[key]
                    if other not in group}
        groups |= {group for group in frontier if len(group) >= 3}
    options = {key: sorted(holding[key], key=lambda v: -support[key][v])[:CHAIN_READINGS] for key in free}
    if sum(math.prod(len(options[key]) for key in group) for group in groups) > CHAIN_WEIGHED:
        # Too many to weigh, and one left untried could explain the failures as well: none.
        log.debug("%d suspects in %d chains: too many changes to weigh", len(free), len(groups))
        return []
    changes = []
    for group in sorted(groups, key=lambda g: (len(g), sorted(g))):
        keys = sorted(group)
        mine = set().union(*(through[key] for key in keys))
        for values in itertools.product(*(options[key] for key in keys)):
            taken = dict(zip(keys, values))
            if all(holds(i, by_key, taken) for i in mine) and (mended := mends(keys, mine)):
                changes.append(Change(tuple(taken.items()), mended, frozenset(mine),
                                      math.prod(support[key][value] for key, value in taken.items())))
    return changes


def _compatible(by_key: dict, one: Change, other: Change) -> bool:
    """Two changes stand together: no cell in both, and every identity through either holds
    with both made."""
    cells = dict(one.values)
    if any(key in cells for key, _ in other.values):
        return False
    cells.update(other.values)
    return all(holds(i, by_key, cells) for i in one.touched | other.touched)


def _best_explanation(by_key: dict, changes: list[Change]) -> list[tuple]:
    """The (cell key, value) pairs to take: of the sets of compatible changes that mend the
    most failing identities, the one DOMINANT times better supported than any other, or what
    all of them hold. Changes that clash form knots, weighed apart; a knot of more than
    MAX_CHANGES_WEIGHED changes gives nothing."""
    n = len(changes)
    clash = {i: set() for i in range(n)}
    # Only changes through a common identity can clash (a cell's identities are all touched).
    sharing: dict = {}
    for i, change in enumerate(changes):
        for ident in change.touched:
            sharing.setdefault(ident, []).append(i)
    weighed: set[tuple[int, int]] = set()
    for group in sharing.values():
        for i, j in itertools.combinations(group, 2):
            if (i, j) not in weighed:
                weighed.add((i, j))
                if not _compatible(by_key, changes[i], changes[j]):
                    clash[i].add(j)
                    clash[j].add(i)
    taken: list[tuple] = []
    seen: set[int] = set()
    for start in range(n):
        if start in seen:
            continue
        knot, todo = [], [start]
        while todo:
            i = todo.pop()
            if i not in seen:
                seen.add(i)
                knot.append(i)
                todo.extend(clash[i] - seen)
        if len(knot) <= MAX_CHANGES_WEIGHED:
            taken += _best_in_knot(sorted(knot), changes, clash)
    return taken


def _best_in_knot(knot: list[int], changes: list[Change], clash: dict) -> list[tuple]:
    weight = {i: len(changes[i].mended) for i in knot}
    best: list = [0, []]                       # the most mended, the sets that mend as many

    def grow(at: int, chosen: list[int], mended: int) -> None:
        if mended + sum(weight[i] for i in knot[at:]) < best[0]:
            return
        if at == len(knot):
            if mended > best[0]:
                best[0], best[1] = mended, []
            best[1].append(list(chosen))
            return
        i = knot[at]
        if not clash[i] & set(chosen):
            grow(at + 1, chosen + [i], mended + weight[i])
        grow(at + 1, chosen, mended)

    grow(0, [], 0)
    if best[0] == 0:
        return []
    likelihood = [math.prod(changes[i].support for i in chosen) for chosen in best[1]]
    order = sorted(range(len(best[1])), key=lambda k: -likelihood[k])
    assignments = [{pair for i in best[1][k] for pair in changes[i].values} for k in order]
    if len(order) == 1 or likelihood[order[0]] >= DOMINANT * likelihood[order[1]]:
        return sorted(assignments[0])
    return sorted(set.intersection(*assignments))
