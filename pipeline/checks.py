"""The template's accounting identities over the extracted cells, and what a failure means."""
from __future__ import annotations

from . import template as T
from .types import Cell, Check


def format_value(v) -> str:
    """A value as the checks' details print it: ∅ for a blank, 96171.6 not 96171.60000001."""
    if v is None:
        return "∅"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def run_checks(cells: list[Cell], min_confidence: float) -> list[Check]:
    """Evaluate every identity whose cells the document prints.

    A blank ("/", "—", "无", empty) counts as 0: reports print blanks for none. A failure is the
    document's own ("document") when every term was read with confidence, else ours ("reading").
    """
    by_key = {(c.table, c.row, c.column): c for c in cells}
    app_rows = list(dict.fromkeys(c.row for c in cells if c.table == T.TABLE_APPLICATIONS))
    checks = []
    for ident in T.identities(app_rows):
        lhs = [by_key.get((ident.table, r, c)) for r, c in ident.lhs]
        rhs = [by_key.get((ident.table, r, c)) for r, c in ident.rhs]
        if any(x is None for x in lhs + rhs):
            continue    # the document does not print every term (a table or row is missing)
        lsum = sum((x.value or 0) for x in lhs)
        rsum = sum((x.value or 0) for x in rhs)
        ok = abs(lsum - rsum) < 1e-6
        detail = f"{'+'.join(format_value(x.value) for x in lhs)} = {'+'.join(format_value(x.value) for x in rhs)}"
        cause = "ok"
        if not ok:
            detail += f" ({format_value(lsum)} ≠ {format_value(rsum)})"
            uncertain = [x for x in lhs + rhs if x.flags or x.confidence < min_confidence]
            cause = "reading" if uncertain else "document"
        checks.append(Check(ident.rule, ident.column, ok, detail, cause))
    return checks
