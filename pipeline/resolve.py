"""Choosing among the recognizer's own readings where an identity shows one of ours is wrong.

When a sum fails and one of its uncertain cells has a runner-up reading that makes every identity
through that cell hold, the runner-up is taken. A value never comes from arithmetic alone (only
readings the recognizer produced are tried), and a cell so chosen stays flagged for review.
"""
from __future__ import annotations

import logging

from . import template as T
from .types import Cell

log = logging.getLogger(__name__)

CHOSEN_FLAG = "value chosen among the recognizer's readings by the identities"
MAX_CHANGES = 8


def choose_by_identities(cells: list[Cell], min_confidence: float) -> list[Cell]:
    """Apply single-cell changes, best first, while each removes failing identities and breaks
    none; returns the cells changed."""
    by_key = {(c.table, c.row, c.column): c for c in cells}
    app_rows = list(dict.fromkeys(c.row for c in cells if c.table == T.TABLE_APPLICATIONS))
    identities = [i for i in T.identities(app_rows)
                  if all((i.table, r, col) in by_key for r, col in i.lhs + i.rhs)]
    through: dict[tuple, list[T.Identity]] = {}
    for ident in identities:
        for r, col in ident.lhs + ident.rhs:
            through.setdefault((ident.table, r, col), []).append(ident)

    def holds(ident: T.Identity) -> bool:
        total = lambda side: sum(by_key[(ident.table, r, c)].value or 0 for r, c in side)
        return abs(total(ident.lhs) - total(ident.rhs)) < 1e-6

    changed: list[Cell] = []
    for _ in range(MAX_CHANGES):
        failing = [i for i in identities if not holds(i)]
        if not failing:
            break
        suspects = {(i.table, r, c) for i in failing for r, c in i.lhs + i.rhs}
        best = None
        for key in suspects:
            cell = by_key[key]
            if not cell.candidates or (not cell.flags and cell.confidence >= min_confidence):
                continue
            mine = through[key]
            before = sum(not holds(i) for i in mine)
            current = cell.value
            for value, support in cell.candidates:
                cell.value = value
                after = sum(not holds(i) for i in mine)
                cell.value = current
                if after == 0 and before > 0:
                    score = (before, support)
                    if best is None or score > best[0]:
                        best = (score, cell, value)
        if best is None:
            break
        _, cell, value = best
        log.info("%s %s %s: %s -> %s, chosen by the identities", cell.table, cell.row, cell.column,
                 cell.value, value)
        cell.candidates = [(v, s) for v, s in cell.candidates if v != value] + [(cell.value, cell.confidence)]
        cell.value = value
        if CHOSEN_FLAG not in cell.flags:
            cell.flags.append(CHOSEN_FLAG)
        changed.append(cell)
    return changed
