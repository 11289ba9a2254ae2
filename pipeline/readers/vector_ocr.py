"""Pages whose layer lies but whose rulings are vector: the rulings' grid; the text decoded from the
layer through a code map that OCR teaches (pipeline.layer_decode), and read by OCR wherever the
map does not tell it.

Per page: cells with no glyph in the layer (or one whose code cannot be told) are read by OCR;
cells whose codes are settled, or known where the cell is a label, are decoded. Each code of the
rest that no reading has told yet is glimpsed once (one of its glyphs, read among others in a
line made of single glyphs): labels then decode. What is left — values, whose codes only
readings of cells settle, and cells a glimpse did not tell — is read by OCR in rounds of
ROUND_CELLS, each round's readings teaching the next (CodeMap.to_read chooses).

The title is looked for in the top of the first pages by OCR of the lines the layer draws there
(no detector; where no title is read in them, the detector's lines): on page 1 always;
on a later page only where its layer there, decoded, may hold 报 or 告 (every title ends in
年度报告 or 工作报告, pipeline.title). A table page after a title page read by another reader
is not read for a title in vain.

The page is drawn right (only its character map lies), so its render needs no preparation.
"""
from __future__ import annotations

import logging
import time

from ..config import Config
from ..types import PageContent
from .page import Page

log = logging.getLogger(__name__)

# Characters of every title (年度报告, 工作报告): a page top whose layer shows neither has none.
TITLE_CHARS = "报告"
# A glyph whose ink is less wide or less high than this share of its line is a mark, not 报 or 告.
MARK_SHARE = 0.5
# Lines printed at least this share of the largest size at the top of a page may be its title.
TITLE_SIZE_SHARE = 0.9


def read(items: list[tuple[Page, PageContent]], config: Config, timings: dict,
         title_found: bool = False) -> None:
    from ..layer_decode import (ROUND_CELLS, CodeMap, LayerCodes, glimpse_lines, glimpse_units, line_codes,
                                reading_lines)
    from ..ocr import get_engine
    from ..scan import (TITLE_REGION, _unprepared, read_cells, read_title_region, reading_confidences,
                        second_look_reader, without_rulings)
    from .scan import prose_reader
    from ..title import find_title

    engine = get_engine(config)
    upright_score = reading_confidences(engine)
    layer = LayerCodes(items[0][0].doc)
    learned = CodeMap(layer.current)
    second_readings: dict = {}
    try:
        for page, content in items:
            t = time.perf_counter()
            prepared = _unprepared(page.render(config.scan_dpi), config.scan_dpi)
            page.release()
            content.info.read_by = "ocr"
            content.cell_source = "ocr"
            content.second_look = second_look_reader(prepared)
            # Its grids are in the page's own frame, upright as displayed.
            content.read_prose = prose_reader(page, content, upright_score, frame=(0, 0.0))
            cells = [cell for grid in content.grids for cell in grid.cells]
            glyphs = layer.glyphs(page.index)
            lines = layer.glyphs_in_boxes(page.index, [cell.bbox for cell in cells], glyphs)
            codes = [line_codes(ls) for ls in lines]
            sizes = [None if ls is None else sum(max(3, len(line)) for line in ls) for ls in lines]
            wants_title = content.info.page <= config.title_pages and not title_found
            # The first page is read for its title; a later one only where its layer may show
            # one, which its glimpses tell.
            top_lines = reading_lines([g for g in glyphs if g.centre[1] <= TITLE_REGION * page.height]) \
                if wants_title else []
            top = top_lines if page.number > 1 else []
            text_image = without_rulings(prepared)
            # No glyph in the layer (a blank, or a mark drawn as a path) or one that cannot be
            # told: read from the pixels; the rest decoded once their codes are known.
            pending = [k for k, c in enumerate(codes) if c]
            read_cells(engine, prepared, [cells[k] for k, c in enumerate(codes) if not c], text_image)
            n_read, n_glimpsed, glimpsed = len(cells) - len(pending), 0, False
            decoded_cells: list[int] = []
            while True:
                undecoded = []
                for k in pending:
                    decoded = learned.decode(codes[k]) or learned.decode_label(codes[k])
                    if decoded is None:
                        undecoded.append(k)
                    else:
                        cells[k].text, cells[k].confidence = decoded
                        cells[k].alternatives = []
                        decoded_cells.append(k)
                if not glimpsed:
                    # Once a page: a glyph of each code that no reading has told yet, in the
                    # cells left and in the top of a page the title may be on.
                    glimpsed = True
                    unread = {c for k in undecoded for c in codes[k] if learned.known(c) is None}
                    unread |= {g.code for line in top for g in line if g.code and learned.known(g.code) is None}
                    units = glimpse_units([line for ls in lines for line in ls or ()] + top, unread)
                    glimpses = glimpse_lines(text_image, units, prepared.points_per_pixel)
                    if glimpses:
                        readings = engine.recognize([image for image, _ in glimpses])
                        for (_, glyph_codes), reading in zip(glimpses, readings):
                            learned.learn_glimpse(glyph_codes, reading.text, reading.confidence,
                                                  reading.alternatives)
                        n_glimpsed += sum(len(c) for _, c in glimpses)
                        pending = undecoded
                        continue
                if not undecoded:
                    break
                batch = learned.to_read({k: codes[k] for k in undecoded}, {k: sizes[k] for k in undecoded},
                                        ROUND_CELLS)
                pending = [k for k in undecoded if k not in set(batch)]
                read_cells(engine, prepared, [cells[k] for k in batch], text_image)
                n_read += len(batch)
                for k in batch:
                    learned.learn(codes[k], cells[k].text, cells[k].confidence)
            _read_codes_again(config, text_image, prepared.points_per_pixel,
                              [(cells[k], lines[k], codes[k]) for k in decoded_cells], second_readings)
            log.debug("page %d: %d of %d cells read by OCR, the rest decoded from the layer "
                      "(%d glyphs glimpsed)", page.number, n_read, len(cells), n_glimpsed)
            if wants_title and (page.number == 1 or _may_hold_title(top, learned)):
                content.lines = read_title_region(engine, prepared,
                                                  _line_boxes(top_lines, prepared.points_per_pixel),
                                                  _title_lines_first(top_lines))
                title_found = find_title(content.lines) is not None
            timings["recognize"] = timings.get("recognize", 0.0) + time.perf_counter() - t
    finally:
        layer.close()


