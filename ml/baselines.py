"""The baselines a model must beat, logged beside it: random, the historic rules (where an oracle knows
them) and the current champion, each a sibling MLflow run on the same out-of-time window sharing the
training run's ``comparison`` tag, so the run list compares them without expanding anything."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.settings import Settings
from ml.evaluate import (JudgedWindow, Policy, capacity_pct, finite, model_policy, random_policy, rule_policy,
                         window_metrics)
from ml.plots import log_figures, plot_importance, plot_pr_curves


def baseline_policies(lane: str, settings: Settings, truth: pd.DataFrame | None,
                      features: list[str]) -> dict[str, Policy]:
    """The policies a model must beat on the same window: random, the historic rules (where an oracle
    knows them) and the current champion (where it still fits the features)."""
    import mlflow

    from ml.registry import CHAMPION, current_alias

    policies: dict[str, Policy] = {"random": random_policy(settings.seed)}
    rule = rule_policy(truth, settings.seed)
    if rule is not None:
        policies["rule"] = rule
    champ = current_alias(settings, settings.model_name(lane), CHAMPION)
    if champ is not None:
        try:
            model = mlflow.xgboost.load_model(champ.uri)
            inputs = list(model.get_booster().feature_names or [])
            if inputs != list(features):
                raise ValueError(f"champion v{champ.version} was trained on other features than these "
                                 f"({sorted(set(inputs) ^ set(features)) or 'another order'})")
            policies[f"champion_v{champ.version}"] = model_policy(model, features)
        except Exception as exc:  # an incompatible champion is reported, not fatal to training
            mlflow.set_tag("baseline_champion_error", str(exc)[:250])
    return policies


def comparison_key(lane: str, window: dict) -> str:
    """The tag shared by a model run and its baselines: one lane, one out-of-time window."""
    return f"{lane} {window['valid_start']}..{window['valid_end']}"


def _sibling_run(lane: str, policy: str, comparison: str, params: dict, metrics: dict[str, float]) -> str:
    """A top-level run beside the active training run (not its child), so the MLflow run list and its
    chart view show model, rules and random side by side without expanding anything."""
    import time

    import mlflow
    from mlflow.entities import Metric, Param

    client, parent = mlflow.MlflowClient(), mlflow.active_run()
    tags = {"lane": lane, "stage": "baseline", "policy": policy, "comparison": comparison,
            "train_run_id": parent.info.run_id}
    run = client.create_run(parent.info.experiment_id, run_name=f"baseline-{policy}-{comparison.split()[-1]}", tags=tags)
    now = int(time.time() * 1000)
    client.log_batch(run.info.run_id, metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
                     params=[Param(k, str(v)) for k, v in params.items()])
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def log_baselines(lane: str, settings: Settings, judged: JudgedWindow, model, policies: list[str],
                  window: dict) -> dict[str, dict]:
    """Each baseline of ``policies`` (judged beside the "model" policy on the same out-of-time window) as
    a run under the same metric names as the model, a sibling of the active training run sharing its
    ``comparison`` tag (filter ``tags.comparison = '<lane> <start>..<end>'`` in the MLflow UI); the PR
    curves and feature importance as the training run's plots."""
    import mlflow

    comparison = comparison_key(lane, window)
    mlflow.set_tags({"policy": "model", "comparison": comparison})
    results = {}
    for policy in policies:
        metrics = finite(window_metrics(judged, policy, settings))
        _sibling_run(lane, policy, comparison, {"policy": policy, "valid_start": window["valid_start"],
                                                "valid_end": window["valid_end"],
                                                "capacity_pct": capacity_pct(settings, lane)}, metrics)
        results[policy] = metrics

    labelled = judged.rows["label"].notna().to_numpy()
    y = judged.rows["label"].to_numpy(dtype=float, na_value=np.nan)[labelled]
    curves = {p: (y, judged.scores[p][labelled]) for p in ["model", *policies]}
    log_figures({
        "plots/pr_curve.png": plot_pr_curves(curves, float(np.mean(y)) if len(y) else float("nan"),
                                             f"{lane}: PR on {window['valid_start']}..{window['valid_end']} (labelled)"),
        "plots/feature_importance.png": plot_importance(model.get_booster(), f"{lane}: feature importance"),
    })
    per_office = window_metrics(judged, "model", settings)
    mlflow.log_dict({k: v for k, v in per_office.items() if "_office_" in k}, "per_office_at_capacity.json")
    return results
