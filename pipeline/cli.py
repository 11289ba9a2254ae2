"""Command line: a thin layer over the Python API."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

log = logging.getLogger("pipeline")


def find_inputs(inputs: list[str]) -> list[tuple[Path, Path]]:
    """(pdf path, output path relative to DIR without suffix) for every input.

    Files from folders keep their path relative to the folder, so two X.pdf never collide.
    """
    out: list[tuple[Path, Path]] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() == ".pdf":
                    out.append((f, f.relative_to(p).with_suffix("")))
        else:
            out.append((p, Path(p.stem)))
    return out


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)       # never leave a half-written result behind


def _searchable(pdf_path: Path, report, out_path: Path) -> bool:
    """Write the searchable PDF of one report; a failure is this file's, said on stderr in one line
    (its JSON stays: the data was read), and the run goes on."""
    from .searchable import write_searchable
    try:
        write_searchable(pdf_path, report, out_path)
        return True
    except Exception as e:
        log.debug("searchable PDF for %s failed", pdf_path, exc_info=True)
        reason = " ".join(f"{type(e).__name__}: {e}".split())
        print(f"{pdf_path}: searchable PDF not written to {out_path}: {reason}", file=sys.stderr)
        return False


def cmd_extract(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .config import DEFAULT
    from .extract import extract
    from .types import SCHEMA, InputError

    config = replace(DEFAULT, verify_text_layer=DEFAULT.verify_text_layer and not args.trust_text_layer)
    inputs = find_inputs(args.inputs)
    if not inputs:
        log.error("no PDF found in %s", " ".join(args.inputs))
        return 1
    out_dir = Path(args.out)
    failed = 0
    for n, (pdf_path, rel) in enumerate(inputs, 1):
        # Every output of one file (its JSON, its error JSON, its searchable PDF) is written inside
        # this file's own error handling: a file that fails at any step costs that file, never the run.
        json_path = out_dir / rel.with_suffix(".json")
        error_path = out_dir / rel.with_suffix(".error.json")
        try:
            report = extract(pdf_path, config)
        except InputError as e:
            reason = str(e)
        except Exception as e:          # one bad file must not stop the others
            log.exception("unexpected failure on %s", pdf_path)
            reason = f"internal error: {type(e).__name__}: {e}"
        else:
            try:
                _write_json(json_path, report.to_json())
                error_path.unlink(missing_ok=True)
            except Exception as e:
                log.debug("writing %s failed", json_path, exc_info=True)
                reason = f"result not written to {json_path}: {type(e).__name__}: {e}"
            else:
                flag = "needs review" if report.needs_review else "ok"
                searchable_path = Path(args.searchable) / rel.with_suffix(".pdf") if args.searchable else None
                if searchable_path and not _searchable(pdf_path, report, searchable_path):
                    failed += 1
                    flag += ", searchable PDF not written"
                log.info("[%d/%d] %s: %s (%d cells)", n, len(inputs), pdf_path, flag, len(report.cells))
                continue
        failed += 1
        reason = " ".join(reason.split())
        print(f"{pdf_path}: {reason}", file=sys.stderr)
        try:
            _write_json(error_path, {"schema": SCHEMA, "source": {"path": str(pdf_path)},
                                     "error": reason})
            if json_path.is_file():
                json_path.unlink()      # an older result of this file must not pass for this run's
        except Exception as e:
            print(f"{pdf_path}: error file not written to {error_path}: {type(e).__name__}: {e}",
                  file=sys.stderr)
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline",
                                     description="Government-information-disclosure annual reports → checked data")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("extract", help="read report PDFs into JSON")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="PDF files or folders (searched recursively)")
    p.add_argument("--out", required=True, metavar="DIR", help="where X.json files go")
    p.add_argument("--searchable", metavar="DIR2", help="also write searchable PDFs here")
    p.add_argument("--trust-text-layer", action="store_true",
                   help="skip checking text layers against OCR (faster; a lying layer goes unnoticed)")
    p.set_defaults(func=cmd_extract)
    from . import batch
    p = sub.add_parser("batch", help="read many PDFs into a results database (SQLite)")
    batch.add_batch_arguments(p)
    p.set_defaults(func=batch.run_batch_command)
    p = sub.add_parser("export", help="export a results database as csv, xlsx or parquet")
    batch.add_export_arguments(p)
    p.set_defaults(func=batch.run_export_command)
    from .review import cli as review_cli
    p = sub.add_parser("review", help="settle doubtful cells in the browser (a local web app over the database)")
    review_cli.add_review_arguments(p)
    p.set_defaults(func=review_cli.run_review_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)      # exits 2 on a wrong command line
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return args.func(args)
