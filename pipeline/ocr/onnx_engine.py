"""The OCR engine on ONNX Runtime (the default): PaddleOCR's PP-OCRv4 mobile recognition — the
same weights the paddle engine loads, converted by `make models` — and PP-OCRv6 small detection
from the RapidOCR wheel.

Why: loading paddle and building its predictors takes 3–5 s per process, more than a scanned
page takes to read; ONNX Runtime loads both models in well under a second. The readings are the
paddle engine's: same weights, the recognizer's input prepared as PaddleX prepares it, the same
CTC decoding with alternatives (pipeline.ocr.ctc). Each batch holds images of one input width,
as PaddleX runs them: padding a cell out to a long line's width changes what the model reads.

Detection serves the title and `--searchable` (table cells are found by their rulings, not by
the detector): a text-line probability map, thresholded and turned into rotated boxes grown by
the model's unclip ratio (the DB post-processing PaddleOCR describes).
"""
from __future__ import annotations

import logging
import math
import time

import cv2
import numpy as np

from pipeline.config import Config
from pipeline.ocr.models import detector_model_path, recognizer_characters, recognizer_model_path
from pipeline.ocr.ppocr import REC_HEIGHT, REC_MIN_WIDTH, PPOCREngine, quad_box, reading_order

log = logging.getLogger(__name__)

# PaddleX's cap on a recognizer input's width (OCRReisizeNormImg.max_imgW).
REC_MAX_WIDTH = 3200
# A cell's crop cut tight to its ink (recognize(..., tight=True)) this narrow at the input's
# height (a number of up to about five digits) is padded to no more than this width, not to
# REC_MIN_WIDTH: the recognizer's time grows with its input's width, and table cells are mostly
# such numbers. On 500+ cells of scans the same text, confidence within 0.01 on average (see
# tests/ocr/test_engines.py). Crops with the detector's margins read worse so: not for those.
REC_NARROW_WIDTH = 160
# Such a crop is padded by at least REC_NARROW_MARGIN to the next multiple of REC_WIDTH_STEP, and
# to no less than REC_NARROWEST: most cells hold one or two digits, 30-50 wide at the input's
# height. On the 577 tight crops of a scan200 and a bilevel300 report against padding all to 160:
# the same value in 576 (one speck read "unreadable" so now reads blank), mean confidence within
# 0.003, 31% fewer input columns. With no margin to speak of (at least 64 and 16 over the ink)
# the values held too but confidences moved more (29 crossed the 0.9 a cell is trusted from).
REC_NARROWEST = 96
REC_NARROW_MARGIN = 32
REC_WIDTH_STEP = 32
# PP-OCRv6 small detection (RapidOCR's settings for it): input scaled to [-1, 1]; a pixel is text
# above THRESH; a box whose mean probability is under BOX_THRESH is dropped; boxes are grown by
# UNCLIP_RATIO x area / perimeter on each side.
DET_MEAN, DET_STD = 0.5, 0.5
DET_THRESH = 0.3
DET_BOX_THRESH = 0.5
DET_UNCLIP_RATIO = 1.6
DET_MIN_SIDE = 3
DET_MAX_CANDIDATES = 1000


