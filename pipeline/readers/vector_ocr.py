"""Pages whose layer lies but whose rulings are vector: camelot's grid; the text decoded from the
layer through a code map that OCR of some of its cells teaches (pipeline.layer_decode), and read
by OCR wherever a code is not settled.

The page is drawn right (only its character map lies), so its render needs no preparation.
"""
from __future__ import annotations

import logging
import time
from collections import Counter

from ..config import Config
from ..types import PageContent
from .page import Page

log = logging.getLogger(__name__)


def read(items: list[tuple[Page, PageContent]], config: Config, timings: dict) -> None:
    from ..layer_decode import ROUND_CELLS, CodeMap, LayerCodes
    from ..ocr import get_engine
    from ..scan import _unprepared, read_cells, read_title_region, second_look_reader, without_rulings
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
            codes = layer.in_boxes(page.index, [cell.bbox for cell in cells])
            text_image = without_rulings(prepared)
            # No glyph in the layer (a blank, or a mark drawn as a path) or one that cannot be
            # told: read from the pixels; the rest decoded once their codes are settled.
            pending = [k for k, c in enumerate(codes) if c]
            read_cells(engine, prepared, [cells[k] for k, c in enumerate(codes) if not c], text_image)
            n_read = len(cells) - len(pending)
            while pending:
                undecoded = []
                for k in pending:
                    decoded = learned.decode(codes[k])
                    if decoded is None:
                        undecoded.append(k)
                    else:
                        cells[k].text, cells[k].confidence = decoded
                        cells[k].alternatives = []
                if not undecoded:
                    break
                # First the cells whose unsettled codes recur in the most other cells (digits):
                # what they teach decodes those; a label of rare characters is read in the end.
                unsettled = {k: {c for c in codes[k] if learned.settled(c) is None} for k in undecoded}
                recurring = Counter(c for k in undecoded for c in unsettled[k])
                undecoded.sort(key=lambda k: -sum(recurring[c] - 1 for c in unsettled[k]))
                batch, pending = undecoded[:ROUND_CELLS], undecoded[ROUND_CELLS:]
                read_cells(engine, prepared, [cells[k] for k in batch], text_image)
                n_read += len(batch)
                for k in batch:
                    learned.learn(codes[k], cells[k].text, cells[k].confidence)
            log.debug("page %d: %d of %d cells read by OCR, the rest decoded from the layer",
                      page.number, n_read, len(cells))
            if content.info.page <= config.title_pages and not title_found:
                content.lines = read_title_region(engine, prepared)
                title_found = find_title(content.lines) is not None
            timings["recognize"] = timings.get("recognize", 0.0) + time.perf_counter() - t
    finally:
        layer.close()
