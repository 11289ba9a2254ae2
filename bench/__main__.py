"""`make bench`: where the product stands, per input variant of the sample corpus.

For each variant folder of samples/corpus (clean, scan200, tounicode-digits, …) one fresh process
extracts every report and compares it with its truth: cell accuracy, reports fully right, silent
errors (wrong or missing cells in reports whose needs_review is false), seconds per page after
start-up, and the process's peak RSS. Results go to bench/results/latest.json and a table on stdout.
"""
from __future__ import annotations

import argparse
import json
import logging
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
    totals = {"variant": folder.name, "reports": 0, "cells": 0, "cells_right": 0, "fully_right": 0,
              "silent_errors": 0, "flagged": 0, "errors": 0, "pages": 0, "seconds": 0.0,
              "first_seconds": 0.0, "failures": []}
    for n, pdf in enumerate(pdfs):
        truth_path = pdf.with_suffix(".truth.json")
        if not truth_path.exists():
            continue
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        t = time.perf_counter()
        try:
            data = pipeline.extract(pdf).to_json()
        except InputError as e:
            totals["errors"] += 1
            totals["failures"].append(f"{pdf.name}: {e}")
            continue
        elapsed = time.perf_counter() - t
        if n == 0:
            totals["first_seconds"] = elapsed    # includes model loads: start-up, not per page
        else:
            totals["seconds"] += elapsed
            totals["pages"] += data["source"]["pages"]
        result = compare_with_truth(data, truth)
        meta_ok = all(data.get(k) == truth.get(k) for k in ("version", "agency", "year"))
        totals["reports"] += 1
        totals["cells"] += result["total"]
        totals["cells_right"] += result["right"]
        fully = result["right"] == result["total"] and not result["extra"] and meta_ok
        totals["fully_right"] += fully
        totals["flagged"] += data["needs_review"]
        if result["silent_error"] or (not meta_ok and not data["needs_review"]):
            totals["silent_errors"] += 1
            totals["failures"].append(f"{pdf.name}: SILENT {list(result['wrong'].items())[:3]} "
                                      f"missing={result['missing'][:3]}")
        elif not fully:
            totals["failures"].append(f"{pdf.name}: flagged; wrong={list(result['wrong'].items())[:3]} "
                                      f"missing={len(result['missing'])}")
    totals["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--corpus", default=str(ROOT / "samples" / "corpus"))
    parser.add_argument("--variants", nargs="*", help="variant folders to run (default: all)")
    parser.add_argument("--limit", type=int, help="reports per variant")
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
        print(_format_row(rows[-1]), flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    print("\n" + _table(rows))
    return 0


def _format_row(r: dict) -> str:
    acc = 100 * r["cells_right"] / r["cells"] if r["cells"] else 0.0
    spp = r["seconds"] / r["pages"] if r["pages"] else float("nan")
    return (f"{r['variant']:<22} reports {r['reports']:>3}  cells {acc:6.2f}%  fully right "
            f"{r['fully_right']:>3}  silent {r['silent_errors']}  flagged {r['flagged']:>3}  errors "
            f"{r['errors']}  s/page {spp:5.2f}  first {r['first_seconds']:5.1f}s  RSS {r['peak_rss_mb']:6.0f} MB")


def _table(rows: list[dict]) -> str:
    head = "| variant | reports | cell accuracy | fully right | silent errors | flagged | errors | s/page | peak RSS MB |"
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        acc = 100 * r["cells_right"] / r["cells"] if r["cells"] else 0.0
        spp = r["seconds"] / r["pages"] if r["pages"] else float("nan")
        lines.append(f"| {r['variant']} | {r['reports']} | {acc:.2f}% | {r['fully_right']} | "
                     f"{r['silent_errors']} | {r['flagged']} | {r['errors']} | {spp:.2f} | {r['peak_rss_mb']:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
