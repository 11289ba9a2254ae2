"""Page images for the image-stage tests: renders of the real report and degraded copies made
here (skew, blur + noise, a red seal), so those tests need nothing but the shared report."""
from __future__ import annotations

import cv2
import numpy as np
import pypdfium2 as pdfium


def render_page(pdf_path, page: int, dpi: float) -> np.ndarray:
    """1-based page rendered as displayed, BGR."""
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        rgb = doc[page - 1].render(scale=dpi / 72).to_numpy()[:, :, :3]
    finally:
        doc.close()
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def rotate_content(img: np.ndarray, angle_ccw: float) -> tuple[np.ndarray, np.ndarray]:
    """Content turned counter-clockwise (as displayed) on the same canvas, white fill; 2x3 matrix."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle_ccw, 1.0)
    return cv2.warpAffine(img, m, (w, h), borderValue=(255, 255, 255)), m


def blur_and_noise(img: np.ndarray, dpi: float, sigma: float = 12, seed: int = 0) -> np.ndarray:
    out = cv2.GaussianBlur(img, (0, 0), 0.6 * dpi / 200)
    rng = np.random.default_rng(seed)
    return np.clip(out.astype(np.float32) + rng.normal(0, sigma, out.shape), 0, 255).astype(np.uint8)


def seal_ink(shape, dpi: float, centre_pt: tuple[float, float], word: bool = True) -> np.ndarray:
    """Mask of a 42 mm official-seal-like stamp: ring, filled star-sized centre, a word."""
    cx, cy = (int(v * dpi / 72) for v in centre_pt)
    r = int(21 / 25.4 * dpi)
    ink = np.zeros(shape[:2], np.uint8)
    cv2.circle(ink, (cx, cy), r, 255, max(2, int(0.04 * dpi)))
    cv2.circle(ink, (cx, cy), int(r * 0.3), 255, -1)
    if word:
        cv2.putText(ink, "SEAL", (cx - r // 2, cy + r // 2), cv2.FONT_HERSHEY_SIMPLEX, dpi / 100, 255,
                    max(1, int(dpi / 60)))
    return ink


def stamp(img: np.ndarray, ink: np.ndarray, bgr: tuple[int, int, int] = (38, 32, 205)) -> np.ndarray:
    """Ink (a seal's red) multiplied onto the page, as a stamp on paper: black under it stays black."""
    alpha = (ink > 0)[..., None] * 0.85
    tint = np.array(bgr, np.float32) / 255.0
    return (img * (1 - alpha) + img * tint * alpha).astype(np.uint8)


def watermark(img: np.ndarray, dpi: float, text: str = "仅供参考", grey: int = 200, angle: float = 30.0) -> np.ndarray:
    """img with `text` tiled across it in light grey at a slant, as sites watermark what they
    publish (the print's darkest pixels stay; the watermark only darkens paper)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", int(0.5 * dpi))
    h, w = img.shape[:2]
    tile = Image.new("L", (int(2.6 * dpi), int(0.8 * dpi)), 0)
    ImageDraw.Draw(tile).text((0, 0), text, fill=255, font=font)
    tile = tile.rotate(angle, expand=True)
    mask = Image.new("L", (w, h), 0)
    for y in range(-tile.height // 2, h, int(1.6 * dpi)):
        for x in range(-tile.width // 2, w, int(2.4 * dpi)):
            mask.paste(tile, (x, y), tile)
    ink = np.asarray(mask, np.float32)[..., None] / 255.0
    return np.minimum(img, (255 - ink * (255 - grey))).astype(np.uint8)


def render_layouts_report(path, rule_style: str = ""):
    """The layouts corpus's report 3 (labels beside empty cells, block labels in their first
    row) rendered to `path` with its rules drawn in `rule_style` ("" single); its RenderResult."""
    import dataclasses

    from samples.generate import build_doc, plan_layouts_report
    from samples.render import render_report

    plan = plan_layouts_report(2024, 3)
    layout = dataclasses.replace(plan.layout, rule_style=rule_style)
    return render_report(build_doc(2024, dataclasses.replace(plan, layout=layout)), path)


def render_clean_report(path, rule_style: str = "", index: int = 0):
    """The clean corpus's report `index` (no label forms) rendered to `path` with its rules drawn
    in `rule_style` ("" single); its RenderResult."""
    from samples.render import render_report

    return render_report(_clean_doc(rule_style, index), path)


def render_clean_report_truth(path, rule_style: str = "", index: int = 0) -> dict:
    """As render_clean_report, but the truth JSON of what was rendered, as the corpus writes it
    (a test cannot count on the corpus having been generated)."""
    from samples.generate import truth_of
    from samples.render import render_report

    doc = _clean_doc(rule_style, index)
    return truth_of(doc, render_report(doc, path))


def spaced_grids_of_clean_report(path, index: int = 0) -> list:
    """The clean corpus's report `index` rendered to `path` with no rule at all, and the grids
    its text layer's spacing draws on every page (pipeline.grid_pdf, by_spacing)."""
    from pipeline import grid_pdf

    render_clean_report(path, "none", index)
    document = pdfium.PdfDocument(str(path))
    try:
        return [g for i in range(len(document)) for g in grid_pdf.read_page_grids(document, i, by_spacing=True)]
    finally:
        document.close()


def _clean_doc(rule_style: str, index: int):
    import dataclasses

    from samples.generate import build_doc, plan_report

    plan = plan_report(2024, index)
    layout = dataclasses.replace(plan.layout, rule_style=rule_style)
    return build_doc(2024, dataclasses.replace(plan, layout=layout))
