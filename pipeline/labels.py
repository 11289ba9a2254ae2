"""Normalising printed labels and comparing them with the template's, typos and variants allowed."""
from __future__ import annotations

import re
from difflib import SequenceMatcher

_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）", ",": "，", ":": "：", ";": "；"})
_DROP = re.compile(r"[\s\"'“”‘’「」『』]+")
_NUMBERING = re.compile(r"(?<![0-9])([0-9]{1,2})\s*[、．.,，]")


def norm(text: str) -> str:
    """One spelling for the ways reports print the same label."""
    t = (text or "").translate(_HALF_TO_FULL)
    t = _DROP.sub("", t)
    t = _NUMBERING.sub(r"\1.", t)
    return t


def similarity(a: str, b: str) -> float:
    """0..1, on normalised text."""
    a, b = norm(a), norm(b)
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text or "")


def best_match(text: str, candidates: list[str]) -> tuple[int, float]:
    """Index of the candidate most like `text` and its similarity (-1, 0.0 when none)."""
    best, best_score = -1, 0.0
    for i, c in enumerate(candidates):
        s = similarity(text, c)
        if s > best_score:
            best, best_score = i, s
    return best, best_score
