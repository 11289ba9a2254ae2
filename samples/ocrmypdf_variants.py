"""Corpus variants of scans already made searchable by a real OCR tool: OCRmyPDF 17 + Tesseract.

Where `samples.degrade` fakes a bad scanner layer (`junk-layer200`), these are the real thing, as
many published reports come: each scan of the source variant (scan200 by default) is run through
the pinned OCRmyPDF (`bench/ocrmypdf.lock`, its own venv `.cache/ocrmypdf-venv`, made by
`make bench-deps`) and written as

* `ocrmypdf-eng/X.pdf`: `-l eng` — Tesseract's English model on Chinese pages: a layer of junk
  Latin letters, with most digits still right;
* `ocrmypdf-chi/X.pdf`: `-l chi_sim` — Tesseract's Chinese model: a plausible layer with
  Tesseract's own misreadings (a 1 read as 工, a 2 as 至, dropped digits, …),

each with the source's `X.truth.json` beside it and nothing else. The page image is the source's
own, unchanged (`--optimize 0`: no re-encoding), so the variant differs from its source by the
invisible text layer only. OCRmyPDF 17 puts that layer in a Form XObject (`/OCR-…`) that the page
draws before its image, in text render mode 3 (invisible), with a glyphless CID font for the CJK
text ("Occulta"; no Noto CJK font is installed) and its own Noto Sans for Latin.

CLI: ``python -m samples.ocrmypdf_variants --src samples/corpus/scan200 --out samples/corpus``
(outputs already there and newer than their source are kept; `--force` redoes them).
Exit status 2 when OCRmyPDF is not installed, 1 when a file failed.
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OCRMYPDF = ROOT / ".cache" / "ocrmypdf-venv" / "bin" / "ocrmypdf"
# variant folder -> Tesseract language
VARIANTS = {"ocrmypdf-eng": "eng", "ocrmypdf-chi": "chi_sim"}


class OcrmypdfMissing(RuntimeError):
    pass


def find_ocrmypdf(path: str | os.PathLike | None = None) -> Path:
    """The pinned ocrmypdf executable ($OCRMYPDF or the bench venv's), or OcrmypdfMissing."""
    candidate = Path(path or os.environ.get("OCRMYPDF") or DEFAULT_OCRMYPDF)
    if not (candidate.is_file() and os.access(candidate, os.X_OK)):
        raise OcrmypdfMissing(f"ocrmypdf not found at {candidate}: run `make bench-deps` (its own venv "
                              f"from bench/ocrmypdf.lock, plus tesseract-ocr and tesseract-ocr-chi-sim)")
    if shutil.which("tesseract") is None:
        raise OcrmypdfMissing("tesseract not found on PATH: run `make bench-deps`")
    return candidate


def ocrmypdf_command(ocrmypdf: Path, src: Path, out: Path, language: str, jobs: int | None,
                     extra: tuple[str, ...] = ()) -> list[str]:
    """The command line: a plain PDF (no PDF/A, so no Ghostscript), images left as they are.
    jobs None: OCRmyPDF's default (one worker per CPU)."""
    return [str(ocrmypdf), "-l", language, "--output-type", "pdf", "--optimize", "0",
            *(["--jobs", str(jobs)] if jobs else []), "--quiet", *extra, str(src), str(out)]


def run_ocrmypdf(ocrmypdf: Path, src: Path, out: Path, language: str, jobs: int | None = 1,
                 extra: tuple[str, ...] = (), timeout: float = 1800) -> None:
    """OCR src into out (written whole or not at all); RuntimeError with OCRmyPDF's message."""
    partial = out.with_name(f".{out.name}.part")
    cmd = ocrmypdf_command(ocrmypdf, src, partial, language, jobs, extra)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"ocrmypdf timed out after {timeout:.0f} s on {src.name}") from e
    if proc.returncode != 0 or not partial.exists():
        partial.unlink(missing_ok=True)
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"ocrmypdf exit {proc.returncode} on {src.name}: {' | '.join(tail)}")
    partial.replace(out)


def page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


def layer_chars(path: Path) -> int:
    """Characters in the PDF's text layer (all pages), as pdfium extracts them."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        return sum(len(document[i].get_textpage().get_text_range().strip()) for i in range(len(document)))
    finally:
        document.close()


def write_variants(src_dir: Path, out_root: Path, ocrmypdf: Path, variants: list[str], jobs: int = 1,
                   force: bool = False) -> int:
    """Every PDF of src_dir through OCRmyPDF into out_root/<variant>/; returns the failures."""
    sources = sorted(src_dir.glob("*.pdf"))
    if not sources:
        raise FileNotFoundError(f"no PDFs in {src_dir}: run `make samples` first")
    failures = 0
    for variant in variants:
        folder = out_root / variant
        folder.mkdir(parents=True, exist_ok=True)
        for n, src in enumerate(sources, 1):
            out = folder / src.name
            truth = src.with_suffix(".truth.json")
            if truth.exists():
                shutil.copyfile(truth, folder / truth.name)
            if not force and out.exists() and out.stat().st_mtime >= src.stat().st_mtime:
                log.info("%s [%d/%d] %s: there already", variant, n, len(sources), src.name)
                continue
            started = time.perf_counter()
            try:
                run_ocrmypdf(ocrmypdf, src, out, VARIANTS[variant], jobs)
            except RuntimeError as e:
                failures += 1
                log.error("%s [%d/%d] %s", variant, n, len(sources), e)
                continue
            log.info("%s [%d/%d] %s: %d pages, %d characters in the layer, %.1f KB, %.1f s", variant, n,
                     len(sources), src.name, page_count(out), layer_chars(out), out.stat().st_size / 1024,
                     time.perf_counter() - started)
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m samples.ocrmypdf_variants", description=__doc__.split("\n")[0])
    parser.add_argument("--src", type=Path, default=ROOT / "samples" / "corpus" / "scan200",
                        help="folder of scanned X.pdf (+ X.truth.json)")
    parser.add_argument("--out", type=Path, default=ROOT / "samples" / "corpus", help="writes OUT/<variant>/X.pdf")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--jobs", type=int, default=1, help="OCRmyPDF's --jobs (pages in parallel)")
    parser.add_argument("--ocrmypdf", help=f"the executable (default $OCRMYPDF or {DEFAULT_OCRMYPDF})")
    parser.add_argument("--force", action="store_true", help="redo outputs that are already there")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        ocrmypdf = find_ocrmypdf(args.ocrmypdf)
    except OcrmypdfMissing as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        failures = write_variants(args.src, args.out, ocrmypdf, args.variants, args.jobs, args.force)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    log.info("done in %.0f s, %d failed", time.perf_counter() - started, failures)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
