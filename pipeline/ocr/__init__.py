"""The OCR engine behind a narrow interface: recognize cell images, detect and read text lines.

Importing this package never imports paddle: runs that need no OCR (good text layers) must not pay
for it. `get_engine()` loads the models once per process, offline, from models/ (`make models`).

Images are numpy uint8 arrays, HxW grey or HxWx3 BGR (OpenCV's order; pypdfium2's to_numpy()
gives BGR too).
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from pipeline.config import DEFAULT, Config
from pipeline.ocr.crop import crop_to_ink, ink_bbox

__all__ = ["Reading", "DetectedLine", "OcrEngine", "ReadingMemo", "get_engine", "crop_to_ink", "ink_bbox"]


@dataclass
class Reading:
    """What the recognizer read in one image."""
    text: str
    # Mean over the characters of each character's probability; 0.0 for nothing read.
    confidence: float
    # Other readings the recognizer found plausible, best first, each with its confidence on the
    # same scale as `confidence`. Never invented: each differs from `text` only where the
    # recognizer's own runner-up at a character position came close.
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    # Each character's probability, where the recognizer tells them (the second recognizer).
    scores: list[float] = field(default_factory=list)
    # The reading as digits and with the next likeliest digit at one or two characters
    # (pipeline.ocr.ctc.digit_readings): for print whose strokes a threshold cut.
    digit_readings: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class DetectedLine:
    """A line of text found on an image, in reading order."""
    text: str
    confidence: float
    box: tuple[float, float, float, float]   # x0, y0, x1, y1 in pixels of the image given
    alternatives: list[tuple[str, float]] = field(default_factory=list)   # as in Reading


class OcrEngine(Protocol):
    def recognize(self, images: list[np.ndarray], tight: bool = False) -> list[Reading]:
        """One Reading per image, in order; each image holds one line of text (crop it first).
        tight: each image is cut to its ink with a small margin (a table cell's crop), which an
        engine may read at a narrower input."""
        ...

    def detect_lines(self, image: np.ndarray) -> list[DetectedLine]:
        """The text lines of a whole image (a page or a region), top to bottom, left to right."""
        ...

    def detect_boxes(self, image: np.ndarray) -> list[tuple[float, float, float, float]]:
        """Where detect_lines finds lines, (x0, y0, x1, y1) in pixels, in the same order, without
        reading them: for callers that read only some."""
        ...


class ReadingMemo:
    """An engine that recognises each distinct image once: an image with the same pixels as one
    read before (a table's figure read as a piece of a line to find the table, then as its cell's
    crop) is given the same reading. Keep one per page: it holds every reading it was asked for."""

    def __init__(self, engine: OcrEngine):
        self._engine = engine
        self._readings: dict[tuple, Reading] = {}

    def recognize(self, images: list[np.ndarray], tight: bool = False) -> list[Reading]:
        keys = [_image_key(image, tight) for image in images]
        todo = {key: image for key, image in zip(keys, images) if key not in self._readings}
        if todo:
            self._readings.update(zip(todo, self._engine.recognize(list(todo.values()), tight)))
        return [self._readings[key] for key in keys]

    def __len__(self) -> int:
        """How many distinct images it has read."""
        return len(self._readings)

    def detect_lines(self, image: np.ndarray) -> list[DetectedLine]:
        return self._engine.detect_lines(image)

    def detect_boxes(self, image: np.ndarray) -> list[tuple[float, float, float, float]]:
        return self._engine.detect_boxes(image)


def _image_key(image: np.ndarray, tight: bool) -> tuple:
    if image is None:
        return (None, tight)
    pixels = np.ascontiguousarray(image)
    return (pixels.shape, str(pixels.dtype), tight, hashlib.blake2b(pixels.tobytes(), digest_size=16).digest())


_engines: dict[tuple, OcrEngine] = {}
_engines_lock = threading.Lock()


def get_engine(config: Config | None = None) -> OcrEngine:
    """The process's OCR engine; the first call loads the models (a few seconds)."""
    config = config or DEFAULT
    key = (config.ocr_engine, str(config.models_dir), config.cpu_threads)
    with _engines_lock:
        if key not in _engines:
            # Imported here, not at the top: the runtimes are imported only by runs that use OCR.
            if config.ocr_engine == "paddle":
                from pipeline.ocr.paddle import PaddleEngine as Engine
            elif config.ocr_engine == "onnx":
                from pipeline.ocr.onnx_engine import OnnxEngine as Engine
            else:
                raise ValueError(f"unknown OCR engine {config.ocr_engine!r}: onnx or paddle")
            _engines[key] = Engine.load(config)
        return _engines[key]
