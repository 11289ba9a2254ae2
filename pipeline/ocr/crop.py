"""Crop a table-cell image to its ink before recognition.

The recognizer misreads short numbers in wide white cells ("0" -> "。", "20" -> "時20號"); cut to
the ink bounding box plus a margin of about a quarter of the text height, the same cells read
100% exact (notes/dependencies.md).
"""
from __future__ import annotations

import cv2
import numpy as np

# A pixel is ink when it is this much darker than the cell's background (median grey level).
INK_CONTRAST = 60
# Below this contrast between the paper and the darkest pixels, a cell is paper and noise only.
MIN_INK_CONTRAST = 35
# Connected ink smaller than this many pixels is scan noise. A decimal point at 200 dpi, 9 pt,
# is about 16 pixels, so this keeps it.
MIN_INK_AREA = 4
# A row (column) of the cell image that is ink over this fraction of its length is a ruling line
# or the grey fringe of one left at the cell's edge, not text: a grid detector's cell interiors
# keep such fringes, and one of them joins with the text's bounding box into a misreading.
RULE_FILL = 0.8


def to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Ink pixels (1) of a grey image, ruling lines removed.

    Ink is what is clearly darker than the paper: the threshold sits halfway between the paper
    (the median) and the darkest ink, so faded or blurred print still counts, and a cell holding
    only paper noise (its darkest pixels close to the paper) holds no ink at all.
    """
    g = gray.astype(np.int16)
    background = float(np.median(g))
    # The darkest ink, measured where a 3x3 median leaves it: a stroke survives, a lone noisy
    # pixel does not. A count, not a percentile: one small digit in a wide cell is little ink.
    smooth = cv2.medianBlur(np.ascontiguousarray(gray), 3).ravel()
    darkest = float(np.partition(smooth, min(10, smooth.size - 1))[min(10, smooth.size - 1)])
    contrast = background - darkest
    if contrast < MIN_INK_CONTRAST:
        return np.zeros(gray.shape, np.uint8)
    threshold = background - max(MIN_INK_CONTRAST / 2, min(INK_CONTRAST, contrast / 2))
    mask = (g < threshold).astype(np.uint8)
    mask[mask.mean(axis=1) >= RULE_FILL, :] = 0
    mask[:, mask.mean(axis=0) >= RULE_FILL] = 0
    return mask


def ink_bbox(image: np.ndarray, min_glyph_px: int = 0) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1), exclusive ends, of the text ink in image; None when there is none.

    Text is the components at least min_glyph_px tall or wide (a glyph, not a speck of dust),
    plus the small marks near them (a decimal point, a minus sign, a dot of punctuation). Specks
    far from any glyph are scan noise: counted in, they would widen the crop into blank paper,
    where the recognizer invents characters.
    """
    if image.size == 0:
        return None
    mask = ink_mask(to_gray(image))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    # Over all components at once: a 1-bit page's cells hold hundreds of dots.
    stats = stats[1:count]
    stats = stats[stats[:, cv2.CC_STAT_AREA] >= MIN_INK_AREA]
    if not len(stats):
        return None
    comps = np.column_stack([stats[:, 0], stats[:, 1], stats[:, 0] + stats[:, 2], stats[:, 1] + stats[:, 3]])
    core = np.maximum(stats[:, 2], stats[:, 3]) >= min_glyph_px
    if not core.any():
        return None
    if min_glyph_px:
        big = int(stats[core, 3].max())
        reach = max(2, big // 2)
        box = _union(comps[core])
        small = comps[~core]
        # Marks near the glyphs join them, and marks near those, till none is near.
        while len(small):
            near = (small[:, 0] < box[2] + reach) & (small[:, 2] > box[0] - reach) \
                & (small[:, 1] < box[3] + reach) & (small[:, 3] > box[1] - reach)
            if not near.any():
                break
            box = _union(np.vstack([[box], small[near]]))
            small = small[~near]
        return box
    return _union(comps)


def _union(boxes: np.ndarray) -> tuple[int, int, int, int]:
    return int(boxes[:, 0].min()), int(boxes[:, 1].min()), int(boxes[:, 2].max()), int(boxes[:, 3].max())


def crop_to_ink(image: np.ndarray, margin_ratio: float = 0.25, min_glyph_px: int = 0,
                min_height_px: int = 0) -> np.ndarray | None:
    """The ink of a cell image plus a margin of margin_ratio x the ink height, or more, to make
    the crop min_height_px high at least; None if no ink.

    Where the margin reaches past the image, it is filled with the background grey level, so the
    text always sits in the same amount of white.
    """
    box = ink_bbox(image, min_glyph_px)
    return None if box is None else crop_to_box(image, box, margin_ratio, min_height_px)


def crop_to_box(image: np.ndarray, box: tuple[int, int, int, int], margin_ratio: float = 0.25,
                min_height_px: int = 0) -> np.ndarray:
    """The image inside `box` (x0, y0, x1, y1) with crop_to_ink's margin round it."""
    x0, y0, x1, y1 = box
    margin = max(2, int(round(margin_ratio * (y1 - y0))), -(-(min_height_px - (y1 - y0)) // 2))
    background = int(np.median(to_gray(image)))
    crop = image[max(0, y0 - margin):y1 + margin, max(0, x0 - margin):x1 + margin]
    pad = (max(0, margin - y0), max(0, y1 + margin - image.shape[0]),
           max(0, margin - x0), max(0, x1 + margin - image.shape[1]))
    if any(pad):
        crop = cv2.copyMakeBorder(crop, *pad, cv2.BORDER_CONSTANT,
                                  value=(background,) * (1 if image.ndim == 2 else image.shape[2]))
    return np.ascontiguousarray(crop)
