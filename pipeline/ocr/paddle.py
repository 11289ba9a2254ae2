"""PaddleOCR implementation of the OCR engine: PP-OCRv4 mobile det + rec, CPU, offline.

Loaded from models/ only (see pipeline.ocr.models); every optional sub-model of PaddleOCR
(document orientation, unwarping, text-line orientation) belongs to its pipeline classes, which
are not used here, so nothing is ever fetched from a model hub.

Recognition keeps the recognizer's per-timestep class probabilities (the CTC output) and decodes
them itself, so that besides the best reading it can give the readings the recognizer found
nearly as plausible ("8" vs "3", "0" vs "6"): an accounting identity later chooses among them.
"""
from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from pipeline.config import Config
from pipeline.ocr import DetectedLine, Reading
from pipeline.ocr.models import model_dirs, model_names

log = logging.getLogger(__name__)

BLANK = 0   # CTC blank is class 0; classes 1..6623 are the dictionary, 6624 is the space
# The recognizer's input: 48 pixels high, at least 320 wide (RecResizeImg in its inference.yml).
REC_HEIGHT = 48
REC_MIN_WIDTH = 320


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


class _KeepProbabilities:
    """Wraps the predictor's CTC decoder to keep the raw per-timestep probabilities it is given."""

    def __init__(self, decode):
        self.decode = decode
        self.batches: list[np.ndarray] = []

    def __call__(self, pred, **kwargs):
        self.batches.append(np.asarray(pred[0]))
        return self.decode(pred, **kwargs)


def _prepare_environment(config: Config) -> None:
    # PaddleX writes under ~/.paddlex unless told otherwise (the Makefile sets this too).
    os.environ.setdefault("PADDLE_PDX_CACHE_HOME", str(Path(config.models_dir).parent / ".cache" / "paddlex"))
    # Skips PaddleX's probe of model hosts at import; models come from models/ only.
    os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
    # Library noise filtered where it starts, so that stderr carries only our own lines: paddle's
    # C++ logging below errors, and the "No ccache found" warning paddle raises at import (it
    # concerns compiling custom operators, which reading never does).
    os.environ.setdefault("GLOG_minloglevel", "2")
    warnings.filterwarnings("ignore", message=r"No ccache found", category=UserWarning)


def _engine_config(cpu_threads: int) -> dict:
    # oneDNN on the new IR crashes the PP-OCRv4 detector (PaddleOCR #17869); oneDNN on the old IR
    # works and is ~5x faster than plain CPU. With engine_config given, PaddleOCR ignores its own
    # cpu_threads argument, so the thread count goes here.
    return {"paddle_static": {"run_mode": "mkldnn", "enable_new_ir": False,
                              "cpu_threads": max(1, int(cpu_threads))}}


