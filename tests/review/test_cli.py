"""The `review` command line: safe defaults refused before any server starts."""
from __future__ import annotations

from pipeline.cli import build_parser, main


def test_review_and_json_export_are_commands():
    args = build_parser().parse_args(["review", "--db", "r.sqlite"])
    assert (args.host, args.port, args.token, args.read_only) == ("127.0.0.1", 8765, None, False)
    assert build_parser().parse_args(["export", "--db", "r.sqlite", "--format", "json", "--out", "d"]).format == "json"


def test_other_host_needs_a_token(review_db, capsys):
    assert main(["review", "--db", str(review_db.db_path), "--host", "0.0.0.0"]) == 2
    assert main(["review", "--db", str(review_db.db_path), "--host", "0.0.0.0", "--token", "short"]) == 2


def test_missing_database_is_a_clear_error(tmp_path, caplog):
    assert main(["review", "--db", str(tmp_path / "none.sqlite")]) == 1
    assert "no results database" in caplog.text
    assert not (tmp_path / "none.sqlite").exists()       # nothing created by looking