def onnx_session(path, config: Config):
    """An ONNX Runtime session on the CPU with the configured threads (onnxruntime is imported
    only here, by runs that read pixels)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, int(config.cpu_threads))
    options.inter_op_num_threads = 1
    # Its threads sleep between runs instead of spinning: a page's cells are recognised in many
    # small runs, and the crops, the next page's preparation and the decoding between them need
    # the cores the spinning threads held (scan200, 5 pages, per file: 7.65 -> 6.82 s, CPU time
    # 11.7 -> 9.6 s, alternating runs).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3          # errors only: stderr carries our own lines
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxEngine(PPOCREngine):
    """OcrEngine on ONNX Runtime."""

    # ONNX Runtime builds nothing per input shape (a width it has not seen runs as fast as one it
    # has): long lines need no padding to the paddle engine's steps of 320 columns.
    width_step = REC_WIDTH_STEP

    def __init__(self, recognizer, characters: list[str], config: Config):
        super().__init__(characters, config)
        self._recognizer = recognizer
        self._rec_input = recognizer.get_inputs()[0].name
        self._detector = None

    @classmethod
    def load(cls, config: Config) -> "OnnxEngine":
        started = time.perf_counter()
        recognizer = onnx_session(recognizer_model_path(config), config)
        characters = recognizer_characters(config)
        log.info("OCR models loaded in %.1f s (ONNX Runtime, %d threads; the detector on first use)",
                 time.perf_counter() - started, config.cpu_threads)
        return cls(recognizer, characters, config)

    def _detector_session(self):
        """The detector, loaded on first use: a garbled layer's pages are read on the lines and
        cells the layer tells, and never need it."""
        if self._detector is None:
            self._detector = onnx_session(detector_model_path(self._config), self._config)
        return self._detector

    # -- recognition ---------------------------------------------------------------------------

    def _run_recognizer(self, images: list[np.ndarray], tight: bool = False) -> list[np.ndarray]:
        inputs = [_rec_input(image, narrow=tight) for image in images]
        out: list[np.ndarray | None] = [None] * len(images)
        by_width: dict[int, list[int]] = {}
        for k, x in enumerate(inputs):
            by_width.setdefault(x.shape[-1], []).append(k)
        with self._lock:
            for ks in by_width.values():
                probabilities = self._recognizer.run(None, {self._rec_input: np.stack([inputs[k] for k in ks])})[0]
                for k, p in zip(ks, probabilities):
                    out[k] = p
        return out

    # -- detection -----------------------------------------------------------------------------

    def _detect_quads(self, bgr: np.ndarray) -> list[np.ndarray]:
        h, w = bgr.shape[:2]
        scale = min(1.0, self._config.ocr_det_limit_side_len / max(h, w))
        rh = max(32, int(round(h * scale / 32)) * 32)
        rw = max(32, int(round(w * scale / 32)) * 32)
        resized = cv2.resize(bgr, (rw, rh)).astype(np.float32)
        x = ((resized / 255.0 - DET_MEAN) / DET_STD).transpose(2, 0, 1)[None]
        with self._lock:
            detector = self._detector_session()
            probability = detector.run(None, {detector.get_inputs()[0].name: x})[0][0, 0]
        quads = text_boxes(probability)
        for q in quads:
            q[:, 0] = np.clip(q[:, 0] * (w / rw), 0, w - 1)
            q[:, 1] = np.clip(q[:, 1] * (h / rh), 0, h - 1)
        return [quads[k] for k in reading_order([quad_box(q) for q in quads])]


def _rec_input(bgr: np.ndarray, narrow: bool = False) -> np.ndarray:
    """As PaddleX's OCRReisizeNormImg: 48 high, the width in proportion, at least 320 (padded
    with zeros after scaling to [-1, 1]), channels first — with `narrow`, a narrow crop only
    a margin past its ink (REC_NARROWEST to REC_NARROW_WIDTH)."""
    h, w = bgr.shape[:2]
    ratio = w / float(h)
    if narrow and REC_HEIGHT * ratio <= REC_NARROW_WIDTH:
        padded = -(-(math.ceil(REC_HEIGHT * ratio) + REC_NARROW_MARGIN) // REC_WIDTH_STEP) * REC_WIDTH_STEP
        narrowest = min(REC_NARROW_WIDTH, max(REC_NARROWEST, padded))
    else:
        narrowest = REC_MIN_WIDTH
    width = int(REC_HEIGHT * max(narrowest / REC_HEIGHT, ratio))
    if width > REC_MAX_WIDTH:
        width = resized_width = REC_MAX_WIDTH
    else:
        resized_width = min(width, int(math.ceil(REC_HEIGHT * ratio)))
    resized = cv2.resize(bgr, (resized_width, REC_HEIGHT)).astype(np.float32)
    out = np.zeros((3, REC_HEIGHT, width), dtype=np.float32)
    out[:, :, :resized_width] = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    return out


def text_boxes(probability: np.ndarray) -> list[np.ndarray]:
    """Text lines of a detector's probability map: each region above DET_THRESH as its rotated
    bounding box, kept when its mean probability reaches DET_BOX_THRESH, grown by the unclip
    distance; corners clockwise from the top left, in the map's pixels."""
    mask = (probability > DET_THRESH).astype(np.uint8)
    mask = cv2.dilate(mask, np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    quads = []
    for contour in contours[:DET_MAX_CANDIDATES]:
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        if min(rw, rh) < DET_MIN_SIDE:
            continue
        if _mean_inside(probability, cv2.boxPoints(((cx, cy), (rw, rh), angle))) < DET_BOX_THRESH:
            continue
        # Offsetting a rectangle by d grows each side by 2d.
        d = rw * rh * DET_UNCLIP_RATIO / (2 * (rw + rh))
        rw, rh = rw + 2 * d, rh + 2 * d
        if min(rw, rh) < DET_MIN_SIDE + 2:
            continue
        quads.append(_clockwise(cv2.boxPoints(((cx, cy), (rw, rh), angle))))
    return quads


def _mean_inside(probability: np.ndarray, corners: np.ndarray) -> float:
    h, w = probability.shape
    x0, y0 = np.clip(np.floor(corners.min(axis=0)).astype(int), 0, [w - 1, h - 1])
    x1, y1 = np.clip(np.ceil(corners.max(axis=0)).astype(int), 0, [w - 1, h - 1])
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    cv2.fillPoly(mask, [np.round(corners - [x0, y0]).astype(np.int32)], 1)
    return float(cv2.mean(probability[y0:y1 + 1, x0:x1 + 1], mask)[0])


def _clockwise(corners: np.ndarray) -> np.ndarray:
    """Top left, top right, bottom right, bottom left."""
    by_x = corners[np.argsort(corners[:, 0])]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1])]
    tr, br = right[np.argsort(right[:, 1])]
    return np.array([tl, tr, br, bl], dtype=np.float32)
