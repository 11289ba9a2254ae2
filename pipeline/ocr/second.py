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
# Narrow inputs pad less: 64 read the same as 320 on a harsh scan's 186 value cells, ~4x faster.
MIN_WIDTH = 64
BATCH = 32


class SecondRecognizer:
    def __init__(self, session, characters: list[str]):
        self.session = session
        # Class 0 is the CTC blank, then the model's own character list, then the space.
        self.characters = [""] + characters + [" "]
        self.input_name = session.get_inputs()[0].name

    @classmethod
    def load(cls, config: Config) -> "SecondRecognizer":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, int(config.cpu_threads))
        options.inter_op_num_threads = 1
        options.log_severity_level = 3          # errors only: stderr carries our own lines
        session = ort.InferenceSession(str(second_model_path(config)), options,
                                       providers=["CPUExecutionProvider"])
        characters = session.get_modelmeta().custom_metadata_map["character"].splitlines()
        return cls(session, characters)

    def recognize(self, images: list[np.ndarray]) -> list[Reading]:
        readings: list[Reading] = [Reading("", 0.0)] * len(images)
        # Similar widths in one batch: less padding to compute.
        order = sorted(range(len(images)), key=lambda i: images[i].shape[1] / max(1, images[i].shape[0]))
        for start in range(0, len(order), BATCH):
            chunk = order[start:start + BATCH]
            batch = _batch([images[i] for i in chunk])
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
        return Reading("".join(text), float(np.mean(scores)) if scores else 0.0)


def _batch(images: list[np.ndarray]) -> np.ndarray:
    ratios = [img.shape[1] / max(1, img.shape[0]) for img in images]
    width = max(MIN_WIDTH, int(np.ceil(HEIGHT * max(ratios))))
    out = np.zeros((len(images), 3, HEIGHT, width), dtype=np.float32)
    for k, (img, ratio) in enumerate(zip(images, ratios)):
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        w = max(1, min(width, int(np.ceil(HEIGHT * ratio))))
        resized = cv2.resize(img, (w, HEIGHT)).astype(np.float32).transpose(2, 0, 1)
        out[k, :, :, :w] = resized / 127.5 - 1.0
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
