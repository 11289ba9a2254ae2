"""Configuration in one place. Environment variables override defaults (GOVREPORT_*)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = Path(os.environ.get("GOVREPORT_MODELS", ROOT / "models"))
# Material shared between checkouts (the real sample report and its truth, the spec), beside the
# checkout as ../shared; GOVREPORT_SHARED points elsewhere. Tests, bench and samples take it from here.
SHARED_DIR = Path(os.environ.get("GOVREPORT_SHARED", ROOT.parent / "shared"))
REAL_SAMPLE_PDF = SHARED_DIR / "samples" / "real" / "huaian-2024.pdf"
REAL_SAMPLE_TRUTH = SHARED_DIR / "samples" / "real" / "huaian-2024.truth.json"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass
class Config:
    # Rendering of pages for OCR and image-based grid detection.
    scan_dpi: int = 200
    # Line detection on pixels (scans; camelot's raster fallback): short sub-column rules of the
    # 15-column review table need ~40 (notes).
    line_scale: int = 40
    # OCR engine threads per process; batch workers divide the cores among themselves.
    cpu_threads: int = field(default_factory=lambda: _env_int("GOVREPORT_THREADS", os.cpu_count() or 1))
    # A cell reading below this confidence is flagged uncertain.
    min_confidence: float = 0.90
    # The second recognizer's reading counts as agreement from this confidence on (its own
    # scale: its clean "0" on a harsh scan reads 0.88-0.97; a hesitant reading confirms nothing).
    second_agreement_confidence: float = 0.80
    # Refuse pages larger than this many points on a side (absurd page sizes in bad inputs).
    max_page_side_pt: float = 14400.0
    max_pages: int = 200
    models_dir: Path = MODELS_DIR
    # OCR (pipeline.ocr): the engine that runs PaddleOCR's models — "onnx" (ONNX Runtime: loads in
    # under a second) or "paddle" (PaddlePaddle itself: the same recognizer, 3-5 s to load);
    # images per recognizer batch; detector input is scaled down so that its
    # longer side is at most this many pixels (an A4 page at 200 dpi is 2339 high: kept as is).
    ocr_engine: str = field(default_factory=lambda: os.environ.get("GOVREPORT_OCR_ENGINE", "onnx"))
    ocr_batch_size: int = 16
    ocr_det_limit_side_len: int = 2400
    # A runner-up character whose probability reaches this fraction of the best one's gives an
    # alternative reading; at most this many alternatives per reading.
    ocr_alt_min_ratio: float = 0.1
    ocr_max_alternatives: int = 5
    # Text layers are checked against OCR of a sample of their runs before they are trusted
    # (a lying ToUnicode map looks like good text). Off: trust every layer, never load OCR for it.
    verify_text_layer: bool = field(default_factory=lambda: os.environ.get("GOVREPORT_TRUST_TEXT_LAYER") != "1")
    verdict_samples: int = 16
    # The title is on page 1, or on page 2 after a cover.
    title_pages: int = 2

    @property
    def page_threads(self) -> int:
        """Pages of a scan read at once (pipeline.readers.overlap): one page is prepared while
        another's cells are recognised, so both cores work through the whole file. Two, not
        more: recognition runs one batch at a time on every core, so a third page would only
        wait, holding its images. One where the process has one core (batch workers)."""
        return max(1, min(2, self.cpu_threads))


DEFAULT = Config()
