"""Normalising printed labels and comparing them with the template's, typos and variants allowed."""
from __future__ import annotations

import re
import threading
from difflib import SequenceMatcher
from functools import lru_cache

_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）", ",": "，", ":": "：", ";": "；"})
_DROP = re.compile(r"[\s\"'“”‘’「」『』]+")
_NUMBERING = re.compile(r"(?<![0-9])([0-9]{1,2})\s*[、．.,，]")


@lru_cache(maxsize=1 << 14)
def norm(text: str) -> str:
    """One spelling for the ways reports print the same label."""
    t = (text or "").translate(_HALF_TO_FULL)
    t = _DROP.sub("", t)
    t = _NUMBERING.sub(r"\1.", t)
    return t


@lru_cache(maxsize=1 << 16)
def similarity(a: str, b: str) -> float:
    """0..1, on normalised text."""
    matcher = _compared(a, b)
    return matcher.ratio() if matcher else 0.0


@lru_cache(maxsize=1 << 16)
def similarity_bound(a: str, b: str) -> float:
    """An upper bound of similarity(a, b), far cheaper (difflib's quick ratio: the characters
    the two share, in any order)."""
    matcher = _compared(a, b)
    return matcher.quick_ratio() if matcher else 0.0


def _compared(a: str, b: str):
    """The matcher of b set to compare a with it (normalised), or None when either is empty."""
    a, b = norm(a), norm(b)
    if not a or not b:
        return None
    matcher = _matcher(b)
    matcher.set_seq1(a)
    return matcher


_matchers = threading.local()


def _matcher(b: str) -> SequenceMatcher:
    """A matcher against b, kept per thread: what it learns of b (an index of its characters)
    serves every comparison with b, and labels are compared with the same template labels
    again and again."""
    cache = getattr(_matchers, "by_text", None)
    if cache is None:
        cache = _matchers.by_text = {}
    matcher = cache.get(b)
    if matcher is None:
        if len(cache) > 4096:
            cache.clear()
        matcher = cache[b] = SequenceMatcher(None, "", b, autojunk=False)
    return matcher


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text or "")


def best_match(text: str, candidates: list[str]) -> tuple[int, float]:
    """Index of the candidate most like `text` and its similarity (-1, 0.0 when none)."""
    best, best_score = -1, 0.0
    a = norm(text)
    if not a:
        return best, best_score
    for i, c in enumerate(candidates):
        b = norm(c)
        if not b:
            continue
        matcher = _matcher(b)
        matcher.set_seq1(a)
        # Both quick ratios bound the ratio from above: a candidate that cannot beat the best
        # so far is not compared in full (a label is compared with every template label).
        if matcher.real_quick_ratio() <= best_score or matcher.quick_ratio() <= best_score:
            continue
        s = matcher.ratio()
        if s > best_score:
            best, best_score = i, s
    return best, best_score
