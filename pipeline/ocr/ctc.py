"""CTC decoding with alternatives: the best reading of a recognizer's per-timestep class
probabilities, and the readings it found nearly as plausible ("8" vs "3", "0" vs "6"), which an
accounting identity later chooses among. Shared by the engines that run PP-OCR recognition.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from pipeline.ocr import Reading

BLANK = 0   # CTC blank is class 0; classes 1..6623 are the dictionary, 6624 is the space
NUMBER_PUNCTUATION = set(".,，。·-－—+%")
# A digit the recognizer believes less than this fraction of the one it read is no reading of the
# print, whatever an identity would make of it: a digit of another shape scores 1e-4 and below.
DIGIT_READING_MIN_RATIO = 1e-3


@dataclass
class CharOption:
    """One way to read a position: a character ("" = nothing there) and its probability."""
    text: str
    probability: float


@dataclass
class Position:
    """A character of the best CTC path, or a gap between two where a character nearly was."""
    options: list[CharOption]   # options[0] is what the best path has, then runners-up, best first
    is_gap: bool = False        # a gap's options[0] is "" (CTC blank)
    digits: list[CharOption] = field(default_factory=list)   # the two likeliest digits there, best first


def decode_ctc(probabilities: np.ndarray, characters: list[str], min_ratio: float,
               max_alternatives: int, digits_at: np.ndarray | None = None) -> Reading:
    """Best (greedy) reading of a (timesteps x classes) CTC output, and its close runners-up.

    confidence: the mean over the characters of each one's peak probability over the timesteps it
    spans (PaddleOCR's score takes the first timestep of the span instead, which varies with where
    the span happens to begin). An alternative's confidence is the best reading's confidence times,
    for each position it changes, p(runner-up) / p(best) there: the likelihood of that reading
    relative to the best, so it is never above the best reading's and falls with every change.
    """
    positions = ctc_positions(probabilities, characters, min_ratio, digits_at)
    characters_read = [p.options[0] for p in positions if not p.is_gap]
    text = "".join(option.text for option in characters_read)
    confidence = float(np.mean([o.probability for o in characters_read])) if text else 0.0
    alternatives = alternative_readings(positions, text, confidence, max_alternatives)
    return Reading(text, confidence, alternatives, digit_readings=digit_readings(positions, confidence))


def ctc_positions(probabilities: np.ndarray, characters: list[str], min_ratio: float,
                  digits_at: np.ndarray | None = None) -> list[Position]:
    """The best path as character positions, with the gaps where a character nearly was.

    A character position's options, at the timestep where its character peaks: that character,
    then up to three other classes (blank = "": the character is not there) whose probability
    reaches min_ratio x the character's. A blank span becomes a gap position when some character's peak there
    reaches min_ratio x the blank's probability at the same timestep: a character the best path
    dropped.
    """
    best = probabilities.argmax(axis=1)
    positions: list[Position] = []
    start = 0
    while start < len(best):
        end = start + 1
        while end < len(best) and best[end] == best[start]:
            end += 1
        span = probabilities[start:end]
        if best[start] != BLANK:
            positions.append(_position(span, int(best[start]), characters, min_ratio, digits_at))
        else:
            gap = _gap(span, characters, min_ratio)
            if gap is not None:
                positions.append(gap)
        start = end
    return positions


def _position(span: np.ndarray, label: int, characters: list[str], min_ratio: float,
              digits_at: np.ndarray | None) -> Position:
    # Compare classes at the timestep where the character is clearest: elsewhere in its span the
    # blank rises at the edges, which says nothing about whether the character is there.
    at_peak = span[int(span[:, label].argmax())]
    options = [CharOption(characters[label], float(at_peak[label]))]
    likeliest = digits_at[np.argsort(-at_peak[digits_at], kind="stable")[:2]] if digits_at is not None else []
    digits = [CharOption(characters[k], float(at_peak[k])) for k in likeliest]
    # The five likeliest classes, best first (a partition, not a sort of all ~6600 classes).
    top = np.argpartition(-at_peak, 5)[:5] if len(at_peak) > 5 else np.arange(len(at_peak))
    for other in top[np.argsort(-at_peak[top], kind="stable")]:
        if len(options) == 4 or at_peak[other] < min_ratio * at_peak[label]:
            break
        if other != label:
            options.append(CharOption("" if other == BLANK else characters[other], float(at_peak[other])))
    return Position(options, digits=digits)


def digit_classes(characters: list[str]) -> np.ndarray:
    """The classes of the digits 0-9 in a recognizer's character list."""
    return np.array([characters.index(d) for d in "0123456789"])


