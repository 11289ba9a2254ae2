"""Pages whose layer lies but whose rulings are vector: camelot's grid; the text decoded from the
layer through a code map that OCR teaches (pipeline.layer_decode), and read by OCR wherever the
map does not tell it.

Per page: cells with no glyph in the layer (or one whose code cannot be told) are read by OCR;
cells whose codes are settled, or known where the cell is a label, are decoded. Each code of the
rest that no reading has told yet is glimpsed once (one of its glyphs, read among others in a
line made of single glyphs): labels then decode. What is left — values, whose codes only
readings of cells settle, and cells a glimpse did not tell — is read by OCR in rounds of
ROUND_CELLS, each round's readings teaching the next (CodeMap.to_read chooses).

The title is looked for in the top of the first pages by OCR, as on a scan: on page 1 always;
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


def read(items: list[tuple[Page, PageContent]], config: Config, timings: dict) -> None:
    from ..layer_decode import ROUND_CELLS, CodeMap, LayerCodes, glimpse_lines, glimpse_units, reading_lines
    from ..ocr import get_engine
    from ..scan import (TITLE_REGION, _unprepared, read_cells, read_title_region, second_look_reader,
                        without_rulings)
    from ..title import find_title

    engine = get_engine(config)
    title_found = False
    layer = LayerCodes(items[0][0].doc)
    learned = CodeMap(layer.current)
    try:
        for page, content in items:
            t = time.perf_counter()
            prepared = _unprepared(page.render(config.scan_dpi), config.scan_dpi)
            page.release()
            content.info.read_by = "ocr"
            content.cell_source = "ocr"
            content.second_look = second_look_reader(prepared)
            cells = [cell for grid in content.grids for cell in grid.cells]
            glyphs = layer.glyphs(page.index)
            lines = layer.glyphs_in_boxes(page.index, [cell.bbox for cell in cells], glyphs)
            codes = [None if ls is None else [g.code for line in ls for g in line] for ls in lines]
            sizes = [None if ls is None else sum(max(3, len(line)) for line in ls) for ls in lines]
            wants_title = content.info.page <= config.title_pages and not title_found
            # The first page is read for its title; a later one only where its layer may show one.
            top = reading_lines([g for g in glyphs if g.centre[1] <= TITLE_REGION * page.height]) \
                if wants_title and page.number > 1 else []
            text_image = without_rulings(prepared)
            # No glyph in the layer (a blank, or a mark drawn as a path) or one that cannot be
            # told: read from the pixels; the rest decoded once their codes are known.
            pending = [k for k, c in enumerate(codes) if c]
            read_cells(engine, prepared, [cells[k] for k, c in enumerate(codes) if not c], text_image)
            n_read, n_glimpsed, glimpsed = len(cells) - len(pending), 0, False
            while True:
                undecoded = []
                for k in pending:
                    decoded = learned.decode(codes[k]) or learned.decode_label(codes[k])
                    if decoded is None:
                        undecoded.append(k)
                    else:
                        cells[k].text, cells[k].confidence = decoded
                        cells[k].alternatives = []
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
            log.debug("page %d: %d of %d cells read by OCR, the rest decoded from the layer "
                      "(%d glyphs glimpsed)", page.number, n_read, len(cells), n_glimpsed)
            if wants_title and (page.number == 1 or _may_hold_title(top, learned)):
                content.lines = read_title_region(engine, prepared)
                title_found = find_title(content.lines) is not None
            timings["recognize"] = timings.get("recognize", 0.0) + time.perf_counter() - t
    finally:
        layer.close()


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
