"""A garbled layer decoded through a code map learned by OCR (pipeline.layer_decode)."""
from __future__ import annotations

import json
import logging
import shutil
import unicodedata

import numpy as np
import pytest

from pipeline import pdf as pdfio
from pipeline.config import DEFAULT, ROOT
from pipeline.evaluate import compare_with_truth
from pipeline.layer_decode import (GLIMPSE_HEIGHT, GLIMPSE_WIDTH, CodeMap, Glyph, LayerCodes,
                                   glimpse_lines, glimpse_units, reading_lines)
from samples.degrade import write_variant

A, B, C = ("F", 1), ("F", 2), ("G", 1)


def test_a_code_is_settled_by_two_witnesses_and_never_against_a_third():
    learned = CodeMap(current={A: "7", B: "2", C: "5"})
    learned.learn([A, B], "31", 0.99)
    assert learned.settled(A) is None          # one reading, and the layer says otherwise
    assert learned.settled(B) is None
    learned.learn([A], "3", 0.95)
    assert learned.settled(A) == "3"           # two readings alike
    learned.learn([C], "5", 0.97)
    assert learned.settled(C) == "5"           # one reading and the layer's own map alike
    learned.learn([A], "8", 0.99)
    assert learned.settled(A) is None          # read as another once: not settled any more
    assert learned.decode([C, C]) == ("55", 0.97)
    assert learned.decode([A, C]) is None and learned.decode([]) is None


def test_hesitant_or_misaligned_readings_teach_nothing():
    learned = CodeMap(current={})
    learned.learn([A, B], "3", 0.99)           # a glyph lost: no pairing
    learned.learn([A, B], "31", 0.6)           # hesitant
    assert not learned.votes
    learned.learn([A, B], "3 1", 0.99)         # spaces aside, one to one
    assert learned.votes[A]["3"] == 1 and learned.votes[B]["1"] == 1


# --- glimpses: known codes, labels decoded, values never ------------------------------------

def test_a_glimpse_makes_a_code_known_not_settled():
    learned = CodeMap(current={A: "甲", B: "乙"})
    learned.learn_glimpse([A, B], "申请", 0.98)
    assert learned.known(A) == "申" and learned.known(B) == "请"
    assert learned.settled(A) is None and learned.decode([A, B]) is None
    assert learned.decode_label([A, B]) == ("申请", 0.98)
    learned.learn([A], "由", 0.99)             # a reading of a cell says otherwise: not known
    assert learned.known(A) is None and learned.decode_label([A, B]) is None
    learned.learn([A], "由", 0.99)             # two readings of cells settle it, the glimpse aside
    assert learned.known(A) == learned.settled(A) == "由"


def test_a_glimpse_the_recognizer_hesitated_over_teaches_only_the_sure_glyphs():
    learned = CodeMap(current={})
    D = ("F", 4)
    learned.learn_glimpse([A, B, C], "申请人", 0.97, [("申清人", 0.4)])
    assert learned.known(A) == "申" and learned.known(B) is None and learned.known(C) == "人"
    # The best reading has a glyph too many; the likeliest reading of as many glyphs is taken,
    # the glyphs beside the one it drops in doubt.
    learned = CodeMap(current={})
    learned.learn_glimpse([A, B, C, D], "一、·新府", 0.96, [("一、新府", 0.95)])
    assert learned.known(A) == "一" and learned.known(D) == "府"
    assert learned.known(B) is None and learned.known(C) is None
    learned = CodeMap(current={})
    learned.learn_glimpse([A, B], "申请", 0.8)            # hesitant
    learned.learn_glimpse([A, B], "申请人", 0.99)         # no pairing
    assert not learned.glimpses


@pytest.mark.parametrize("text", ["12", "3.5", "22（其中修订16件）", "3万元", "无", "—", "一", "一一", "/", ""])
def test_glimpses_never_decode_a_value_or_a_blank_mark(text):
    """Only readings of cells settle what a value cell prints: a value, a blank mark, or a blank
    mark glimpsed as a Chinese character ("—" as "一") is never decoded from known codes."""
    codes = [("F", k) for k in range(len(text))]
    learned = CodeMap(current={})
    learned.learn_glimpse(codes, text, 0.99)
    assert learned.decode(codes) is None and learned.decode_label(codes) is None


def test_a_label_of_known_codes_decodes_with_its_numbering():
    text = "2、其他法律行政法规禁止公开"
    codes = [("F", k) for k in range(len(text))]
    learned = CodeMap(current={})
    learned.learn_glimpse(codes[:8], text[:8], 0.99)
    assert learned.decode_label(codes) is None             # a code nobody read yet
    assert learned.wanted(codes) == set(codes[8:])
    learned.learn_glimpse(codes[8:], text[8:], 0.95)
    assert learned.decode_label(codes) == (text, 0.95)


