"""The `review` command: arguments, and starting the server (the web parts load only then)."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_review_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="results database written by `batch`")
    parser.add_argument("--port", type=int, default=8765, help="port (default %(default)s)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default %(default)s; any other needs --token)")
    parser.add_argument("--token", default=None,
                        help="a secret every request must carry (open the printed URL once; a cookie keeps it)")
    parser.add_argument("--read-only", action="store_true", help="show everything, change nothing")


def run_review_command(args: argparse.Namespace) -> int:
    import uvicorn

    from pipeline.review.app import create_app
    loopback = args.host in LOOPBACK
    if not loopback and not args.token:
        log.error("--host %s lets other machines in: give --token too (a long random secret)", args.host)
        return 2
    if args.token is not None and len(args.token) < 8:
        log.error("--token: use at least 8 characters")
        return 2
    if not Path(args.db).is_file():
        log.error("no results database at %s", args.db)
        return 1
    allowed = list(LOOPBACK) if loopback else None
    app = create_app(args.db, read_only=args.read_only, token=args.token, allowed_hosts=allowed)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{args.port}/" + (f"?token={args.token}" if args.token else "")
    print(f"review station for {args.db}: {url}" + ("  (read-only)" if args.read_only else ""), flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", server_header=False,
                proxy_headers=False)
    return 0
