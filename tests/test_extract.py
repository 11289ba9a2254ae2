"""The text-layer path end to end on the real sample, and bad inputs."""
from __future__ import annotations

import json
import random
import subprocess
import sys

import pikepdf
import pytest

import pipeline
from pipeline.types import InputError

from pipeline.evaluate import compare_with_truth

from conftest import COMMITTED, ROOT


def test_real_report_every_cell_right(real_pdf, real_truth):
    report = pipeline.extract(real_pdf)
    data = report.to_json()
    result = compare_with_truth(data, real_truth)
    assert result["wrong"] == {} and result["missing"] == [] and result["extra"] == []
    assert (data["version"], data["agency"], data["year"]) == ("2021", "淮安市人民政府", 2024)
    assert data["needs_review"] is False
    assert all(c["ok"] for c in data["checks"]) and len(data["checks"]) > 40
    assert {p["text_layer"] for p in data["pages"]} == {"good"}
    assert {p["read_by"] for p in data["pages"]} == {"text"}


def test_cells_carry_position_in_points_top_left(real_pdf):
    report = pipeline.extract(real_pdf)
    cell = next(c for c in report.cells if (c.table, c.row, c.column) == ("applications", "1", "total"))
    assert cell.text == "3119" and cell.page == 4
    x0, y0, x1, y1 = cell.bbox
    assert 0 < x0 < x1 < 595 and 0 < y0 < y1 < 842
    # Row 一 of table 三 is drawn a little below the middle of page 4 (about 466 pt from the top).
    assert 430 < y0 < 480


def test_trusted_text_layer_never_imports_paddle(real_pdf):
    code = ("import sys, dataclasses, pipeline; from pipeline.config import DEFAULT; "
            "pipeline.extract(sys.argv[1], dataclasses.replace(DEFAULT, verify_text_layer=False)); "
            "assert not any(m.startswith('paddle') for m in sys.modules), 'paddle imported'")
    subprocess.run([sys.executable, "-c", code, str(real_pdf)], check=True, cwd=ROOT)


def test_checked_text_layer_never_imports_paddle(real_pdf):
    """The default path checks the layer by OCR, with the second recognizer: a report whose
    layers are good never waits for paddle, and every cell is confirmed by its layer."""
    code = ("import sys, pipeline; r = pipeline.extract(sys.argv[1]); "
            "assert not any(m.startswith('paddle') for m in sys.modules), 'paddle imported'; "
            "assert all('text_layer' in c.evidence for c in r.cells) and not r.needs_review")
    subprocess.run([sys.executable, "-c", code, str(real_pdf)], check=True, cwd=ROOT)


def _bad_inputs(tmp_path, real_pdf):
    files = {}
    files["empty.pdf"] = b""
    files["text.pdf"] = "这不是PDF文件".encode()
    files["truncated.pdf"] = real_pdf.read_bytes()[:2000]
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    with pikepdf.open(real_pdf) as pdf:
        pdf.save(tmp_path / "encrypted.pdf", encryption=pikepdf.Encryption(user="secret", owner="o"))
        del pdf.pages[2:]
        pdf.save(tmp_path / "prose-only.pdf")       # a real PDF, but no report tables in it
    blank = pikepdf.new()
    page = blank.add_blank_page(page_size=(600, 800))
    page.obj.MediaBox = pikepdf.Array([0, 0, 200000, 200000])   # beyond what PDF allows
    blank.save(tmp_path / "huge-page.pdf")
    (tmp_path / "damaged-tables.pdf").write_bytes(damage_streams(real_pdf.read_bytes(), TABLE_STREAMS))
    return {   # each file's reason begins so
        "empty.pdf": "empty file (0 bytes)", "text.pdf": "not a PDF (no %PDF- header)",
        "truncated.pdf": "truncated PDF: the file ends before its end marker (%%EOF)",
        "encrypted.pdf": "encrypted PDF: a password is needed to open it",
        "prose-only.pdf": "not a government-information-disclosure annual report: "
                          "none of the template's tables was found",
        "huge-page.pdf": "page 1 has an absurd size",
        "damaged-tables.pdf": "damaged PDF: 3 objects or streams could not be read; "
                              "no table found in what could",
    }


# The content streams of the real report's three table pages (pages 3, 4, 5).
TABLE_STREAMS = (37, 49, 56)