class PaddleEngine:
    """OcrEngine on PaddleOCR 3.x TextRecognition + TextDetection."""

    def __init__(self, recognizer, detector, characters: list[str], config: Config):
        self._recognizer = recognizer
        self._detector = detector
        self._characters = characters
        self._config = config
        predictor = recognizer.paddlex_predictor
        self._probabilities = _KeepProbabilities(predictor.post_op)
        predictor.post_op = self._probabilities
        # One inference at a time: the predictors and the kept probabilities are not thread-safe.
        self._lock = threading.Lock()

    @classmethod
    def load(cls, config: Config) -> "PaddleEngine":
        dirs = model_dirs(config)
        names = model_names()
        _prepare_environment(config)
        started = time.perf_counter()
        from paddleocr import TextDetection, TextRecognition

        engine_config = _engine_config(config.cpu_threads)
        recognizer = TextRecognition(model_name=names["rec"], model_dir=str(dirs["rec"]),
                                     device="cpu", engine_config=engine_config)
        detector = TextDetection(model_name=names["det"], model_dir=str(dirs["det"]),
                                 device="cpu", engine_config=engine_config,
                                 limit_side_len=config.ocr_det_limit_side_len, limit_type="max")
        decoder = recognizer.paddlex_predictor.post_op
        # The decoder's classes: blank, the 6623 dictionary characters, the space.
        characters = list(decoder.character)
        log.info("OCR models loaded in %.1f s (%d threads)", time.perf_counter() - started,
                 config.cpu_threads)
        return cls(recognizer, detector, characters, config)

    # -- recognition ---------------------------------------------------------------------------

    def recognize(self, images: list[np.ndarray]) -> list[Reading]:
        readings: list[Reading | None] = [None] * len(images)
        todo = []
        for index, image in enumerate(images):
            if image is None or image.size == 0 or min(image.shape[:2]) < 2:
                readings[index] = Reading("", 0.0, [])
            else:
                todo.append(index)
        # Batches of similar aspect ratio: each image in a batch is padded to the widest one.
        todo.sort(key=lambda i: images[i].shape[1] / images[i].shape[0])
        batch_size = max(1, self._config.ocr_batch_size)
        for start in range(0, len(todo), batch_size):
            chunk = todo[start:start + batch_size]
            for index, probabilities in zip(chunk, self._run_recognizer([images[i] for i in chunk])):
                readings[index] = self.decode(probabilities)
        return readings

    def _run_recognizer(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """Per image, the recognizer's (timesteps x classes) probabilities."""
        bgr = [_pad_to_width_step(_as_bgr(image)) for image in images]
        with self._lock:
            self._probabilities.batches.clear()
            results = list(self._recognizer.predict_iter(bgr, batch_size=len(bgr)))
            batches = list(self._probabilities.batches)
        per_image = [row for batch in batches for row in batch]
        if len(per_image) != len(results):
            raise RuntimeError(f"recognizer gave {len(per_image)} probability rows for {len(results)} images")
        return per_image

    def decode(self, probabilities: np.ndarray) -> Reading:
        return decode_ctc(probabilities, self._characters, self._config.ocr_alt_min_ratio,
                          self._config.ocr_max_alternatives)

    # -- detection -----------------------------------------------------------------------------

    def detect_lines(self, image: np.ndarray) -> list[DetectedLine]:
        bgr = _as_bgr(image)
        with self._lock:
            result = next(iter(self._detector.predict_iter(bgr)))
        quads = [np.asarray(q, dtype=np.float32) for q in result["dt_polys"]]
        quads = [q for q in quads if q.shape == (4, 2)]
        crops = [_crop_quad(bgr, q) for q in quads]
        readings = self.recognize(crops)
        lines = []
        for quad, reading in zip(quads, readings):
            if reading.text.strip():
                x0, y0 = quad.min(axis=0)
                x1, y1 = quad.max(axis=0)
                lines.append(DetectedLine(reading.text, reading.confidence,
                                          (float(x0), float(y0), float(x1), float(y1)),
                                          list(reading.alternatives)))
        return reading_order(lines)


def _as_bgr(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(image)


def _pad_to_width_step(image: np.ndarray) -> np.ndarray:
    """A line longer than the recognizer's minimum input, scaled to its input height and padded
    with white to the next multiple of that minimum width.

    oneDNN builds its kernels for each input shape it meets and keeps only a few: text lines of
    all lengths each cost a rebuild (a page of prose took 15 s to recognize instead of about 3).
    With widths in steps, the shapes repeat. Images within the minimum width (table cells) are
    left alone: the recognizer pads those to its minimum width itself.
    """
    height, width = image.shape[:2]
    scaled_width = int(np.ceil(REC_HEIGHT * width / height))
    if scaled_width <= REC_MIN_WIDTH:
        return image
    scaled = cv2.resize(image, (scaled_width, REC_HEIGHT))
    padded_width = -(-scaled_width // REC_MIN_WIDTH) * REC_MIN_WIDTH
    return cv2.copyMakeBorder(scaled, 0, 0, 0, padded_width - scaled_width, cv2.BORDER_CONSTANT,
                              value=(255, 255, 255))


def _crop_quad(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The detected quadrilateral straightened into an upright rectangle (as PaddleOCR does)."""
    width = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    height = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    width, height = max(width, 1), max(height, 1)
    target = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    transform = cv2.getPerspectiveTransform(quad, target)
    crop = cv2.warpPerspective(image, transform, (width, height), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)
    if height >= 1.5 * width:
        crop = np.rot90(crop)   # a vertical line: the recognizer reads horizontal text only
    return np.ascontiguousarray(crop)


def reading_order(lines: list[DetectedLine]) -> list[DetectedLine]:
    """Top to bottom; lines that overlap vertically by more than half form a row, left to right."""
    rows: list[list[DetectedLine]] = []
    for line in sorted(lines, key=lambda l: (l.box[1] + l.box[3]) / 2):
        if rows and _same_row(rows[-1][-1], line):
            rows[-1].append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda l: l.box[0])]


def _same_row(a: DetectedLine, b: DetectedLine) -> bool:
    overlap = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
    return overlap > 0.5 * min(a.box[3] - a.box[1], b.box[3] - b.box[1])


# -- CTC decoding with alternatives ----------------------------------------------------------------

def decode_ctc(probabilities: np.ndarray, characters: list[str], min_ratio: float,
               max_alternatives: int) -> Reading:
    """Best (greedy) reading of a (timesteps x classes) CTC output, and its close runners-up.

    confidence: the mean over the characters of each one's peak probability over the timesteps it
    spans (PaddleOCR's score takes the first timestep of the span instead, which varies with where
    the span happens to begin). An alternative's confidence is the best reading's confidence times,
    for each position it changes, p(runner-up) / p(best) there: the likelihood of that reading
    relative to the best, so it is never above the best reading's and falls with every change.
    """
    positions = ctc_positions(probabilities, characters, min_ratio)
    characters_read = [p.options[0] for p in positions if not p.is_gap]
    text = "".join(option.text for option in characters_read)
    confidence = float(np.mean([o.probability for o in characters_read])) if text else 0.0
    alternatives = alternative_readings(positions, text, confidence, max_alternatives)
    return Reading(text, confidence, alternatives)


def ctc_positions(probabilities: np.ndarray, characters: list[str], min_ratio: float) -> list[Position]:
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
            positions.append(_position(span, int(best[start]), characters, min_ratio))
        else:
            gap = _gap(span, characters, min_ratio)
            if gap is not None:
                positions.append(gap)
        start = end
    return positions


def _position(span: np.ndarray, label: int, characters: list[str], min_ratio: float) -> Position:
    # Compare classes at the timestep where the character is clearest: elsewhere in its span the
    # blank rises at the edges, which says nothing about whether the character is there.
    at_peak = span[int(span[:, label].argmax())]
    options = [CharOption(characters[label], float(at_peak[label]))]
    for other in np.argsort(-at_peak)[:5]:
        if len(options) == 4 or at_peak[other] < min_ratio * at_peak[label]:
            break
        if other != label:
            options.append(CharOption("" if other == BLANK else characters[other], float(at_peak[other])))
    return Position(options)


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