def _read_codes_again(config: Config, text_image, points_per_pixel: float, decoded: list[tuple],
                      seconds: dict) -> None:
    """The second recognizer's reading of decoded cells that hold a number, made code by code:
    one glyph of each code not read so far is glimpsed (seconds: code -> (character, its
    probability), None where the glimpse did not tell it), and a cell whose every code it read
    gets the reading its glyphs spell (GridCell.second_reading). A cell read so agrees or
    disagrees with its decoding as a cell read whole would (pipeline.extract.read_twice), at the
    cost of a glyph per code instead of a crop per cell; the others are read whole."""
    from ..layer_decode import glimpse_lines, glimpse_units
    from ..numbers import parse_value
    from ..ocr.second import get_second_recognizer

    numbers = [(cell, lines, codes) for cell, lines, codes in decoded if parse_value(cell.text).kind == "number"]
    wanted = {code for _, _, codes in numbers for code in codes if code not in seconds}
    if wanted:
        units = glimpse_units([line for _, lines, _ in numbers for line in lines], wanted)
        glimpses = glimpse_lines(text_image, units, points_per_pixel)
        readings = get_second_recognizer(config).recognize([image for image, _ in glimpses]) if glimpses else []
        for (_, unit_codes), reading in zip(glimpses, readings):
            read = [(ch, p) for ch, p in zip(reading.text, reading.scores) if not ch.isspace()]
            if len(reading.scores) == len(reading.text) and len(read) == len(unit_codes):
                seconds.update(zip(unit_codes, read))
        seconds.update((code, None) for code in wanted if code not in seconds)
    for cell, _, codes in numbers:
        read = [seconds.get(code) for code in codes]
        if read and None not in read:
            cell.second_reading = ("".join(ch for ch, _ in read), min(p for _, p in read))


def _line_boxes(lines: list, points_per_pixel: float) -> list[tuple[float, float, float, float]]:
    """Boxes (pixels) of lines of glyphs, top first, with a margin as the detector's boxes have:
    the layer tells where the lines are, so the title needs no detector."""
    boxes = []
    for line in lines:
        x0, y0 = min(g.loose[0] for g in line), min(g.loose[1] for g in line)
        x1, y1 = max(g.loose[2] for g in line), max(g.loose[3] for g in line)
        pad = 0.15 * (y1 - y0)
        boxes.append((max(0.0, (x0 - pad) / points_per_pixel), max(0.0, (y0 - pad) / points_per_pixel),
                      (x1 + pad) / points_per_pixel, (y1 + pad) / points_per_pixel))
    return boxes


def _title_lines_first(lines: list) -> int:
    """How many of these lines (top first) to read before looking for the title: down to the
    last one printed in the largest size there (a title is printed larger than the prose under
    it) and two more (a year may stand on a line below it). Where that misses the title, the
    rest are read too."""
    sizes = [sorted(g.loose[3] - g.loose[1] for g in line)[len(line) // 2] for line in lines]
    if not sizes:
        return 0
    largest = max(sizes)
    return max(k for k, size in enumerate(sizes) if size >= TITLE_SIZE_SHARE * largest) + 3


def _may_hold_title(top: list, learned) -> bool:
    """Whether a title may be printed where these lines of glyphs are (the top of a page): unless
    every glyph there of a Chinese character's size is known and none is 报 or 告. Marks (a
    comma, a bracket, a digit: less wide or less high than half the line) cannot be either, and
    a mark a glimpse did not tell does not count. No glyph at all: the title may be a picture."""
    chars = [learned.known(g.code) if g.code else None for line in top for g in line if not _is_mark(g)]
    return not chars or None in chars or any(ch in TITLE_CHARS for ch in chars)


def _is_mark(glyph) -> bool:
    size = glyph.loose[3] - glyph.loose[1]
    return min(glyph.box[2] - glyph.box[0], glyph.box[3] - glyph.box[1]) < MARK_SHARE * size