def damage_streams(data: bytes, numbers) -> bytes:
    """The file with the data of these objects' streams replaced by junk of the same length, as a
    bad download leaves it: the file opens, those pages draw nothing."""
    buf = bytearray(data)
    rng = random.Random(7)
    for number in numbers:
        head = buf.index(f"\n{number} 0 obj".encode())
        start = buf.index(b"stream", head) + len(b"stream")
        start += 2 if buf[start:start + 2] == b"\r\n" else 1
        end = buf.index(b"endstream", start)
        buf[start:end] = rng.randbytes(end - start)
    return bytes(buf)


def test_bad_inputs_give_clear_reasons(tmp_path, real_pdf):
    expected = _bad_inputs(tmp_path, real_pdf)
    for name, reason in expected.items():
        with pytest.raises(InputError) as err:
            pipeline.extract(tmp_path / name)
        assert str(err.value).startswith(reason), (name, str(err.value))
        assert "\n" not in str(err.value)


def test_cli_goes_on_after_bad_files(tmp_path, real_pdf):
    inputs = tmp_path / "in"
    inputs.mkdir()
    expected = _bad_inputs(inputs, real_pdf)
    (inputs / "sub").mkdir()
    (inputs / "sub" / "huaian.pdf").write_bytes(real_pdf.read_bytes())
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "pipeline", "extract", str(inputs), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert json.loads((out / "sub" / "huaian.json").read_text(encoding="utf-8"))["year"] == 2024
    for name in expected:
        stem = name[:-4]
        assert (out / f"{stem}.error.json").exists(), name
        assert not (out / f"{stem}.json").exists()
        assert any(line.startswith(str(inputs / name)) for line in proc.stderr.splitlines())


def test_cli_wrong_command_line_exits_2():
    proc = subprocess.run([sys.executable, "-m", "pipeline", "extract"], capture_output=True, cwd=ROOT)
    assert proc.returncode == 2


def test_a_count_read_with_a_fraction_is_doubtful_and_offers_its_digits():
    """Every template cell but an amount of money is a count: "11.4" there is a speck read as a
    point (both readers of a 1-bit scan did), never a value to confirm; the digits alone are
    offered to the identities. An amount keeps its fraction."""
    from pipeline.config import DEFAULT
    from pipeline.evidence import FRACTION_FLAG, is_definite
    from pipeline.extract import _cell_of
    from pipeline.match import MatchedCell
    from pipeline.types import GridCell

    def read(column, text):
        src = GridCell(0, 0, 1, 1, (0, 0, 10, 10), text, 0.98)
        table, row = ("active", "20.8/fees") if column == "amount" else ("applications", "3.4.1")
        return _cell_of(MatchedCell(table, row, column, src, 4), DEFAULT)

    count = read("natural_person", "11.4")
    assert FRACTION_FLAG in count.flags and not is_definite(count, DEFAULT.min_confidence)
    assert (114, pytest.approx(0.49)) in count.candidates
    money = read("amount", "11.4")
    assert money.value == 11.4 and FRACTION_FLAG not in money.flags


def test_a_value_read_below_zero_is_doubtful_and_gives_way_to_a_second_reading():
    """No template cell but a change (本年增/减) is below zero: "-1" is a stroke before a 1 taken
    for a minus (a harsh scan's). Doubtful, and the second reader's "1" becomes its value, read
    by it alone, so that only the identities may confirm it. A change keeps its sign."""
    from pipeline.config import DEFAULT
    from pipeline.evidence import NEGATIVE_FLAG, SECOND_ONLY_FLAG, is_definite
    from pipeline.extract import _cell_of, read_twice
    from pipeline.match import MatchedCell
    from pipeline.types import GridCell

    src = GridCell(0, 0, 1, 1, (0, 0, 10, 10), "-1", 0.96)
    cell = _cell_of(MatchedCell("applications", "3.7", "research", src, 3), DEFAULT)
    assert cell.value == -1 and NEGATIVE_FLAG in cell.flags and not is_definite(cell, DEFAULT.min_confidence)
    cell.second_reading = ("1", 0.97)
    read_twice([cell], DEFAULT, {})
    assert cell.value == 1 and SECOND_ONLY_FLAG in cell.flags
    assert (-1, "-1", "first_reader") in cell.alternatives
    change = _cell_of(MatchedCell("active", "20.6/penalty", "change", GridCell(0, 0, 1, 1, (0, 0, 10, 10), "-13", 0.99), 2),
                      DEFAULT)
    assert change.value == -13 and NEGATIVE_FLAG not in change.flags and is_definite(change, DEFAULT.min_confidence)