def test_cells_to_read_are_those_that_teach_the_most_at_least_cost():
    """Numbers of several digits before lone digits; a cell whose code readings of cells
    disagree on (it never settles) is read first, whatever it costs."""
    digits = {d: ("N", d) for d in range(10)}
    learned = CodeMap(current={})
    cells = {0: [digits[0]], 1: [digits[0]], 2: [digits[1], digits[0]], 3: [digits[2], digits[0]],
             4: [digits[1], digits[2]], 5: [digits[5]]}
    sizes = {k: 3 for k in cells}
    chosen = learned.to_read(cells, sizes, limit=3)
    assert 0 not in chosen and 1 not in chosen and len(chosen) == 3
    learned.learn([digits[5]], "5", 0.99)
    learned.learn([digits[5]], "6", 0.99)                 # readings disagree: 5 never settles
    assert learned.needed(digits[5]) is None
    assert learned.to_read(cells, sizes, limit=1)[0] == 5


def test_a_lone_glyph_read_unsurely_twice_is_read_in_all_its_cells_at_once():
    """A lone "0" reads at ~0.8 each time, below what teaches: where no cell of more glyphs is
    left to settle it, its cells are read in one round (they were read two a round, one round
    per recognizer call: 70 rounds on a page of zeros). Cells of more glyphs still come first."""
    zero, one = ("N", 0), ("N", 1)
    learned = CodeMap(current={})
    lone = {k: [zero] for k in range(40)}
    sizes = {k: 3 for k in range(41)}
    assert len(learned.to_read(lone, sizes, limit=24)) == 1      # unread yet: one reading first
    learned.learn([zero], "0", 0.8)
    learned.learn([zero], "0", 0.8)
    assert not learned.votes and learned.settled(zero) is None
    assert sorted(learned.to_read(lone, sizes, limit=24)) == list(range(40))
    # A number with a 0 in it may still settle it: read first, the lone ones wait.
    assert learned.to_read({**lone, 40: [one, zero]}, sizes, limit=24) == [40]


# --- reading order, glimpse lines -------------------------------------------------------------

def _glyph(code, x, top, bottom, width=10.0, upright=True, loose=(-2.0, 12.0)):
    return Glyph(code, (x, top, x + width, bottom), (x, loose[0] + 0.0, x + width, loose[1]), upright)


def test_marks_low_or_high_on_a_line_stay_in_it():
    """A point sits on the baseline, a quotation mark near the top and "一" in the middle: their
    centres lie far from the line's, and the cell's codes must still pair with OCR's reading in
    order. (Boxes of "3、危及“三安全一稳定”" as a scrambled report draws them.)"""
    loose = (558.2, 566.2)
    row = [("3", 146.0, 559.0, 564.7, 4.1), ("、", 151.2, 564.0, 565.6, 1.6), ("危", 158.6, 558.1, 565.4, 7.6),
           ("“", 174.8, 558.8, 560.6, 2.0), ("三", 177.4, 558.6, 565.0, 7.2), ("一", 201.5, 561.2, 561.8, 7.1),
           ("”", 225.4, 558.9, 560.7, 2.0)]
    glyphs = [_glyph(("F", ch), x, top, bottom, width=w, loose=loose) for ch, x, top, bottom, w in row]
    below = [_glyph(("F", ch), 146.0 + 8 * k, 570.0, 577.5, width=7.5, loose=(569.5, 577.5))
             for k, ch in enumerate("申请")]
    lines = reading_lines(below + glyphs[::-1])
    assert ["".join(g.code[1] for g in line) for line in lines] == ["3、危“三一”", "申请"]


def test_glimpse_units_skip_turned_glyphs_and_pair_marks_with_a_neighbour():
    big, point, turned = _glyph(("F", 1), 0, 0.0, 10.0), _glyph(("F", 2), 10, 8.5, 10.0, width=3), \
        _glyph(("F", 3), 13, 0.0, 10.0, upright=False)
    units = glimpse_units([[big, point, turned]], {("F", 1), ("F", 2), ("F", 3)})
    assert [[g.code for g in u] for u in units] == [[("F", 1)], [("F", 1), ("F", 2)]]


def test_glimpse_lines_hold_each_glyph_once_within_the_width():
    image = np.full((400, 2000), 255, np.uint8)
    glyphs = [_glyph(("F", k), 20 + 14 * k, 20.0, 30.0, width=12, loose=(18.0, 32.0)) for k in range(100)]
    lines = glimpse_lines(image, [[g] for g in glyphs], points_per_pixel=1.0)
    assert [c for _, codes in lines for c in codes] == [g.code for g in glyphs]
    assert all(im.shape[0] == GLIMPSE_HEIGHT and im.shape[1] <= GLIMPSE_WIDTH for im, _ in lines)


