"""PaddleOCR implementation of the OCR engine: PP-OCRv4 mobile det + rec, CPU, offline.

Loaded from models/ only (see pipeline.ocr.models); every optional sub-model of PaddleOCR
(document orientation, unwarping, text-line orientation) belongs to its pipeline classes, which
are not used here, so nothing is ever fetched from a model hub.

Recognition keeps the recognizer's per-timestep class probabilities (the CTC output) and decodes
them itself, so that besides the best reading it can give the readings the recognizer found
nearly as plausible ("8" vs "3", "0" vs "6"): an accounting identity later chooses among them.
"""
from __future__ import annotations

import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np

from pipeline.config import Config
from pipeline.ocr.models import model_dirs, model_names
from pipeline.ocr.ppocr import PPOCREngine, quad_box, reading_order

log = logging.getLogger(__name__)


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


class PaddleEngine(PPOCREngine):
    """OcrEngine on PaddleOCR 3.x TextRecognition + TextDetection."""

    def __init__(self, recognizer, detector, characters: list[str], config: Config):
        super().__init__(characters, config)
        self._recognizer = recognizer
        self._detector = detector
        predictor = recognizer.paddlex_predictor
        self._probabilities = _KeepProbabilities(predictor.post_op)
        predictor.post_op = self._probabilities

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

    def _run_recognizer(self, images: list[np.ndarray], tight: bool = False) -> list[np.ndarray]:
        with self._lock:
            self._probabilities.batches.clear()
            results = list(self._recognizer.predict_iter(images, batch_size=len(images)))
            batches = list(self._probabilities.batches)
        per_image = [row for batch in batches for row in batch]
        if len(per_image) != len(results):
            raise RuntimeError(f"recognizer gave {len(per_image)} probability rows for {len(results)} images")
        return per_image

    def _detect_quads(self, bgr: np.ndarray) -> list[np.ndarray]:
        with self._lock:
            result = next(iter(self._detector.predict_iter(bgr)))
        quads = [np.asarray(q, dtype=np.float32) for q in result["dt_polys"]]
        quads = [q for q in quads if q.shape == (4, 2)]
        return [quads[k] for k in reading_order([quad_box(q) for q in quads])]