def test_a_number_read_with_a_leading_zero_is_never_confirmed():
    """No table prints "01": where the rule between two cells was lost, "0" and "1" side by side
    were read as one number by both readers alike (a silent 1 on a streaked scan). Doubtful;
    "0", "0.5" and "10" are read as ever."""
    from pipeline.config import DEFAULT
    from pipeline.evidence import LEADING_ZERO_FLAG, is_definite
    from pipeline.extract import _cell_of
    from pipeline.match import MatchedCell
    from pipeline.types import GridCell

    def read(text, column="pending"):
        src = GridCell(0, 0, 1, 1, (0, 0, 10, 10), text, 0.99)
        table, row = ("active", "20.8/fees") if column == "amount" else ("review", "all")
        return _cell_of(MatchedCell(table, row, column if column == "amount" else "review." + column, src, 4),
                        DEFAULT)

    for text in ("01", "o1", "007"):
        cell = read(text)
        assert LEADING_ZERO_FLAG in cell.flags and not is_definite(cell, DEFAULT.min_confidence), text
    for text, column in (("0", "pending"), ("10", "pending"), ("0.5", "amount")):
        cell = read(text, column)
        assert LEADING_ZERO_FLAG not in cell.flags and is_definite(cell, DEFAULT.min_confidence), text


def test_a_searchable_layer_holds_numbers_as_read_not_as_spelled():
    """The recognizer may write a 0 as "o" or "。"; the number read is 0, and that is what a
    searchable layer built from the reading holds, with the unit and separators the cell prints.
    Other text is kept as read."""
    from pipeline.extract import _as_printed
    assert [_as_printed(t) for t in ("o", "。", "7730.28", "12", "信息内容", "—", "22（其中修订16件）",
                                     "3656911.44元", "1,234")] == \
        ["0", "0", "7730.28", "12", "信息内容", "—", "22（其中修订16件）", "3656911.44元", "1,234"]


@pytest.mark.parametrize("lying_map", [False, True])
def test_pages_stored_turned_are_read_as_displayed(tmp_path, real_pdf, real_truth, lying_map):
    """Every page stored turned (content drawn rotated, /Rotate turning it back): the layer's text
    and rulings are where the page shows them, whether the layer is good or lies by its fonts'
    maps (read then through codes that OCR of the upright glyphs tells)."""
    from samples.degrade import ToUnicodeRecipe, scramble_tounicode, turn_page

    source = real_pdf
    if lying_map:
        source = tmp_path / "lying.pdf"
        scramble_tounicode(real_pdf, source, ToUnicodeRecipe(digits=True, cjk=True))
    turned = tmp_path / "turned.pdf"
    with pikepdf.open(source) as pdf:
        for page, turn in zip(pdf.pages, [90, 180, 270] * 3):
            turn_page(pdf, page, turn)
        pdf.save(turned)
    data = pipeline.extract(turned).to_json()
    result = compare_with_truth(data, real_truth)
    assert result["fully_right"] and not data["needs_review"]
    assert {p["text_layer"] for p in data["pages"]} == {"garbled" if lying_map else "good"}


def test_pages_shown_sideways_are_read_from_their_pixels(tmp_path):
    """A born-digital report whose pages a wrong /Rotate shows sideways or upside down: its layer
    runs across the page as displayed, so the pages are read as a turned scan is."""
    import pypdfium2 as pdfium

    source = ROOT / "samples" / "committed" / "synth-2024-002-2021.pdf"
    truth = json.loads(source.with_suffix(".truth.json").read_text(encoding="utf-8"))
    shown = tmp_path / "sideways.pdf"
    document = pdfium.PdfDocument(source)
    for index, turn in zip(range(len(document)), [90, 180, 270, 90, 180, 270]):
        document[index].set_rotation(turn)
    document.save(shown)
    document.close()
    data = pipeline.extract(shown).to_json()
    assert compare_with_truth(data, truth)["fully_right"] and not data["needs_review"]
    assert {p["read_by"] for p in data["pages"]} == {"ocr"}