# --- on a scrambled report --------------------------------------------------------------------

@pytest.fixture(scope="module")
def scrambled(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    pdf = ROOT / "samples" / "committed" / "synth-2024-002-2021.pdf"
    shutil.copy(pdf, src / pdf.name)
    shutil.copy(pdf.with_suffix(".truth.json"), src / pdf.with_suffix(".truth.json").name)
    out = write_variant(src / pdf.name, tmp_path_factory.mktemp("garbled"), "tounicode-both", seed=2)
    return out, json.loads(out.with_suffix(".truth.json").read_text(encoding="utf-8"))


def test_each_glyph_names_its_font_and_code(scrambled):
    """Two subsets of one font (pdfium names both alike) keep their codes apart; glyphs drawn
    turned (a column header set sideways) are told apart from upright ones."""
    out, _ = scrambled
    doc = pdfio.open_document(out, DEFAULT)
    layer = LayerCodes(doc)
    try:
        width, height = pdfio.page_size(doc.pdf, 0)
        codes, = layer.in_boxes(0, [(0, 0, width, height)])
        assert codes and all(code in layer.current for code in codes)
        assert len({font for font, _ in codes}) >= 2
        glyphs = layer.glyphs(1)
        assert any(not g.upright for g in glyphs) and sum(g.upright for g in glyphs) > 0.9 * len(glyphs)
    finally:
        layer.close()
        doc.close()


def test_glimpses_read_the_glyphs_of_a_scrambled_layer(scrambled):
    """Every code of the table pages glimpsed once: what becomes known is what the clean
    document's map says, all but a few glyphs known."""
    from pipeline.ocr import get_engine
    from pipeline.readers import open_pages
    from pipeline.readers.text import find_vector_grids
    from pipeline.scan import _unprepared, without_rulings
    from pipeline.searchable import probe_fonts

    out, _ = scrambled
    clean = ROOT / "samples" / "committed" / "synth-2024-002-2021.pdf"
    true = {(font, code): text for font, probe in probe_fonts(clean)[1].items()
            for code, text in probe.current.items()}
    engine = get_engine(DEFAULT)
    doc = pdfio.open_document(out, DEFAULT)
    layer = LayerCodes(doc)
    learned = CodeMap(layer.current)
    try:
        pages = open_pages(doc, DEFAULT, ["garbled"] * doc.n_pages)
        find_vector_grids(pages, DEFAULT)
        glimpsed = set()
        for page in (p for p in pages if p.vector_grids):
            cells = [cell for grid in page.vector_grids for cell in grid.cells]
            boxes = [c.bbox for c in cells]
            lines = [line for ls in layer.glyphs_in_boxes(page.index, boxes) for line in ls or ()]
            wanted = {g.code for line in lines for g in line} - glimpsed
            glimpsed |= wanted
            prepared = _unprepared(pdfio.render_page(doc.pdf, page.index, DEFAULT.scan_dpi), DEFAULT.scan_dpi)
            shown = glimpse_lines(without_rulings(prepared), glimpse_units(lines, wanted),
                                  prepared.points_per_pixel)
            for (_, codes), reading in zip(shown, engine.recognize([image for image, _ in shown])):
                learned.learn_glimpse(codes, reading.text, reading.confidence, reading.alternatives)
    finally:
        layer.close()
        doc.close()
    known = {code: learned.known(code) for code in glimpsed}
    wrong = {code: ch for code, ch in known.items()
             if ch is not None and {ch, true[code]} != {"一", "—"}
             and unicodedata.normalize("NFKC", ch) != unicodedata.normalize("NFKC", true[code])}
    assert not wrong
    assert sum(ch is not None for ch in known.values()) >= 0.95 * len(known)


@pytest.mark.slow
def test_a_garbled_report_reads_right_with_most_cells_decoded(scrambled, caplog):
    import pipeline
    out, truth = scrambled
    with caplog.at_level(logging.DEBUG, logger="pipeline.readers.vector_ocr"):
        data = pipeline.extract(out).to_json()
    result = compare_with_truth(data, truth)
    assert result["right"] == result["total"] and not result["silent_cells"]
    assert not data["needs_review"]
    counts = [tuple(int(w) for w in r.getMessage().split(":")[1].split()[:3:2])
              for r in caplog.records if "cells read by OCR" in r.getMessage()]
    read, total = map(sum, zip(*counts))
    assert read < 0.25 * total, counts
