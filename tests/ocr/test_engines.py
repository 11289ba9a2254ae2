"""Real OCR on real renders of the Huai'an 2024 report, by both engines (ONNX Runtime, the
default, and PaddlePaddle): no mocks.

Cells are located with the PDF's text layer (char boxes give each number or label; the ruling
lines around it in the render give its cell), so the expected text is the document's own.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from pipeline.config import REAL_SAMPLE_PDF, ROOT, Config
from pipeline.ocr import DetectedLine, Reading, crop_to_ink

SAMPLE = REAL_SAMPLE_PDF              # ../shared beside the checkout (pipeline.config)
DPI = 200
SCALE = DPI / 72
TABLE_PAGES = (3, 4, 5)          # 1-based; the pages with the statistics tables
DARK = 128                       # grey level below which a pixel belongs to a rule or to ink
RULE_FILL = 0.9                  # fraction of dark pixels that makes a row/column segment a rule



@pytest.fixture(autouse=True, scope="module")
def _sample_present(real_pdf):
    """Every test here reads the real sample: a missing one fails them (conftest), never skips."""
    assert real_pdf == SAMPLE


@dataclass
class Token:
    text: str
    box: tuple[int, int, int, int]    # pixels x0, y0, x1, y1 at DPI


@dataclass
class CellSample:
    page: int
    text: str                          # the text layer's content of the cell
    image: np.ndarray                  # the cell's interior, rules excluded, BGR


def render(page_number: int) -> np.ndarray:
    with pdfium.PdfDocument(SAMPLE) as pdf:
        bitmap = pdf[page_number - 1].render(scale=SCALE)
        return np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])


def text_tokens(page_number: int) -> list[Token]:
    """Runs of non-blank characters on one line, with their pixel boxes."""
    tokens: list[Token] = []
    with pdfium.PdfDocument(SAMPLE) as pdf:
        page = pdf[page_number - 1]
        height = page.get_height()
        textpage = page.get_textpage()
        chars, boxes = [], []
        for index in range(textpage.count_chars()):
            char = textpage.get_text_range(index, 1)
            left, bottom, right, top = textpage.get_charbox(index)
            box = (left * SCALE, (height - top) * SCALE, right * SCALE, (height - bottom) * SCALE)
            if char.strip() and chars and _continues(boxes[-1], box):
                chars.append(char)
                boxes.append(box)
                continue
            if chars:
                tokens.append(_token(chars, boxes))
            chars, boxes = ([char], [box]) if char.strip() else ([], [])
        if chars:
            tokens.append(_token(chars, boxes))
    return tokens


def _continues(previous, box) -> bool:
    same_line = min(previous[3], box[3]) - max(previous[1], box[1]) > 0.3 * (box[3] - box[1])
    return same_line and 0 <= box[0] - previous[2] < 0.6 * (box[3] - box[1])


def _token(chars, boxes) -> Token:
    x0, y0, x1, y1 = zip(*boxes)
    return Token("".join(chars), (int(min(x0)), int(min(y0)), int(np.ceil(max(x1))), int(np.ceil(max(y1)))))


def enclosing_cell(dark: np.ndarray, box, reach: int = 600) -> tuple[int, int, int, int] | None:
    """The interior of the ruled cell around box, found by walking out to the first rule."""
    x0, y0, x1, y1 = box
    left = next((x for x in range(x0 - 1, max(-1, x0 - reach), -1) if dark[y0:y1, x].mean() >= RULE_FILL), None)
    right = next((x for x in range(x1, min(dark.shape[1], x1 + reach)) if dark[y0:y1, x].mean() >= RULE_FILL), None)
    if left is None or right is None:
        return None
    top = next((y for y in range(y0 - 1, max(-1, y0 - reach), -1) if dark[y, left + 1:right].mean() >= RULE_FILL), None)
    bottom = next((y for y in range(y1, min(dark.shape[0], y1 + reach)) if dark[y, left + 1:right].mean() >= RULE_FILL), None)
    if top is None or bottom is None:
        return None
    return left + 1, top + 1, right, bottom


def cell_samples(page_number: int) -> list[CellSample]:
    """Table cells holding exactly one token, cut at their rules as a grid detector would."""
    image = render(page_number)
    dark = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) < DARK
    tokens = text_tokens(page_number)
    samples = []
    for token in tokens:
        cell = enclosing_cell(dark, token.box)
        if cell is None:
            continue
        x0, y0, x1, y1 = cell
        inside = [t for t in tokens if x0 <= (t.box[0] + t.box[2]) / 2 < x1 and y0 <= (t.box[1] + t.box[3]) / 2 < y1]
        if inside == [token]:
            samples.append(CellSample(page_number, token.text, image[y0:y1, x0:x1].copy()))
    return samples


def is_number(text: str) -> bool:
    return text.replace(".", "", 1).isdigit()


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


ENGINES = ("onnx", "paddle")


@pytest.fixture(scope="module", params=ENGINES)
def engine(request):
    from pipeline.ocr import get_engine
    return get_engine(Config(ocr_engine=request.param))


@pytest.fixture(scope="module")
def cells() -> list[CellSample]:
    return [sample for page in TABLE_PAGES for sample in cell_samples(page)]


@pytest.fixture(scope="module")
def number_cells(cells) -> list[CellSample]:
    numbers = [c for c in cells if is_number(c.text)]
    assert len(numbers) >= 100, "the text layer should give at least 100 single-number cells"
    return numbers


@pytest.fixture(scope="module")
def default_engine():
    """For what the engines share by construction: the paddle engine reads every cell as the
    default one does (test_engines_read_alike), so reading them all again through paddle's
    slower recognizer proves nothing more."""
    from pipeline.ocr import get_engine
    return get_engine(Config())


def test_numbers_in_cells_read_exactly(default_engine, number_cells):
    engine = default_engine
    crops = [crop_to_ink(c.image) for c in number_cells]
    assert all(crop is not None for crop in crops)
    readings = engine.recognize(crops)
    wrong = [(c.page, c.text, r.text) for c, r in zip(number_cells, readings) if r.text != c.text]
    assert not wrong, f"{len(wrong)}/{len(number_cells)} misread: {wrong[:10]}"
    assert min(r.confidence for r in readings) > 0.8


def test_labels_in_cells_read_nearly_exactly(engine, cells):
    labels = [c for c in cells if not is_number(c.text) and len(c.text) >= 3]
    assert len(labels) >= 15
    readings = engine.recognize([crop_to_ink(c.image) for c in labels])
    errors = sum(edit_distance(c.text, r.text) for c, r in zip(labels, readings))
    exact = sum(c.text == r.text for c, r in zip(labels, readings))
    total = sum(len(c.text) for c in labels)
    assert errors / total <= 0.03, [(c.text, r.text) for c, r in zip(labels, readings) if c.text != r.text]
    assert exact / len(labels) >= 0.85


def test_empty_cell_gives_no_crop_and_empty_image_no_text(engine):
    blank = np.full((60, 200, 3), 255, np.uint8)
    blank[0, :] = 0        # a rule left at the cell's edge is not text
    assert crop_to_ink(blank) is None
    assert engine.recognize([np.zeros((0, 0, 3), np.uint8)]) == [Reading("", 0.0, [])]
    assert engine.recognize([]) == []


def test_recognize_keeps_input_order_across_batches(engine, number_cells):
    sample = number_cells[:Config().ocr_batch_size + 7]         # more than one batch, widths mixed
    crops = [crop_to_ink(c.image) for c in sample]
    one_by_one = [engine.recognize([crop])[0].text for crop in crops[:5]]
    together = [r.text for r in engine.recognize(crops)]
    assert together[:5] == one_by_one
    assert together == [c.text for c in sample]


def test_a_reading_memo_reads_each_distinct_image_once(default_engine, number_cells):
    """ReadingMemo gives an image with the pixels of one read before that image's reading, and
    asks its engine for the others only, in one call."""
    from pipeline.ocr import ReadingMemo

    class Counted:
        # The real engine, counting the images it is asked to read.
        def __init__(self):
            self.asked = 0

        def recognize(self, images, tight=False):
            self.asked += len(images)
            return default_engine.recognize(images, tight)

    crops = [crop_to_ink(c.image) for c in number_cells[:12]]
    counted = Counted()
    memo = ReadingMemo(counted)
    first = memo.recognize(crops[:8], tight=True)
    assert counted.asked == len({crop.tobytes() for crop in crops[:8]})
    again = memo.recognize([crop.copy() for crop in crops], tight=True)
    assert counted.asked == len({crop.tobytes() for crop in crops})
    assert again[:8] == first
    assert [r.text for r in again] == [r.text for r in default_engine.recognize(crops, tight=True)]
    # The same pixels cut another way, or read at another width, are another image.
    memo.recognize([crops[0][:, 1:].copy()], tight=True)
    memo.recognize([crops[0]], tight=False)
    assert counted.asked == len({crop.tobytes() for crop in crops}) + 2


def test_engines_read_alike(cells):
    """The ONNX engine runs the paddle engine's recognizer (converted by `make models`): on the
    same crops it reads the same text with the same confidence — except that it pads a narrow
    crop cut tight to its ink (a cell's number, mostly) to half the width, where the numbers
    read the same and confidences stay close."""
    from pipeline.ocr import get_engine
    from pipeline.ocr.onnx_engine import REC_NARROW_WIDTH

    crops = [crop_to_ink(c.image) for c in cells]
    onnx = get_engine(Config(ocr_engine="onnx")).recognize(crops, tight=True)
    paddle = get_engine(Config(ocr_engine="paddle")).recognize(crops, tight=True)
    assert [r.text for r in get_engine(Config(ocr_engine="onnx")).recognize(crops)] == [r.text for r in paddle]
    narrow = [48 * c.shape[1] / c.shape[0] <= REC_NARROW_WIDTH for c in crops]
    wide = [(a, b) for a, b, n in zip(onnx, paddle, narrow) if not n]
    assert wide and [a.text for a, _ in wide] == [b.text for _, b in wide]
    assert max(abs(a.confidence - b.confidence) for a, b in wide) < 0.02
    short = [(a, b, c) for a, b, c, n in zip(onnx, paddle, cells, narrow) if n]
    assert len(short) >= 100
    assert all(a.text == b.text == c.text for a, b, c in short if is_number(c.text))
    assert statistics.mean(abs(a.confidence - b.confidence) for a, b, _ in short) < 0.02


def test_unknown_engine_is_a_clear_error():
    from pipeline.ocr import get_engine
    with pytest.raises(ValueError, match="onnx or paddle"):
        get_engine(Config(ocr_engine="tesseract"))


def test_detect_lines_finds_title(engine):
    page = render(1)
    title = page[: page.shape[0] // 4]
    lines = engine.detect_lines(title)
    assert all(isinstance(line, DetectedLine) for line in lines)
    texts = [line.text for line in lines]
    assert any("淮安市人民政府" in t for t in texts), texts
    assert any("2024" in t for t in texts), texts
    heading = next(line for line in lines if "淮安市人民政府" in line.text)
    x0, y0, x1, y1 = heading.box
    assert 0 <= x0 < x1 <= title.shape[1] and 0 <= y0 < y1 <= title.shape[0]
    # reading order: the agency line comes before the year line below it
    assert texts.index(heading.text) < next(i for i, t in enumerate(texts) if "2024" in t and "年度报告" in t)


def test_ctc_alternatives_follow_the_runner_up():
    """The decoder on a hand-made CTC output: "38" where the 8 nearly reads 3, and a 0 nearly
    inserted between them."""
    from pipeline.ocr.ctc import decode_ctc

    characters = ["blank", "3", "8", "0"]
    rows = [[0.98, 0.01, 0.005, 0.005],   # blank
            [0.02, 0.97, 0.005, 0.005],   # 3
            [0.75, 0.02, 0.03, 0.20],     # blank, 0 close behind
            [0.02, 0.38, 0.59, 0.01],     # 8, 3 close behind
            [0.98, 0.01, 0.005, 0.005]]   # blank
    reading = decode_ctc(np.array(rows), characters, min_ratio=0.1, max_alternatives=5)
    assert reading.text == "38"
    assert reading.confidence == pytest.approx((0.97 + 0.59) / 2)
    texts = [text for text, _ in reading.alternatives]
    assert texts == ["33", "308", "303"]
    assert reading.alternatives[0][1] == pytest.approx(reading.confidence * 0.38 / 0.59, abs=1e-6)
    assert reading.alternatives[1][1] == pytest.approx(reading.confidence * 0.20 / 0.75, abs=1e-6)


def test_digit_readings_take_the_next_digit_down_to_a_thousandth():
    """A 4 whose diagonal a threshold cut reads "1", with "4" the next digit far behind; a "!"
    is the digit it most looks like; a point stays a point. The digit readings offer one and two
    changes, the likeliest first, on the scale of the reading's confidence, while the changes
    keep a thousandth of its likelihood: no two of these far-behind digits together do."""
    from pipeline.ocr.ctc import decode_ctc, digit_classes

    characters = ["blank", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "!", "."]

    def timestep(**probabilities):
        row = [probabilities.get(c, 0.0) for c in characters]
        row[0] = 1.0 - sum(row)
        return row
    rows = [timestep(), timestep(**{"3": 0.99, "8": 0.005}), timestep(),
            timestep(**{"1": 0.985, "4": 0.003, "7": 0.001}), timestep(),
            timestep(**{".": 0.9}), timestep(),
            timestep(**{"!": 0.88, "1": 0.07, "4": 0.0004}), timestep()]
    reading = decode_ctc(np.array(rows), characters, 0.1, 5, digit_classes(characters))
    assert reading.text == "31.!"
    confidence = dict(reading.digit_readings)
    assert reading.digit_readings[0] == ("31.1", pytest.approx(reading.confidence))
    assert set(confidence) == {"31.1", "34.1", "31.4", "81.1"}
    assert confidence["34.1"] == pytest.approx(reading.confidence * 0.003 / 0.985, rel=1e-3)
    assert confidence["31.4"] == pytest.approx(reading.confidence * 0.0004 / 0.07, rel=1e-3)
    assert [c for _, c in reading.digit_readings] == sorted(confidence.values(), reverse=True)


def blurred(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma)


def test_ambiguous_digits_have_ordered_alternatives(default_engine, number_cells):
    """Blurred digits: the recognizer hesitates, and says between what. (The alternatives come of
    the CTC decoding both engines share, pipeline.ocr.ctc.)"""
    engine = default_engine
    crops = [crop_to_ink(c.image) for c in number_cells]
    readings = []
    for sigma in (2.0, 2.5, 3.0):
        readings += engine.recognize([blurred(crop, sigma) for crop in crops])
    with_alternatives = [r for r in readings if r.alternatives]
    assert with_alternatives, "no blurred digit gave an alternative reading"
    for reading in with_alternatives:
        confidences = [confidence for _, confidence in reading.alternatives]
        assert confidences == sorted(confidences, reverse=True)
        assert all(text and text != reading.text for text, _ in reading.alternatives)
        assert len({text for text, _ in reading.alternatives}) == len(reading.alternatives)
        assert all(0.0 < confidence <= 1.0 for confidence in confidences)
    # Where the best reading is wrong, the right one is often among the alternatives: the identities
    # can then choose it (pipeline/resolve.py). On this sample 9 of 588 blurred readings are wrong
    # and 4 of them have the right reading among the alternatives (746 read 76, 447 read 667,
    # 5 read S, 56 read S6); alternatives that did not follow the runner-up characters rescue none.
    truths = [c.text for c in number_cells] * 3
    wrong = [(truth, r) for r, truth in zip(readings, truths) if r.text != truth]
    rescued = [(truth, r.text) for truth, r in wrong if any(text == truth for text, _ in r.alternatives)]
    assert len(wrong) >= 3, "blurring no longer makes the recognizer err: the test proves nothing"
    assert len(rescued) >= 2 and 3 * len(rescued) >= len(wrong), \
        (rescued, [(truth, r.text, r.alternatives) for truth, r in wrong])


def test_clean_readings_are_confident(default_engine, number_cells):
    readings = default_engine.recognize([crop_to_ink(c.image) for c in number_cells])
    assert statistics.median(r.confidence for r in readings) > 0.95


NO_NETWORK_SCRIPT = """
import socket, sys
attempts = []
def refuse(*args, **kwargs):
    attempts.append(repr(args)[:200])
    raise OSError("network access attempted during OCR")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
sys.path.insert(0, sys.argv[1])
from ocr.test_engines import cell_samples, is_number, render
from pipeline.config import Config
from pipeline.ocr import crop_to_ink, get_engine
for name in ("onnx", "paddle"):
    engine = get_engine(Config(cpu_threads=1, ocr_engine=name))
    numbers = [c for c in cell_samples(3) if is_number(c.text)][:5]
    readings = engine.recognize([crop_to_ink(c.image) for c in numbers])
    assert [r.text for r in readings] == [c.text for c in numbers], readings
    lines = engine.detect_lines(render(1)[:600])
    assert any("淮安市人民政府" in line.text for line in lines), lines
assert not attempts, attempts
print("offline ok")
"""


def test_no_network_access(tmp_path):
    """A fresh process with sockets that refuse: importing paddle or ONNX Runtime, loading the
    models and running recognition and detection never try the network. No PaddleX variables are set beforehand:
    the engine sets what it needs itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PADDLE_PDX_")}
    env["HOME"] = str(tmp_path)          # nothing cached in a home folder helps either
    done = subprocess.run([sys.executable, "-c", NO_NETWORK_SCRIPT, str(Path(__file__).parent.parent)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "offline ok" in done.stdout
