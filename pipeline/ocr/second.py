"""The second recognizer: PP-OCRv6 small (ONNX Runtime), an independent reading of a cell.

Trust needs a second witness where the identities cannot give one (table 二, cells of failed
identities, a title): another model family, trained apart, run by another runtime, on a crop
prepared another way than the first reader's. Where both read the same value, the value is
confirmed; where they differ, the cell is doubtful and both readings go to the reviewer.

Recognition only (each image one line of text), same interface as OcrEngine.recognize. Loaded on
first use, once per process; onnxruntime is imported only then.
"""
from __future__ import annotations

import threading

import cv2
import numpy as np

from pipeline.config import DEFAULT, Config
from pipeline.ocr import Reading
from pipeline.ocr.models import second_model_path

HEIGHT = 48
# The width the model was trained to (PaddleOCR's RecResizeImg): narrower inputs or another
# padding read the same digits but with far less confidence ("0" at 0.5 instead of 0.95).
MIN_WIDTH = 320
BATCH = 16


class SecondRecognizer:
    def __init__(self, session, characters: list[str]):
        self.session = session
        # Class 0 is the CTC blank, then the model's own character list, then the space.
        self.characters = [""] + characters + [" "]
        self.input_name = session.get_inputs()[0].name

    @classmethod
    def load(cls, config: Config) -> "SecondRecognizer":
        from pipeline.ocr.onnx_engine import onnx_session

        session = onnx_session(second_model_path(config), config)
        characters = session.get_modelmeta().custom_metadata_map["character"].splitlines()
        return cls(session, characters)

    def recognize(self, images: list[np.ndarray]) -> list[Reading]:
        readings: list[Reading] = [Reading("", 0.0)] * len(images)
        # Similar widths in one batch; a cell's value is narrower than MIN_WIDTH, so its batch
        # is one size and padding is what the model would give it alone.
        order = sorted(range(len(images)), key=lambda i: images[i].shape[1] / max(1, images[i].shape[0]))
        for start in range(0, len(order), BATCH):
            chunk = order[start:start + BATCH]
            inputs = [_input(images[i]) for i in chunk]
            width = max(x.shape[-1] for x in inputs)
            batch = np.concatenate([np.pad(x, ((0, 0), (0, 0), (0, 0), (0, width - x.shape[-1])))
                                    for x in inputs])
            probabilities = self.session.run(None, {self.input_name: batch})[0]
            for i, probs in zip(chunk, probabilities):
                readings[i] = self._decode(probs)
        return readings

    def _decode(self, probs: np.ndarray) -> Reading:
        labels = probs.argmax(axis=1)
        best = probs.max(axis=1)
        text, scores, previous = [], [], -1
        for label, p in zip(labels, best):
            if label != previous and label != 0:
                text.append(self.characters[label] if label < len(self.characters) else "")
                scores.append(float(p))
            previous = label
        return Reading("".join(text), float(np.mean(scores)) if scores else 0.0, scores=scores)


def _input(image: np.ndarray) -> np.ndarray:
    """The model's input: 48 pixels high, the width in proportion (at least MIN_WIDTH, the rest
    zeros, as the model was trained), BGR scaled to [-1, 1], channels first."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    h, w = image.shape[:2]
    width = max(1, int(np.ceil(HEIGHT * w / max(1, h))))
    out = np.zeros((1, 3, HEIGHT, max(MIN_WIDTH, width)), dtype=np.float32)
    resized = cv2.resize(image, (width, HEIGHT)).astype(np.float32).transpose(2, 0, 1)
    out[0, :, :, :width] = resized / 127.5 - 1.0
    return out


_loaded: dict[tuple, SecondRecognizer] = {}
_lock = threading.Lock()


def get_second_recognizer(config: Config | None = None) -> SecondRecognizer:
    config = config or DEFAULT
    key = (str(config.models_dir), config.cpu_threads)
    with _lock:
        if key not in _loaded:
            _loaded[key] = SecondRecognizer.load(config)
        return _loaded[key]