def _gap(span: np.ndarray, characters: list[str], min_ratio: float) -> Position | None:
    non_blank = span[:, 1:]
    timestep, label = np.unravel_index(int(non_blank.argmax()), non_blank.shape)
    blank = float(span[timestep, BLANK])
    probability = float(non_blank[timestep, label])
    if probability < min_ratio * blank:
        return None
    return Position([CharOption("", blank), CharOption(characters[label + 1], probability)], is_gap=True)


def alternative_readings(positions: list[Position], best_text: str, best_confidence: float,
                         limit: int, max_changes: int = 2) -> list[tuple[str, float]]:
    """Readings that differ from the best at one or two uncertain positions, most likely first."""
    uncertain = [i for i, p in enumerate(positions) if len(p.options) > 1]
    scored: dict[str, float] = {}
    for n_changes in range(1, max_changes + 1):
        for where in itertools.combinations(uncertain, n_changes):
            for picks in itertools.product(*(range(1, len(positions[i].options)) for i in where)):
                texts = [p.options[0].text for p in positions]
                ratio = 1.0
                for i, pick in zip(where, picks):
                    texts[i] = positions[i].options[pick].text
                    ratio *= positions[i].options[pick].probability / max(positions[i].options[0].probability, 1e-9)
                text = "".join(texts)
                confidence = best_confidence * ratio
                if text and text != best_text and confidence > scored.get(text, 0.0):
                    scored[text] = confidence
    ranked = sorted(scored.items(), key=lambda item: -item[1])
    return [(text, round(confidence, 6)) for text, confidence in ranked[:limit]]


def digit_readings(positions: list[Position], best_confidence: float, max_changes: int = 2
                   ) -> list[tuple[str, float]]:
    """The reading as digits only (each character the likeliest digit where it stands, "!" as
    "1"), and the readings that take the next likeliest digit at one or two characters, most
    likely first, down to DIGIT_READING_MIN_RATIO of the reading's likelihood. Where the print
    was cut (a 1-bit scan's hairlines), what is left of a 4 is read "1" by any reader, yet "4" is
    the recognizer's next digit there, at 0.3-20% of the "1": only the identities can tell, and
    these are the readings they may choose among."""
    characters = [p for p in positions if not p.is_gap]
    if not characters or any(len(p.digits) < 2 for p in characters):
        return []
    # A number's punctuation stays as read; every other character is a digit, however read.
    digits = [i for i, p in enumerate(characters) if p.options[0].text not in NUMBER_PUNCTUATION]
    best = [p.options[0].text if i not in digits else p.digits[0].text for i, p in enumerate(characters)]
    scored: dict[str, float] = {"".join(best): best_confidence}
    for n_changes in range(1, max_changes + 1):
        for where in itertools.combinations(digits, n_changes):
            texts, ratio = list(best), 1.0
            for i in where:
                first, second = characters[i].digits[:2]
                texts[i] = second.text
                ratio *= second.probability / max(first.probability, 1e-9)
            text = "".join(texts)
            if ratio >= DIGIT_READING_MIN_RATIO:
                scored[text] = max(scored.get(text, 0.0), best_confidence * ratio)
    ranked = sorted(scored.items(), key=lambda item: -item[1])
    return [(text, round(confidence, 9)) for text, confidence in ranked]
