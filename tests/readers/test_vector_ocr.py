"""The garbled-layer reader (pipeline.readers.vector_ocr): a report whose ToUnicode maps lie,
read right with most cells decoded from the layer, and the top of a table page read for a title
only where its layer, decoded, may show one."""
from __future__ import annotations

import json
import logging

import pipeline
from pipeline import scan
from pipeline.evaluate import compare_with_truth
from pipeline.layer_decode import CodeMap, Glyph
from pipeline.readers.vector_ocr import _may_hold_title

TABLE_PAGES = (2, 3, 4)       # the committed report: title and prose on 1, tables on 2-4


def _line(text: str, font: str = "F") -> list[Glyph]:
    return [Glyph((font, k), (10.0 * k, 0.0, 10.0 * k + 9, 9.0), (10.0 * k, -1.0, 10.0 * k + 10, 10.0), True)
            for k in range(len(text))]


def test_a_page_top_may_hold_a_title_unless_its_layer_shows_none():
    text = "本列数据的勾稽关系为"
    line = _line(text)
    learned = CodeMap(current={})
    assert _may_hold_title([], learned)                   # no glyph: the title may be a picture
    assert _may_hold_title([line], learned)               # glyphs nobody read yet
    learned.learn_glimpse([g.code for g in line], text, 0.99)
    assert not _may_hold_title([line], learned)
    # A comma nobody could tell is no 报 or 告; a character nobody could tell may be.
    comma = Glyph(("F", 99), (100.0, 7.0, 102.0, 9.0), (100.0, -1.0, 110.0, 10.0), True)
    assert not _may_hold_title([line + [comma]], learned)
    title = _line("年度报告", font="T")
    assert _may_hold_title([line, title], learned)
    learned.learn_glimpse([g.code for g in title], "年度报告", 0.99)
    assert _may_hold_title([line, title], learned)


def test_a_scrambled_report_reads_right_its_title_read_once(variants, monkeypatch, caplog):
    """The committed report (title and prose on page 1, tables on 2-4) with its digits
    scrambled: page 1's title is read on the lines its layer draws (no detector); the table
    pages are decoded and page 2's top, which the layer shows to hold no title, is not read for
    one."""
    path = variants["tounicode-digits"]
    truth = json.loads(path.with_suffix(".truth.json").read_text(encoding="utf-8"))
    read_for_title, detected = [], []
    real, real_boxes = scan.read_title_region, scan.line_boxes

    def counting(engine, prepared, *args):
        read_for_title.append(prepared.gray.shape)
        return real(engine, prepared, *args)

    def detecting(*args):
        detected.append(args[1].shape)
        return real_boxes(*args)

    monkeypatch.setattr(scan, "read_title_region", counting)
    monkeypatch.setattr(scan, "line_boxes", detecting)
    with caplog.at_level(logging.DEBUG, logger="pipeline.readers.vector_ocr"):
        data = pipeline.extract(path).to_json()
    result = compare_with_truth(data, truth)
    assert result["right"] == result["total"] and not result["silent_cells"]
    assert not data["needs_review"]
    assert (data["agency"], data["year"]) == (truth["agency"], truth["year"])
    assert len(read_for_title) == 1 and not detected
    assert all(p["read_by"] == "ocr" for p in data["pages"] if p["page"] in TABLE_PAGES)
    counts = [tuple(int(w) for w in r.getMessage().split(":")[1].split()[:3:2])
              for r in caplog.records if "cells read by OCR" in r.getMessage()]
    read, total = map(sum, zip(*counts))
    assert len(counts) == data["source"]["pages"] and read < 0.25 * total, counts
