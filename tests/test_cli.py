"""The command line explains itself and answers wrong arguments with one line, never a traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest

from customs_risk.cli import build_parser, main


def run_cli(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "customs_risk.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_help_lists_every_stage():
    text = build_parser().format_help()
    for command in ("simulate", "ingest", "transform", "train", "score", "demo", "airflow"):
        assert command in text


@pytest.mark.parametrize("args, message", [
    (["score", "--lane", "boats", "--date", "2026-03-02"], "invalid choice: 'boats'"),
    (["ingest", "--date", "03/02/2026"], "not a date in YYYY-MM-DD form"),
    (["simulate", "--start", "2026-03-02", "--scale", "7"], "scale must be in (0, 2]"),
    (["simulate", "--start", "2026-03-02", "--days", "0"], "must be a whole number >= 1"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["airflow", "--port", "http"], "must be a whole number >= 1"),
])
def test_wrong_arguments_get_one_line(args, message):
    done = run_cli(*args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_stage_errors_are_one_line_with_nonzero_exit(settings, capsys, monkeypatch):
    monkeypatch.setenv("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    code = main(["ingest", "--source", "shipments", "--date", "2026-03-02"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and "no landing files for shipments on 2026-03-02" in err[0]


def test_backfill_range_in_wrong_order_is_refused(settings, capsys):
    assert main(["ingest", "--date", "2026-03-05", "--to", "2026-03-01"]) == 1
    assert "before --date" in capsys.readouterr().err
