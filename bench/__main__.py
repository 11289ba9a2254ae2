"""`make bench`: where the product stands, per input variant of the sample corpus.

For each variant folder of samples/corpus (clean, scan200, tounicode-digits, …) one fresh process
extracts every report and compares it with its truth: cell accuracy, reports fully right,
straight-through reports (fully right and needs_review false), review cells per report and the
share of them that were really wrong, silent errors at report level (not fully right while
needs_review is false) and at cell level (a wrong, missing or extra value not in review_cells, in
any report), seconds per page after start-up and with start-up included (once for the variant's
process, and per file: --per-file reports each extracted by a process of its own, as a user runs
`extract` on one file), and the process's peak RSS. Results go to bench/results/latest.json and a table on stdout.

`--ocrmypdf-route [VARIANT ...]` also runs, on the same folders (all, or the ones named) and the
same --limit, the route a user without govreport takes: OCRmyPDF + Tesseract, camelot, the
template's labels (bench/ocrmypdf_route.py). Its row stands beside ours (column "route"); it has
no review, so every wrong value it gives is silent, and each file pays its own start-up.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("bench")


def run_variant(folder: Path, limit: int | None) -> dict:
    """Extract every PDF of one variant in this process; returns the variant's figures."""
    import resource

    import pipeline
    from pipeline.evaluate import compare_with_truth
    from pipeline.types import InputError

    pdfs = sorted(folder.glob("*.pdf"))[:limit]
    totals = {"variant": folder.name, "route": "govreport", "reports": 0, "cells": 0, "cells_right": 0,
              "fully_right": 0, "straight_through": 0, "review_cells": 0, "review_wrong": 0, "silent_cells": 0,
              "silent_errors": 0, "false_issues": 0, "flagged": 0, "errors": 0, "pages": 0, "seconds": 0.0,
              "first_seconds": 0.0, "first_pages": 0, "second_reading_seconds": 0.0, "stages": {},
              "failures": []}
    started = time.perf_counter()
    for n, pdf in enumerate(pdfs):
        truth_path = pdf.with_suffix(".truth.json")
        if not truth_path.exists():
            continue
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        t = time.perf_counter()
        try:
            report = pipeline.extract(pdf)
            data = report.to_json()
            data["timings"] = report.timings
        except InputError as e:
            totals["errors"] += 1
            totals["failures"].append(f"{pdf.name}: {e}")
            continue
        elapsed = time.perf_counter() - t
        if n == 0:
            # Includes imports and model loads since the process started: start-up, not per page.
            totals["first_seconds"] = time.perf_counter() - started
            totals["first_pages"] = data["source"]["pages"]
        else:
            totals["seconds"] += elapsed
            totals["pages"] += data["source"]["pages"]
        totals["second_reading_seconds"] += data.get("timings", {}).get("second_reading", 0.0)
        if n > 0:       # the stage split after start-up (ocr_path and text_path hold the stages below)
            for stage, seconds in data.get("timings", {}).items():
                totals["stages"][stage] = totals["stages"].get(stage, 0.0) + seconds
        result = compare_with_truth(data, truth)
        totals["reports"] += 1
        totals["cells"] += result["total"]
        totals["cells_right"] += result["right"]
        fully = result["fully_right"]
        totals["fully_right"] += fully
        totals["straight_through"] += fully and not data["needs_review"]
        totals["flagged"] += data["needs_review"]
        totals["review_cells"] += result["review_cells"]
        totals["review_wrong"] += result["review_wrong"]
        totals["silent_cells"] += len(result["silent_cells"])
        totals["false_issues"] += len(result["false_issues"])
        if result["false_issues"]:
            totals["failures"].append(f"{pdf.name}: FALSE document issues {result['false_issues'][:3]}")
        if result["silent_error"] or result["silent_cells"]:
            totals["silent_errors"] += result["silent_error"]
            totals["failures"].append(f"{pdf.name}: SILENT cells={result['silent_cells'][:5]} "
                                      f"wrong={list(result['wrong'].items())[:3]} meta={result['meta_wrong']}")
        elif not fully:
            totals["failures"].append(f"{pdf.name}: flagged; wrong={list(result['wrong'].items())[:3]} "
                                      f"missing={len(result['missing'])} meta={result['meta_wrong']}")
        elif data["needs_review"]:
            totals["failures"].append(f"{pdf.name}: right but sent to review: "
                                      f"{data['review_reasons'][:4]}")
    totals["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return totals


def run_per_file(folder: Path, n: int) -> dict:
    """The first n reports of a variant each extracted by its own process, as a user runs
    `extract` on one file: wall time with interpreter, imports and model loads included."""
    import tempfile

    seconds, pages = 0.0, 0
    with tempfile.TemporaryDirectory() as out:
        for pdf in sorted(folder.glob("*.pdf"))[:n]:
            t = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "pipeline", "extract", str(pdf), "--out", out],
                                  capture_output=True, text=True, cwd=ROOT)
            elapsed = time.perf_counter() - t
            result = Path(out) / f"{pdf.stem}.json"
            if proc.returncode != 0 or not result.exists():
                continue        # its failure is counted by the in-process run
            seconds += elapsed
            pages += json.loads(result.read_text(encoding="utf-8"))["source"]["pages"]
    return {"per_file_seconds": seconds, "per_file_pages": pages}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--corpus", default=str(ROOT / "samples" / "corpus"))
    parser.add_argument("--variants", nargs="*", help="variant folders to run (default: all)")
    parser.add_argument("--limit", type=int, help="reports per variant")
    parser.add_argument("--ocrmypdf-route", nargs="*", metavar="VARIANT",
                        help="also run the OCRmyPDF + camelot route, on these variants (none named: all run)")
    parser.add_argument("--per-file", type=int, default=3, metavar="N",
                        help="also time N reports per variant each in its own process (default 3; 0: none)")
    parser.add_argument("--one", help=argparse.SUPPRESS)       # internal: run one variant, print JSON
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.one:
        print(json.dumps(run_variant(Path(args.one), args.limit), ensure_ascii=False))
        return 0
    corpus = Path(args.corpus)
    folders = sorted(p for p in corpus.iterdir()
                     if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.truth.json")))
    if args.variants:
        folders = [f for f in folders if f.name in args.variants]
    if not folders:
        print(f"no corpus under {corpus}: run `make samples` first", file=sys.stderr)
        return 1
    ocrmypdf = None
    if args.ocrmypdf_route is not None:
        from samples.ocrmypdf_variants import OcrmypdfMissing, find_ocrmypdf
        try:
            ocrmypdf = find_ocrmypdf()
        except OcrmypdfMissing as e:
            print(f"--ocrmypdf-route: {e}", file=sys.stderr)
            return 2
    rows = []
    for folder in folders:
        cmd = [sys.executable, "-m", "bench", "--one", str(folder)]
        if args.limit:
            cmd += ["--limit", str(args.limit)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            print(f"{folder.name}: bench run failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        if args.per_file > 0:
            rows[-1].update(run_per_file(folder, min(args.per_file, args.limit or args.per_file)))
        print(_format_row(rows[-1]), flush=True)
        if ocrmypdf and (not args.ocrmypdf_route or folder.name in args.ocrmypdf_route):
            from bench.ocrmypdf_route import run_route
            rows.append(run_route(folder, args.limit, ocrmypdf))
            print(_format_row(rows[-1]), flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    print("\n" + _table(rows))
    print("\n" + _stage_table(rows))
    return 0


def _route(r: dict) -> str:
    return r.get("route", "govreport")


def _figures(r: dict) -> dict:
    n = max(1, r["reports"])
    pages_all = r["pages"] + r.get("first_pages", 0)
    return {
        "acc": 100 * r["cells_right"] / r["cells"] if r["cells"] else 0.0,
        "spp": r["seconds"] / r["pages"] if r["pages"] else float("nan"),
        "spp_all": (r["seconds"] + r["first_seconds"]) / pages_all if pages_all else float("nan"),
        "spp_file": r["per_file_seconds"] / r["per_file_pages"] if r.get("per_file_pages") else float("nan"),
        "review_per_report": r["review_cells"] / n,
        "review_wrong_share": 100 * r["review_wrong"] / r["review_cells"] if r["review_cells"] else 0.0,
    }


def _shown(value: float, width: int = 0) -> str:
    """A figure to two decimals, or a dash where it was not measured (no pages, --per-file 0)."""
    return f"{'—' if math.isnan(value) else f'{value:.2f}':>{width}}"


def _format_row(r: dict) -> str:
    f = _figures(r)
    if _route(r) != "govreport":     # no review, no start-up apart: each file is run as a user runs it
        return (f"{r['variant']:<22} {_route(r):<16} reports {r['reports']:>3}  cells {f['acc']:6.2f}%  fully right "
                f"{r['fully_right']:>3}  (no review)  silent reports {r['silent_errors']} cells {r['silent_cells']}  "
                f"errors {r['errors']}  s/page with start-up {f['spp_all']:5.2f}")
    return (f"{r['variant']:<22} {_route(r):<16} reports {r['reports']:>3}  cells {f['acc']:6.2f}%  fully right "
            f"{r['fully_right']:>3}  straight-through {r['straight_through']:>3}  review cells/report "
            f"{f['review_per_report']:5.2f} ({f['review_wrong_share']:.0f}% wrong)  silent reports "
            f"{r['silent_errors']} cells {r['silent_cells']}  false document issues {r.get('false_issues', 0)}  "
            f"errors {r['errors']}  s/page {f['spp']:5.2f}"
            f"  with start-up {f['spp_all']:5.2f}  per file {_shown(f['spp_file'], 5)}  first {r['first_seconds']:5.1f}s"
            f"  RSS {r['peak_rss_mb']:6.0f} MB")


def _table(rows: list[dict]) -> str:
    head = ("| variant | route | reports | cell accuracy | fully right | straight-through | review cells/report "
            "| review cells wrong | silent reports | silent cells | false document issues | errors | s/page "
            "| s/page incl. start-up | s/page per file | 2nd reading s/report | peak RSS MB |")
    lines = [head, "|" + "---|" * 17]
    for r in rows:
        f = _figures(r)
        if _route(r) != "govreport":
            lines.append(f"| {r['variant']} | {_route(r)} | {r['reports']} | {f['acc']:.2f}% | {r['fully_right']} | "
                         f"{r['straight_through']} | — | — | {r['silent_errors']} | {r['silent_cells']} | — | "
                         f"{r['errors']} | — | {f['spp_all']:.2f} | {f['spp_all']:.2f} | — | — |")
            continue
        lines.append(f"| {r['variant']} | {_route(r)} | {r['reports']} | {f['acc']:.2f}% | {r['fully_right']} | "
                     f"{r['straight_through']} | {f['review_per_report']:.2f} | {f['review_wrong_share']:.0f}% | "
                     f"{r['silent_errors']} | {r['silent_cells']} | {r.get('false_issues', 0)} | {r['errors']} | "
                     f"{f['spp']:.2f} | "
                     f"{f['spp_all']:.2f} | {_shown(f['spp_file'])} | "
                     f"{r['second_reading_seconds'] / max(1, r['reports']):.2f} | "
                     f"{r['peak_rss_mb']:.0f} |")
    return "\n".join(lines)


def _stage_table(rows: list[dict]) -> str:
    """Seconds per page in each stage, after start-up (extract's own timings). Scan pages are read
    two at a time (pipeline.readers.overlap): their prepare, grid and recognize are each page's
    own and may add up to more than ocr_path, the readers' time on the clock."""
    stages = ["verdict", "text_path", "render", "prepare", "grid", "recognize", "title", "image_grid",
              "ocr_path", "second_reading", "match"]
    lines = ["| variant | " + " | ".join(stages) + " |", "|" + "---|" * (len(stages) + 1)]
    for r in (r for r in rows if _route(r) == "govreport"):
        pages = max(1, r["pages"])
        lines.append(f"| {r['variant']} | " + " | ".join(
            f"{r.get('stages', {}).get(s, 0.0) / pages:.2f}" for s in stages) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
