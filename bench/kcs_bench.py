"""KCS quality benchmark: the platform's cargo model beside the reference, trained on 2020, judged on 2021 Q1.

``python -m bench.kcs_bench [--variant production|strict|both] [--home DIR] [--diagnose]``: each variant runs
in a fresh project home (import kcs, dbt build, train_lane as of 2020-12-31, score 2021 Q1; see
``simworld.kcs_eval``); in the same run the reference (``../shared/reference/kcs_raw_reference.py``: XGBoost on
the raw columns, exact values as categories) is run on the same files. Both go under key ``"kcs"`` of
``bench/results.json`` (merged: other keys stay) with the gap as a ratio (platform / reference); the
platform's precision at 1/2/5/10 % and AUC are logged as a run ``kcs-bench-<variant>`` in the cargo MLflow
experiment of that home, with the reference's figures beside them.

The bar: the platform's production variant at least level with the reference at 5 % and 10 % inspection.
Published on a later quarter (paper Table 3): XGBoost 0.675 / 0.579, LightGBM 0.762 / 0.641.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from bench.run import RESULTS, machine

log = logging.getLogger("bench.kcs")
BAR_KS = ("precision_at_5pct", "precision_at_10pct")
SIDE_BY_SIDE = ("precision_at_1pct", "precision_at_2pct", "precision_at_5pct", "precision_at_10pct", "auc")
PUBLISHED = {"xgboost": {"precision_at_5pct": 0.675, "precision_at_10pct": 0.579},
             "lightgbm": {"precision_at_5pct": 0.762, "precision_at_10pct": 0.641}}


def gap(platform: dict, reference: dict) -> dict:
    """platform / reference per metric: >= 1 is level or better."""
    return {k: round(platform[k] / reference[k], 3) for k in SIDE_BY_SIDE if reference.get(k)}


def run_variant(variant: str, home: Path, reference: dict, trials: int | None = None, diagnose: bool = False) -> dict:
    import mlflow

    from core.settings import get_settings
    from ml.tracking import configure_mlflow
    from simworld.kcs_eval import evaluate

    shutil.rmtree(home, ignore_errors=True)
    for name in [n for n in os.environ if n.startswith("CUSTOMS_RISK_")]:
        del os.environ[name]
    os.environ.update({"CUSTOMS_RISK_HOME": str(home), "CUSTOMS_RISK_ALLOW_DEMO_KEY": "1"})
    settings = get_settings()
    figures = evaluate(settings, variant, trials=trials)
    if diagnose:
        from simworld.kcs_eval import diagnose as inside_2020

        figures["diagnosis_inside_2020"] = inside_2020(settings)
    figures["gap_vs_reference"] = gap(figures["metrics"], reference["metrics"])
    figures["level_with_reference"] = all(figures["metrics"][k] >= reference["metrics"][k] for k in BAR_KS)
    configure_mlflow("cargo", settings)
    with mlflow.start_run(run_name=f"kcs-bench-{variant}"):
        mlflow.set_tags({"lane": "cargo", "stage": "benchmark", "benchmark": "kcs", "variant": variant,
                         "train_run_id": figures["train_run_id"],
                         "level_with_reference": figures["level_with_reference"]})
        mlflow.log_params({"variant": variant, "train_window": figures["train_window"],
                           "valid_file": "df_syn_valid_eng.csv (2021 Q1)", "model_version": figures["model_version"],
                           "scored_rows": figures["scored_rows"]})
        mlflow.log_metrics({f"kcs_{k}": v for k, v in figures["metrics"].items()}
                           | {f"kcs_reference_{k}": v for k, v in reference["metrics"].items()}
                           | {f"kcs_gap_{k}": v for k, v in figures["gap_vs_reference"].items()}
                           | {"kcs_fraud_share": figures["fraud_share"]})
        mlflow.log_dict(figures | {"reference": reference}, "kcs_bench.json")
    figures["mlflow_tracking_uri"] = settings.mlflow_tracking_uri
    return figures


def merge_kcs(variant_figures: dict[str, dict], reference: dict) -> None:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    kcs = {k: v for k, v in results.get("kcs", {}).items() if k not in ("bar", "meets_bar")}
    kcs.setdefault("variants", {}).update(variant_figures)
    kcs.update({"reference": reference, "bar": "production variant >= reference at 5 % and 10 % inspection",
                "published_later_quarter": PUBLISHED,
                "train_file": "df_syn_train_eng.csv (2020)", "valid_file": "df_syn_valid_eng.csv (2021 Q1)",
                "measured_at": machine()["measured_at"]})
    results["kcs"] = kcs
    results.setdefault("machine", {}).update(machine())
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")


def side_by_side(variant: str, figures: dict, reference: dict) -> str:
    """A small table: each metric for the platform, the reference and their ratio."""
    lines = [f"{'':12} {'platform (' + variant + ')':>24} {'reference':>10} {'ratio':>7}"]
    for k in SIDE_BY_SIDE:
        p, r = figures["metrics"][k], reference["metrics"][k]
        label = k.replace("precision_at_", "P@").replace("pct", "%").replace("auc", "AUC")
        lines.append(f"{label:12} {p:24.3f} {r:10.3f} {p / r:7.3f}")
    lines.append(f"level with the reference at 5 % and 10 %: {figures['level_with_reference']}; "
                 f"fraud share {figures['fraud_share']}; seconds {figures['seconds']} (reference {reference['seconds']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from simworld.kcs_eval import reference_figures

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=("production", "strict", "both"), default="production")
    parser.add_argument("--home", type=Path, default=None, help="parent of the fresh homes (default: a temp dir)")
    parser.add_argument("--trials", type=int, default=None, help="Optuna trials (default: ml.train.SEARCH_TRIALS)")
    parser.add_argument("--diagnose", action="store_true", help="also the feature-group ablations inside 2020")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parent = args.home or Path(tempfile.mkdtemp(prefix="kcs-bench-"))
    reference = reference_figures()
    variants = ("production", "strict") if args.variant == "both" else (args.variant,)
    for variant in variants:
        figures = run_variant(variant, parent / variant, reference, args.trials, args.diagnose)
        merge_kcs({variant: figures}, reference)
        log.info("KCS 2020 -> 2021 Q1\n%s", side_by_side(variant, figures, reference))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
