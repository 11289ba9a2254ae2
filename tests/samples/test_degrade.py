"""Degraded variants of the real Huai'an report: each damage is there, measurable, and valid PDF."""
from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest

from samples import degrade

TABLE_PAGE = 3  # page "- 4 -": the active-disclosure tail and the applications table, full of digits
DPI = 200


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory, real_pdf) -> Path:
    """A one-page copy of the real report's table page, with its truth file beside it."""
    folder = tmp_path_factory.mktemp("clean")
    with pikepdf.open(real_pdf) as source, pikepdf.new() as subset:
        subset.pages.append(source.pages[TABLE_PAGE])
        subset.save(folder / "huaian-p4.pdf")
    shutil.copyfile(real_pdf.with_suffix(".truth.json"), folder / "huaian-p4.truth.json")
    return folder


@pytest.fixture(scope="module")
def clean_pdf(clean_dir) -> Path:
    return clean_dir / "huaian-p4.pdf"


def render_rgb(path: Path, dpi: int, page: int = 0) -> np.ndarray:
    document = pdfium.PdfDocument(str(path))
    try:
        return np.asarray(document[page].render(scale=dpi / 72.0).to_pil().convert("RGB")).copy()
    finally:
        document.close()


def page_text(path: Path, page: int = 0) -> str:
    document = pdfium.PdfDocument(str(path))
    try:
        return document[page].get_textpage().get_text_range()
    finally:
        document.close()


def page_char_count(path: Path) -> int:
    document = pdfium.PdfDocument(str(path))
    try:
        return sum(document[i].get_textpage().count_chars() for i in range(len(document)))
    finally:
        document.close()


def has_font_resources(pdf: pikepdf.Pdf) -> bool:
    return any(isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font for obj in pdf.objects)


def measured_skew_ccw(rgb: np.ndarray) -> float:
    """Skew from the long horizontal rulings (Hough), counter-clockwise positive as seen."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    ink = ((gray < 140) * 255).astype(np.uint8)
    segments = cv2.HoughLinesP(ink, 1, np.pi / 3600, threshold=300, minLineLength=3 * DPI, maxLineGap=8)
    angles, weights = [], []
    for x1, y1, x2, y2 in segments[:, 0]:
        angle = math.degrees(math.atan2(y2 - y1, x2 - x1))
        if abs(angle) < 10:
            angles.append(angle)
            weights.append(math.hypot(x2 - x1, y2 - y1))
    assert angles, "no rulings found"
    order = np.argsort(angles)
    cumulative = np.cumsum(np.array(weights)[order])
    median = np.array(angles)[order][np.searchsorted(cumulative, cumulative[-1] / 2)]
    return -float(median)  # image y points down, so a counter-clockwise turn tilts lines upwards


def digit_boxes(path: Path, dpi: int) -> list[tuple[int, int, int, int]]:
    """Pixel boxes of the digits in the clean page's text layer."""
    document = pdfium.PdfDocument(str(path))
    try:
        page = document[0]
        height_pt = page.get_height()
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        scale = dpi / 72.0
        boxes = []
        for index, char in enumerate(text[:textpage.count_chars()]):
            if char.isdigit():
                left, bottom, right, top = textpage.get_charbox(index)
                boxes.append((int(left * scale), int((height_pt - top) * scale),
                              int(math.ceil(right * scale)), int(math.ceil((height_pt - bottom) * scale))))
        return boxes
    finally:
        document.close()