def test_pages_fed_back_to_front_are_matched_in_reverse(tmp_path):
    """A stack scanned back to front: table 三, continued on the next page, now continues on the
    page before, and in the pages' order its rows were lost (130 of 200 cells found). Read last
    page first (its title is there, none on the first), every cell is read and the title found."""
    from pipeline import pdf as pdfio
    from pipeline.config import DEFAULT
    from pipeline.match import match_document
    from pipeline.readers import read_pages

    src = COMMITTED / "synth-2024-002-2021.pdf"
    backwards = tmp_path / src.name
    with pikepdf.open(src) as pdf, pikepdf.new() as new:
        for page in reversed(pdf.pages):
            new.pages.append(page)
        new.save(backwards)
    doc = pdfio.open_document(backwards, DEFAULT)
    try:
        contents = read_pages(doc, DEFAULT, {})
    finally:
        doc.close()
    in_order = match_document([g for c in contents for g in c.grids])
    assert sum(c.source is not None for c in in_order.cells) < 150
    data = pipeline.extract(backwards).to_json()
    truth = json.loads(src.with_suffix(".truth.json").read_text(encoding="utf-8"))
    result = compare_with_truth(data, truth)
    assert result["right"] == result["total"] and not result["silent_cells"]
    assert (data["agency"], data["year"]) == (truth["agency"], truth["year"]) and not data["needs_review"]
    assert [p["page"] for p in data["pages"]] == list(range(1, len(data["pages"]) + 1))


def test_a_report_fed_back_to_front_is_one_report(tmp_path, real_pdf, real_truth):
    """The real report back to front: its tables 二 and 三 each over two pages, table 二 came
    again after 三 and 四 in the pages' order, as a second report's would, and the last three
    pages were dropped as "another report" (7 cells lost, title not found)."""
    backwards = tmp_path / "backwards.pdf"
    with pikepdf.open(real_pdf) as pdf, pikepdf.new() as new:
        for page in reversed(pdf.pages):
            new.pages.append(page)
        new.save(backwards)
    data = pipeline.extract(backwards).to_json()
    result = compare_with_truth(data, real_truth)
    assert result["right"] == result["total"] and not result["silent_cells"]
    assert (data["agency"], data["year"]) == (real_truth["agency"], real_truth["year"])
    assert not data["document_issues"] and not data["needs_review"]


def test_a_title_page_filed_last_does_not_turn_the_report_around(tmp_path, real_pdf, real_truth):
    """The title on the last page and none on the first is a stack back to front only where the
    tables do not begin with table 二: a title page filed after the rest leaves the order as it is."""
    moved = tmp_path / "title-last.pdf"
    with pikepdf.open(real_pdf) as pdf, pikepdf.new() as new:
        for page in list(pdf.pages[1:]) + [pdf.pages[0]]:
            new.pages.append(page)
        new.save(moved)
    data = pipeline.extract(moved).to_json()
    result = compare_with_truth(data, real_truth)
    assert result["right"] == result["total"] and not data["document_issues"]


@pytest.mark.parametrize("angle", [None, 0.0])
def test_a_watermark_over_the_text_is_not_read_into_the_cells(tmp_path, angle):
    """A report as sites publish it, their watermark tiled over every page as text of the layer:
    slanted (25-45 degrees) or level, light grey at part opacity. Its characters fell into the
    cells ("0 考": unreadable; 20 and 39 of this report's 200 cells lost), and elsewhere turned
    a landscape page's verdict to "sideways" or made a layer look garbled, whose decoding then
    put a value on the wrong row, confirmed. They are no part of the layer's text: the report
    reads as without them."""
    from samples.degrade import WatermarkRecipe, make_watermarked

    source = COMMITTED / "synth-2024-002-2021.pdf"
    recipe = WatermarkRecipe() if angle is None else WatermarkRecipe(angle_min_deg=angle, angle_max_deg=angle)
    out = tmp_path / source.name
    mark = make_watermarked(source, out, recipe, label=f"watermark/{source.stem}")
    assert (mark["angle_deg"] == 0.0) == (angle == 0.0)
    data = pipeline.extract(out).to_json()
    truth = json.loads(source.with_suffix(".truth.json").read_text(encoding="utf-8"))
    result = compare_with_truth(data, truth)
    assert result["right"] == result["total"] and result["fully_right"], result["wrong"]
    assert data["needs_review"] is False
    assert {p["read_by"] for p in data["pages"]} == {"text"}
    assert {p["text_layer"] for p in data["pages"]} == {"good"}
