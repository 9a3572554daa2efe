"""The demo's terminal shows one readable summary; the libraries' chatter and the metric dictionaries go
to the log file it names."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

from core.intervals import wilson_interval
from customs_risk.demo_summary import render

DAY = dt.date(2026, 3, 5)


def test_library_output_goes_to_the_log_and_the_summary_to_the_terminal(tmp_path):
    code = (
        "import logging, subprocess, sys, warnings; from pathlib import Path\n"
        "from customs_risk.demo import log, output_to_log\n"
        "with output_to_log(Path(sys.argv[1])):\n"
        "    print('chatter from a task')\n"
        "    subprocess.run(['echo', 'chatter of a child process'])\n"
        "    logging.getLogger('airflow.task').warning('airflow says')\n"
        "    warnings.warn('a library warning')\n"
        "    log.debug('metrics {\"auc\": 0.8}')\n"
        "    log.info('SUMMARY LINE')\n"
        "print('after the demo')\n")
    path = tmp_path / "demo.log"
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["SUMMARY LINE", "after the demo"]
    assert done.stderr == ""
    logged = path.read_text()
    for text in ("chatter from a task", "chatter of a child process", "airflow says", "a library warning",
                 'metrics {"auc": 0.8}', "SUMMARY LINE"):
        assert text in logged


def test_wilson_interval_matches_the_textbook_case():
    lo, hi = wilson_interval(50, 100)
    assert round(lo, 4) == 0.4038 and round(hi, 4) == 0.5962
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0


def test_summary_names_stages_rows_champions_selection_and_where_to_look(settings, tmp_path):
    summary = {
        "timings_s": {"simulate": 3.0, "ingest DAG": 80.0, "transform DAG": 25.0, "train DAG": 70.0, "score DAG": 2.0},
        "raw_rows": {"shipments": 8000, "declarations": 1400},
        "quarantined": {"shipments": 3}, "quarantine_top_reason": {"shipments": "weight_kg: between"},
        "feature_rows": {"express": 8000},
        "selection": [{"lane": "express", "scored": 2000, "selected": 40, "explored": 4, "model_version": "2"}],
        "models": {"express": {"version": "2", "gate": "pass", "compared_runs": ["r1", "r2"], "valid_start": "2026-03-04", "valid_end": "2026-03-05",
                               "auc": 0.81, "precision_at_capacity": 0.4, "recall_at_capacity": 0.2,
                               "selected_at_capacity": 80.0, "true_hit_rate_at_capacity": 0.3}},
        "experiments": {"express": "1"},
        "true_hit_rates": {"express": {"selected": 40, "rule_selected": 30, "model_policy": 0.25,
                                       "rule_policy": 0.1, "random": 0.016}},
    }
    text = render(summary, settings, DAY - dt.timedelta(days=3), DAY, tmp_path / "demo.log")
    assert "ingest DAG" in text and "80 s" in text
    assert "shipments 8,000" in text and "shipments 3 (mostly weight_kg: between)" in text
    assert "v2" in text and "AUC 0.810" in text and "80 picks at capacity" in text
    lo, hi = wilson_interval(10, 40)
    assert f"picks 0.250 [{lo:.3f}-{hi:.3f}] on 40" in text
    assert "40 of 2,000 items (36 by the model, 4 exploration)" in text
    assert "#/experiments/1?workflowType=machine_learning" in text
    assert "champion vs rules vs random: http://127.0.0.1:5000/#/compare-runs?runs=" in text
    assert str(tmp_path / "demo.log") in text
    assert "{" not in text   # no metric dictionaries on the terminal