def red_mask(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    return (r > 140) & (r - g > 70) & (r - b > 70)


# --- scans ------------------------------------------------------------------------------------

def test_scan_has_no_text_layer_and_the_page_size_of_its_pixels(clean_pdf, tmp_path):
    out = tmp_path / "scan.pdf"
    records = degrade.make_scan(clean_pdf, out, degrade.VARIANTS["scan200"], seed=3)
    assert page_char_count(out) == 0
    with pikepdf.open(out) as pdf:
        assert not has_font_resources(pdf)
        page = pdf.pages[0]
        images = list(page.Resources.XObject.values())
        assert len(images) == 1 and images[0].Filter == pikepdf.Name.DCTDecode
        width_px, height_px = int(images[0].Width), int(images[0].Height)
        _, _, width_pt, height_pt = (float(v) for v in page.MediaBox)
    assert (width_px, height_px) == (records[0].width_px, records[0].height_px)
    assert width_pt == pytest.approx(width_px * 72 / DPI, abs=0.01)
    assert height_pt == pytest.approx(height_px * 72 / DPI, abs=0.01)
    assert width_pt == pytest.approx(595, abs=0.5) and height_pt == pytest.approx(842, abs=0.5)
    assert 50_000 < out.stat().st_size < 600_000


def test_same_seed_same_bytes_other_seed_other_bytes(clean_pdf, tmp_path):
    recipe = degrade.VARIANTS["scan200-harsh"]
    degrade.make_scan(clean_pdf, tmp_path / "a.pdf", recipe, seed=5)
    degrade.make_scan(clean_pdf, tmp_path / "b.pdf", recipe, seed=5)
    degrade.make_scan(clean_pdf, tmp_path / "c.pdf", recipe, seed=6)
    assert jpeg_of(tmp_path / "a.pdf") == jpeg_of(tmp_path / "b.pdf")
    assert jpeg_of(tmp_path / "a.pdf") != jpeg_of(tmp_path / "c.pdf")


def jpeg_of(path: Path) -> bytes:
    with pikepdf.open(path) as pdf:
        return bytes(pdf.pages[0].Resources.XObject.Im0.read_raw_bytes())


def test_rot90_page_is_landscape_and_turned_clockwise(clean_pdf, tmp_path):
    upright = render_rgb(_scan(clean_pdf, tmp_path, "scan200"), 72)
    turned_path = _scan(clean_pdf, tmp_path, "scan200-rot90")
    with pikepdf.open(turned_path) as pdf:
        _, _, width_pt, height_pt = (float(v) for v in pdf.pages[0].MediaBox)
        assert "/Rotate" not in pdf.pages[0]  # the pixels are turned, not the page's display
    assert width_pt > height_pt
    assert width_pt == pytest.approx(842, abs=0.5)
    turned_back = cv2.rotate(render_rgb(turned_path, 72), cv2.ROTATE_90_COUNTERCLOCKWISE)
    height = min(upright.shape[0], turned_back.shape[0])
    width = min(upright.shape[1], turned_back.shape[1])
    difference = np.abs(upright[:height, :width].astype(int) - turned_back[:height, :width].astype(int))
    assert difference.mean() < 4


def test_rot180_page_is_upside_down(clean_pdf, tmp_path):
    upright = render_rgb(_scan(clean_pdf, tmp_path, "scan200"), 72)
    turned = render_rgb(_scan(clean_pdf, tmp_path, "scan200-rot180"), 72)
    assert turned.shape == upright.shape
    assert np.abs(cv2.rotate(turned, cv2.ROTATE_180).astype(int) - upright.astype(int)).mean() < 4
    assert np.abs(turned.astype(int) - upright.astype(int)).mean() > 10


@pytest.mark.parametrize("seed", [1, 2])
def test_measured_skew_matches_the_recorded_angle(clean_pdf, tmp_path, seed):
    out = tmp_path / "skew.pdf"
    records = degrade.make_scan(clean_pdf, out, degrade.VARIANTS["scan200-skew"], seed=seed)
    applied = records[0].skew_deg_ccw
    assert 0.5 <= abs(applied) <= 3.0
    assert measured_skew_ccw(render_rgb(out, DPI)) == pytest.approx(applied, abs=0.15)


@pytest.mark.parametrize("variant", ["scan200-seal", "scan200-mixed"])
def test_seal_is_red_ink_over_the_table_covering_digits(clean_pdf, tmp_path, variant):
    out = tmp_path / "seal.pdf"
    record = degrade.make_scan(clean_pdf, out, degrade.VARIANTS[variant], seed=4)[0]
    x0, y0, x1, y1 = record.seal_bbox_page_px
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    assert any(t[0] <= centre[0] <= t[2] and t[1] <= centre[1] <= t[3] for t in record.table_bboxes_px)
    assert record.seal_digits_inside >= 1
    x0, y0, x1, y1 = record.seal_bbox_image_px
    red = red_mask(render_rgb(out, DPI))
    inside = red[max(0, y0):y1, max(0, x0):x1].sum()
    assert inside > 0.03 * (x1 - x0) * (y1 - y0)
    assert red.sum() - inside < 0.01 * inside  # nothing else on the page is red
    if record.skew_deg_ccw == 0:
        digits_with_red = [b for b in digit_boxes(clean_pdf, DPI) if red[b[1] - 3:b[3] + 3, b[0] - 3:b[2] + 3].any()]
        assert digits_with_red  # the ring, star or text crosses at least one digit


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_recorded_boxes_follow_skew_and_rotation(rotation):
    page = np.full((400, 300, 3), 255, np.uint8)
    box = [40, 250, 120, 330]
    page[box[1]:box[3], box[0]:box[2]] = (200, 0, 0)
    skewed, matrix = degrade.skew_image(page, 2.5)
    turned = degrade.rotate_quarter_turns(skewed, rotation)
    ys, xs = np.nonzero(turned[..., 1] < 128)
    expected = degrade.transform_bbox(box, matrix, rotation, skewed.shape[:2])
    assert [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] == pytest.approx(expected, abs=2)


def test_broken_rulings_lose_ink_on_the_lines_only(clean_pdf, tmp_path):
    clean = cv2.cvtColor(render_rgb(_scan(clean_pdf, tmp_path, "scan200"), DPI), cv2.COLOR_RGB2GRAY)
    broken_path = _scan(clean_pdf, tmp_path, "scan200-rules")
    broken = cv2.cvtColor(render_rgb(broken_path, DPI), cv2.COLOR_RGB2GRAY)
    horizontal, vertical = degrade.ruling_masks(clean, DPI)
    rules = (horizontal | vertical).astype(bool)
    lightened = broken.astype(int) - clean.astype(int) > 60
    assert lightened[rules].mean() > 0.03
    near_rules = cv2.dilate(rules.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    assert lightened[~near_rules].mean() < 0.001


# --- scrambled ToUnicode ----------------------------------------------------------------------

def test_tounicode_digits_renders_identically_but_every_digit_lies(clean_pdf, tmp_path):
    out = tmp_path / "digits.pdf"
    summary = degrade.scramble_tounicode(clean_pdf, out, degrade.VARIANTS["tounicode-digits"], seed=2)
    assert np.array_equal(render_rgb(clean_pdf, 100), render_rgb(out, 100))
    original, lying = page_text(clean_pdf), page_text(out)
    assert len(original) == len(lying)
    pairs = list(zip(original, lying))
    assert all(b.isdigit() and a != b for a, b in pairs if a.isdigit())
    assert all(a == b for a, b in pairs if not a.isdigit())
    assert sum(a.isdigit() for a in original) > 100
    assert all(summary["digit_map"][a] == b for a, b in pairs if a.isascii() and a.isdigit())


def test_tounicode_cjk_keeps_digits_and_changes_most_chinese(clean_pdf, tmp_path):
    out = tmp_path / "cjk.pdf"
    degrade.scramble_tounicode(clean_pdf, out, degrade.VARIANTS["tounicode-cjk"], seed=2)
    assert np.array_equal(render_rgb(clean_pdf, 100), render_rgb(out, 100))
    pairs = list(zip(page_text(clean_pdf), page_text(out), strict=True))
    cjk_pairs = [(a, b) for a, b in pairs if degrade.is_cjk(a)]
    assert all(degrade.is_cjk(b) for _, b in cjk_pairs)
    assert 0.5 < sum(a != b for a, b in cjk_pairs) / len(cjk_pairs) < 0.95
    assert all(a == b for a, b in pairs if not degrade.is_cjk(a))


def test_tounicode_on_a_reportlab_pdf_including_a_font_without_tounicode(tmp_path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("TestZenHei", degrade.CJK_FONT_PATH, subfontIndex=0))
    src = tmp_path / "rl.pdf"
    sheet = canvas.Canvas(str(src))
    sheet.setFont("TestZenHei", 12)
    sheet.drawString(72, 700, "本年新收政府信息公开申请数量 3001 53 0 61 总计 3119")
    sheet.setFont("Helvetica", 12)  # a standard font: reportlab gives it no ToUnicode
    sheet.drawString(72, 650, "Total 0123456789")
    sheet.save()
    with pikepdf.open(src) as pdf:
        fonts = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == pikepdf.Name.Font]
        assert any("/ToUnicode" in f for f in fonts) and any("/ToUnicode" not in f for f in fonts)
    out = tmp_path / "rl-both.pdf"
    degrade.scramble_tounicode(src, out, degrade.VARIANTS["tounicode-both"], seed=9)
    assert np.array_equal(render_rgb(src, 100), render_rgb(out, 100))
    original, lying = page_text(src), page_text(out)
    assert "0123456789" in original and "0123456789" not in lying
    assert re.sub(r"\d", "", lying.split("\n")[-1]) == re.sub(r"\d", "", original.split("\n")[-1])
    assert sum(a != b for a, b in zip(original, lying) if degrade.is_cjk(a)) >= 5


# --- junk text layer --------------------------------------------------------------------------

def test_junk_layer_is_invisible_and_mostly_wrong(clean_pdf, tmp_path):
    recipe = degrade.VARIANTS["junk-layer200"]
    out = tmp_path / "junk.pdf"
    degrade.make_junk_layer(clean_pdf, out, recipe, seed=7, label="same")
    degrade.make_scan(clean_pdf, tmp_path / "bare.pdf", recipe.scan, seed=7, label="same")
    # Same scan underneath, and the text adds nothing to the rendering.
    assert np.abs(render_rgb(out, 72).astype(int) - render_rgb(tmp_path / "bare.pdf", 72).astype(int)).max() <= 2
    original, junk = page_text(clean_pdf), page_text(out)
    assert len(junk.split()) > 0.5 * len(original.split())
    for number in re.findall(r"\d{3,}", original):
        assert number not in junk
    true_cjk = [c for c in original if degrade.is_cjk(c)]
    junk_cjk = [c for c in junk if degrade.is_cjk(c)]
    assert len(junk_cjk) > 0.6 * len(true_cjk)
    same = sum(min(true_cjk.count(c), junk_cjk.count(c)) for c in set(junk_cjk))
    assert 0.05 < same / len(true_cjk) < 0.7  # some right, most wrong
    with pikepdf.open(out) as pdf:
        operators = [str(op) for _, op in pikepdf.parse_content_stream(pdf.pages[0])]
        render_modes = [int(operands[0]) for operands, op in pikepdf.parse_content_stream(pdf.pages[0])
                        if str(op) == "Tr"]
    assert "Do" in operators and render_modes and set(render_modes) == {3}


# --- CLI, truth copies, sidecars, validity -----------------------------------------------------

def test_cli_writes_every_variant_with_truth_and_sidecar_and_qpdf_accepts_them(clean_dir, tmp_path):
    qpdf = shutil.which("qpdf")
    assert qpdf, "qpdf is a system dependency (make system-deps)"
    assert degrade.main(["--src", str(clean_dir), "--out", str(tmp_path), "--seed", "11"]) == 0
    truth = (clean_dir / "huaian-p4.truth.json").read_bytes()
    for variant in degrade.VARIANTS:
        folder = tmp_path / variant
        assert (folder / "huaian-p4.truth.json").read_bytes() == truth
        sidecar = json.loads((folder / "huaian-p4.degrade.json").read_text(encoding="utf-8"))
        assert sidecar["variant"] == variant and sidecar["seed"] == 11
        if sidecar["kind"] == "tounicode":
            assert sidecar["renders_identical"] and sidecar["text_differs"]
        elif sidecar["kind"] == "turned":
            assert set(sidecar["pages"]) <= {0, 90, 180, 270} and any(sidecar["pages"])
        elif sidecar["kind"] == "watermark":
            assert sidecar["watermark"]["text"] in degrade.WATERMARK_TEXTS
        elif variant == "picture-tables":      # a picture's dpi is drawn per report, 120-200
            assert all(120 <= p["dpi"] <= 200 for p in sidecar["pages"] if "dpi" in p)
        else:
            assert sidecar["pages"][0]["dpi"] in (100, 150, 200, 300)
        check = subprocess.run([qpdf, "--check", str(folder / "huaian-p4.pdf")], capture_output=True, text=True)
        assert check.returncode == 0, f"{variant}: {check.stdout}{check.stderr}"


def test_a_watermark_is_slanted_faint_text_over_every_page(clean_pdf, tmp_path):
    """The watermark is the layer's text too (as a site's tool stamps it), drawn over the print:
    the page keeps every character it had, gains the watermark's, and its print stays dark."""
    out = tmp_path / "marked.pdf"
    mark = degrade.make_watermarked(clean_pdf, out, degrade.VARIANTS["watermark"], seed=3)
    assert 25 <= abs(mark["angle_deg"]) <= 45 and 0.55 <= mark["grey"] <= 0.8
    before, after = pdfium.PdfDocument(clean_pdf), pdfium.PdfDocument(out)
    try:
        text_before = before[0].get_textpage().get_text_range()
        text_after = after[0].get_textpage().get_text_range()
        assert sum(ch in text_after for ch in mark["text"].replace(" ", "")) == len(mark["text"].replace(" ", ""))
        assert len(text_after) > len(text_before)
        a = before[0].render(scale=50 / 72).to_numpy().astype(int)
        b = after[0].render(scale=50 / 72).to_numpy().astype(int)
        assert ((a > 250) & (b < 235)).mean() > 0.02             # paper greyed where the mark is
        assert (b[a < 60] < 128).mean() > 0.9                    # print dark under it (half opaque)
    finally:
        before.close()
        after.close()


def test_turned_pages_look_as_before_and_are_stored_turned(clean_pdf, tmp_path):
    out = tmp_path / "turned.pdf"
    turns = degrade.make_turned(clean_pdf, out, degrade.VARIANTS["turned"], seed=3)
    before, after = pdfium.PdfDocument(clean_pdf), pdfium.PdfDocument(out)
    try:
        for index, turn in enumerate(turns):
            assert after[index].get_rotation() == turn
            a = before[index].render(scale=50 / 72).to_numpy().astype(int)
            b = after[index].render(scale=50 / 72).to_numpy().astype(int)
            assert a.shape == b.shape and abs(a - b).mean() < 0.5
    finally:
        before.close()
        after.close()


def _scan(clean_pdf: Path, folder: Path, variant: str, seed: int = 0) -> Path:
    out = folder / f"{variant}.pdf"
    degrade.make_scan(clean_pdf, out, degrade.VARIANTS[variant], seed=seed)
    return out


# --- archive scans: 1-bit at 300 dpi, 100 dpi JPEG ---------------------------------------------

def page_image(path: Path):
    """The page's one image (decoded to PIL) and its stream's keys."""
    with pikepdf.open(path) as pdf:
        (_name, image), = pdf.pages[0].images.items()
        keys = {key: image.get(key) for key in ("/Filter", "/BitsPerComponent", "/ColorSpace", "/Width")}
        keys = {key: (pikepdf.Name(str(v)) if isinstance(v, pikepdf.Name) else int(v) if v is not None else None)
                for key, v in keys.items()}
        return pikepdf.PdfImage(image).as_pil_image(), keys


@pytest.mark.parametrize("variant", ["bilevel300-light", "bilevel300-heavy"])
def test_bilevel_scan_is_a_1bit_ccitt_image_at_300_dpi(clean_pdf, tmp_path, variant):
    out = tmp_path / "bilevel.pdf"
    record = degrade.make_scan(clean_pdf, out, degrade.VARIANTS[variant], seed=2)[0]
    image, keys = page_image(out)
    assert keys["/Filter"] == pikepdf.Name.CCITTFaxDecode and keys["/BitsPerComponent"] == 1
    assert record.image_encoding == "ccitt-g4" and record.dpi == 300
    pixels = np.asarray(image.convert("L"))
    assert set(np.unique(pixels)) <= {0, 255}
    assert 0.002 < (pixels == 0).mean() < 0.2           # ink, not a black or empty page
    # pdfium decodes it the right way round: paper white, ink black.
    assert render_rgb(out, 300).mean() > 200
    assert page_text(out) == ""


def test_bilevel_thresholds_run_from_light_to_heavy(clean_pdf, tmp_path):
    ink = {}
    for variant in ("bilevel300-light", "bilevel300-heavy"):
        degrade.make_scan(clean_pdf, tmp_path / f"{variant}.pdf", degrade.VARIANTS[variant], seed=2)
        ink[variant] = (render_rgb(tmp_path / f"{variant}.pdf", 300).mean(axis=2) < 128).mean()
    assert ink["bilevel300-heavy"] > 1.5 * ink["bilevel300-light"]
    # One threshold per report, drawn in the variant's range.
    recipe = degrade.VARIANTS["bilevel300"]
    drawn = {json.loads(degrade.write_variant(clean_pdf, tmp_path / f"s{seed}", "bilevel300", seed)
                        .with_suffix(".degrade.json").read_text())["pages"][0]["bilevel_threshold"]
             for seed in range(4)}
    assert len(drawn) > 1 and all(recipe.bilevel_threshold <= t <= recipe.bilevel_threshold_max for t in drawn)


@pytest.mark.parametrize("variant,colour", [("scan100", pikepdf.Name.DeviceRGB), ("scan100-grey", pikepdf.Name.DeviceGray)])
def test_scan100_is_a_100_dpi_jpeg(clean_pdf, tmp_path, variant, colour):
    out = tmp_path / "s100.pdf"
    record = degrade.make_scan(clean_pdf, out, degrade.VARIANTS[variant], seed=2)[0]
    image, keys = page_image(out)
    assert keys["/Filter"] == pikepdf.Name.DCTDecode and keys["/ColorSpace"] == colour
    with pikepdf.open(out) as pdf:
        width_pt = float(pdf.pages[0].mediabox[2])
    assert abs(image.width / (width_pt / 72.0) - 100) < 0.5
    assert 50 <= degrade.VARIANTS[variant].jpeg_quality <= 75
    assert record.width_px == image.width and page_text(out) == ""


def test_pen_marks_are_drawn_beside_under_or_round_numbers(clean_pdf, tmp_path):
    """scan200-pen: a share of the page's numbers ticked, underlined or circled in dark ink,
    each mark recorded with the number's box, and ink added next to each of those numbers."""
    out = degrade.write_variant(clean_pdf, tmp_path, "scan200-pen", seed=5)
    marks = json.loads(out.with_name("huaian-p4.degrade.json").read_text(encoding="utf-8"))["pages"][0]["pen_marks"]
    document = pdfium.PdfDocument(clean_pdf)
    try:
        numbers = degrade.merge_runs(degrade.digit_boxes_px(document[0], DPI))
    finally:
        document.close()
    assert 0.05 * len(numbers) <= len(marks) <= 0.3 * len(numbers)
    assert {kind for kind, _ in marks} == {"tick", "underline", "circle"}
    before, after = render_rgb(clean_pdf, DPI).min(axis=2), render_rgb(out, DPI).min(axis=2)
    for _, (x0, y0, x1, y1) in marks:
        h = y1 - y0
        around = (slice(max(0, y0 - h), y1 + h), slice(max(0, x0 - h), x1 + 2 * h))
        assert ((after[around] < 100) & (before[around] > 200)).sum() > h, (x0, y0)
