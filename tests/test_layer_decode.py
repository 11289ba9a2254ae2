"""A garbled layer decoded through a code map learned by OCR (pipeline.layer_decode)."""
from __future__ import annotations

import json
import logging
import shutil

import pytest

from pipeline import pdf as pdfio
from pipeline.config import DEFAULT, ROOT
from pipeline.evaluate import compare_with_truth
from pipeline.layer_decode import CodeMap, LayerCodes
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


@pytest.fixture(scope="module")
def scrambled(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    pdf = ROOT / "samples" / "committed" / "synth-2024-002-2021.pdf"
    shutil.copy(pdf, src / pdf.name)
    shutil.copy(pdf.with_suffix(".truth.json"), src / pdf.with_suffix(".truth.json").name)
    out = write_variant(src / pdf.name, tmp_path_factory.mktemp("garbled"), "tounicode-both", seed=2)
    return out, json.loads(out.with_suffix(".truth.json").read_text(encoding="utf-8"))


def test_each_glyph_names_its_font_and_code(scrambled):
    """Two subsets of one font (pdfium names both alike) keep their codes apart."""
    out, _ = scrambled
    doc = pdfio.open_document(out, DEFAULT)
    layer = LayerCodes(doc)
    try:
        width, height = pdfio.page_size(doc.pdf, 0)
        codes, = layer.in_boxes(0, [(0, 0, width, height)])
        assert codes and all(code in layer.current for code in codes)
        assert len({font for font, _ in codes}) >= 2
    finally:
        layer.close()
        doc.close()


@pytest.mark.slow
def test_a_garbled_report_reads_right_with_most_value_cells_decoded(scrambled, caplog):
    import pipeline
    out, truth = scrambled
    with caplog.at_level(logging.DEBUG, logger="pipeline.readers.vector_ocr"):
        data = pipeline.extract(out).to_json()
    result = compare_with_truth(data, truth)
    assert result["right"] == result["total"] and not result["silent_cells"]
    counts = [tuple(int(w) for w in r.getMessage().split(":")[1].split()[:3:2])
              for r in caplog.records if "cells read by OCR" in r.getMessage()]
    read, total = map(sum, zip(*counts))
    assert read < 0.7 * total, counts
