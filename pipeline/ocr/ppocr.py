"""What the engines that run PaddleOCR's PP-OCR models share: line images as the recognizer
takes them, batching by width, CTC decoding with alternatives (pipeline.ocr.ctc), detected
quadrilaterals straightened into line images, reading order.

An engine subclasses PPOCREngine and gives two things: `_run_recognizer` (per image, the
recognizer's timesteps x classes probabilities) and `_detect_quads` (the text lines' corners).
"""
from __future__ import annotations

import threading

import cv2
import numpy as np

from pipeline.config import Config
from pipeline.ocr import DetectedLine, Reading
from pipeline.ocr.ctc import decode_ctc, digit_classes

# The recognizer's input: 48 pixels high, at least 320 wide (RecResizeImg in its inference.yml).
REC_HEIGHT = 48
REC_MIN_WIDTH = 320

Box = tuple[float, float, float, float]


class PPOCREngine:
    # Lines longer than the recognizer's minimum input are padded to a multiple of this width
    # (pad_to_width_step).
    width_step = REC_MIN_WIDTH

    def __init__(self, characters: list[str], config: Config):
        # The recognizer's classes: blank, the 6623 dictionary characters, the space.
        self._characters = characters
        self._digit_classes = digit_classes(characters)
        self._config = config
        # One inference at a time: sessions and predictors are not shared between threads.
        self._lock = threading.Lock()

    # -- recognition ---------------------------------------------------------------------------

    def recognize(self, images: list[np.ndarray], tight: bool = False) -> list[Reading]:
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
            lines = [pad_to_width_step(as_bgr(images[i]), self.width_step) for i in chunk]
            for index, probabilities in zip(chunk, self._run_recognizer(lines, tight)):
                readings[index] = self.decode(probabilities)
        return readings

    def decode(self, probabilities: np.ndarray) -> Reading:
        return decode_ctc(probabilities, self._characters, self._config.ocr_alt_min_ratio,
                          self._config.ocr_max_alternatives, self._digit_classes)

    def _run_recognizer(self, images: list[np.ndarray], tight: bool = False) -> list[np.ndarray]:
        raise NotImplementedError

    # -- detection -----------------------------------------------------------------------------

    def detect_boxes(self, image: np.ndarray) -> list[Box]:
        return [quad_box(q) for q in self._detect_quads(as_bgr(image))]

    def detect_lines(self, image: np.ndarray) -> list[DetectedLine]:
        bgr = as_bgr(image)
        quads = self._detect_quads(bgr)
        readings = self.recognize([crop_quad(bgr, q) for q in quads])
        return [DetectedLine(reading.text, reading.confidence, quad_box(quad), list(reading.alternatives))
                for quad, reading in zip(quads, readings) if reading.text.strip()]

    def _detect_quads(self, bgr: np.ndarray) -> list[np.ndarray]:
        """The text lines' corners (4 x 2, clockwise from the top left), in reading order."""
        raise NotImplementedError


def as_bgr(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(image)


def pad_to_width_step(image: np.ndarray, step: int = REC_MIN_WIDTH) -> np.ndarray:
    """A line longer than the recognizer's minimum input, scaled to its input height and padded
    with white to the next multiple of `step` (the engine's width_step).

    oneDNN (the paddle engine) builds its kernels for each input shape it meets and keeps only a
    few: text lines of all lengths each cost a rebuild (a page of prose took 15 s to recognize
    instead of about 3). With widths in steps of the minimum width, the shapes repeat. Images
    within the minimum width (table cells) are left alone: the recognizer pads those to its
    minimum width itself.
    """
    height, width = image.shape[:2]
    scaled_width = int(np.ceil(REC_HEIGHT * width / height))
    if scaled_width <= REC_MIN_WIDTH:
        return image
    scaled = cv2.resize(image, (scaled_width, REC_HEIGHT))
    padded_width = -(-scaled_width // step) * step
    return cv2.copyMakeBorder(scaled, 0, 0, 0, padded_width - scaled_width, cv2.BORDER_CONSTANT,
                              value=(255, 255, 255))


def crop_quad(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
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


def reading_order(boxes: list[Box]) -> list[int]:
    """Indices of the boxes top to bottom; boxes that overlap vertically by more than half of the
    lower one's height form a row, left to right."""
    rows: list[list[int]] = []
    for k in sorted(range(len(boxes)), key=lambda k: (boxes[k][1] + boxes[k][3]) / 2):
        if rows and same_row(boxes[rows[-1][-1]], boxes[k]):
            rows[-1].append(k)
        else:
            rows.append([k])
    return [k for row in rows for k in sorted(row, key=lambda k: boxes[k][0])]


def same_row(a, b) -> bool:
    """Two boxes on one row: overlapping by more than half the lower one's height."""
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap > 0.5 * min(a[3] - a[1], b[3] - b[1])


def quad_box(quad: np.ndarray) -> Box:
    x0, y0 = quad.min(axis=0)
    x1, y1 = quad.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)
