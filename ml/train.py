"""Train one lane's XGBoost model on an out-of-time split and record it in MLflow.

Labels exist only for inspected items, chosen mostly by the historic rules; the random-audit rows are
the only unbiased sample, so the validation window is reported on all labelled rows and separately on
audit rows, and (on simulated data) against the simulator's truth for every item of the window.
"""
from __future__ import annotations

import hashlib
import math
from datetime import date

import numpy as np
import pandas as pd

from core.settings import Settings, get_settings
from ml.features import category_columns, feature_columns, feature_table, load_features, predict
from ml.evaluation import MIN_AUDIT_ROWS, capacity_pct, plot_importance, plot_pr_curves, policy_metrics, random_scores, rule_scores
from ml.metrics import ranking_metrics
from ml.registry import mark_new_version
from ml.selection import select_within_offices
from ml.tracking import configure_mlflow
from ml.oracle import get_oracle, truth_for

MIN_LABELLED_ROWS = 100
MIN_LABELLED_DAYS = 2
VALID_SHARE = 0.2          # last ~20 % of distinct labelled days validate
HYPERPARAMS = {
    "n_estimators": 400,
    "learning_rate": 0.05,
    "max_depth": 4,
    "min_child_weight": 1.0,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "tree_method": "hist",
    "early_stopping_rounds": 30,
}


class NotEnoughDataError(ValueError):
    """Too few labelled rows, days or classes to train and validate honestly."""


def dataset_digest(frame: pd.DataFrame) -> str:
    """Content hash of the training frame: equal digests mean the model saw the same data."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    header = "|".join(map(str, frame.columns)).encode()
    return hashlib.sha256(header + hashed.tobytes()).hexdigest()[:16]


def out_of_time_split(labelled: pd.DataFrame, lane: str) -> tuple[list[date], list[date]]:
    """(train days, valid days): validation is always later than training, as in production."""
    days = sorted(labelled["item_date"].unique())
    if len(labelled) < MIN_LABELLED_ROWS or len(days) < MIN_LABELLED_DAYS:
        raise NotEnoughDataError(
            f"lane {lane}: {len(labelled)} labelled rows over {len(days)} days; training needs at least "
            f"{MIN_LABELLED_ROWS} rows and {MIN_LABELLED_DAYS} days (load more inspection outcomes)"
        )
    n_valid = min(len(days) - 1, max(1, round(VALID_SHARE * len(days))))
    return days[:-n_valid], days[-n_valid:]


# Code columns (c_*) split as native categories, partitioned rather than one-hot (high cardinality).
CATEGORICAL = {"enable_categorical": True, "max_cat_to_onehot": 1}
# Early stopping and the search need positives in the training window's own last days; on a handful
# (one demo day of travellers holds ~4) the best iteration is 1-2 and the search picks noise, so below
# this the default parameters run a fixed number of rounds instead. Chosen on a development world
# (seed 11, 21 days at scale 0.01; never the evaluation world): with ~40 positives in the inner window
# cargo's early-stopped and searched models found fewer risky items than fixed rounds did.
MIN_STOP_POSITIVES = 100
FIXED_ROUNDS = 150
SEARCH_TRIALS = 8           # bounded Optuna budget per training run
SEARCH_SPACE = {            # name: (low, high, log scale)
    "max_depth": (2, 6, False),
    "learning_rate": (0.02, 0.2, True),
    "min_child_weight": (0.5, 10.0, True),
    "subsample": (0.6, 1.0, False),
    "colsample_bytree": (0.5, 1.0, False),
    "reg_lambda": (0.3, 10.0, True),
}


def _fit(X: pd.DataFrame, y: np.ndarray, X_valid: pd.DataFrame, y_valid: np.ndarray, seed: int, spw: float,
         overrides: dict | None = None, refit_on: tuple[pd.DataFrame, np.ndarray] | None = None):
    """Early-stop on (X_valid, y_valid), then refit exactly best_iteration+1 rounds (on ``refit_on``
    when given, else on X) so the logged artifact carries no unused trees and predicts the same
    whoever loads it."""
    from xgboost import XGBClassifier

    params = {k: v for k, v in HYPERPARAMS.items() if k != "early_stopping_rounds"} | (overrides or {})
    both_classes = 0 < y_valid.sum() < len(y_valid)
    eval_metric = "aucpr" if both_classes else "logloss"
    common = dict(params, random_state=seed, scale_pos_weight=spw, eval_metric=eval_metric, n_jobs=4, **CATEGORICAL)
    probe = XGBClassifier(**common, early_stopping_rounds=HYPERPARAMS["early_stopping_rounds"])
    probe.fit(X, y, eval_set=[(X_valid, y_valid)], verbose=False)
    best_iteration = int(probe.best_iteration)
    model = XGBClassifier(**dict(common, n_estimators=best_iteration + 1))
    X_refit, y_refit = refit_on if refit_on is not None else (X, y)
    model.fit(X_refit, y_refit, verbose=False)
    return model, best_iteration, eval_metric


def category_overrides(features: list[str]) -> dict:
    """Parameters fixed (not searched) when there are code columns, each measured on KCS inside 2020
    only (fit before 2020-10-19, judged after; no 2021 label read): every tree sees every column, since
    column subsampling hides the dominant code (HS6) from a share of the trees (0.79 -> 0.62 precision
    at 5 %, ``simworld.kcs_eval.diagnose``); depth 6 for code-by-code interactions; and no class weight
    (``class_weight``), which made partition splits chase rare codes (0.553 with it, 0.744 without)."""
    return {"colsample_bytree": 1.0, "max_depth": 6} if category_columns(features) else {}


def class_weight(features: list[str], n_neg: int, n_pos: int) -> float:
    """scale_pos_weight: negatives per positive, except with code columns (see category_overrides)."""
    return 1.0 if category_columns(features) else n_neg / n_pos


def _fit_fixed(X: pd.DataFrame, y: np.ndarray, seed: int, spw: float, overrides: dict | None = None):
    """The default parameters for FIXED_ROUNDS rounds, no early stopping: for training windows whose
    last days hold too few positives to stop on."""
    from xgboost import XGBClassifier

    params = {k: v for k, v in HYPERPARAMS.items() if k not in ("early_stopping_rounds", "n_estimators")}
    params |= overrides or {}
    model = XGBClassifier(**params, n_estimators=FIXED_ROUNDS, random_state=seed, scale_pos_weight=spw,
                          eval_metric="logloss", n_jobs=4, **CATEGORICAL)
    model.fit(X, y, verbose=False)
    return model, FIXED_ROUNDS - 1, "none"


def inner_split(train: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The training window's own out-of-time split (its last ~20 % of days), used for the search and
    for early stopping so the outer validation window is never looked at before it is scored. None
    when there are fewer than 3 days or a side lacks a class."""
    days = sorted(train["item_date"].unique())
    if len(days) < 3:
        return None
    n_inner = max(1, round(VALID_SHARE * len(days)))
    fit_part = train[train["item_date"].isin(days[:-n_inner])]
    tune_part = train[train["item_date"].isin(days[-n_inner:])]
    y_fit, y_tune = fit_part["label"].to_numpy(), tune_part["label"].to_numpy()
    if not (0 < y_fit.sum() < len(y_fit)) or not (0 < y_tune.sum() < len(y_tune)):
        return None
    return fit_part, tune_part


def search_hyperparams(train: pd.DataFrame, features: list[str], seed: int, spw: float,
                       trials: int = SEARCH_TRIALS) -> tuple[dict, dict]:
    """Seeded TPE search inside the training window only (its own last days validate), each trial an
    MLflow run nested under the active one. The outer validation window stays untouched for the
    honest estimate and the gate. Returns (best overrides, summary); no overrides when the training
    window cannot be split with both classes on each side."""
    import mlflow
    import optuna
    from sklearn.metrics import average_precision_score

    fixed = category_overrides(features)
    if trials <= 0:
        return fixed, {"search": "skipped: 0 trials"}
    split = inner_split(train)
    if split is None:
        return fixed, {"search": "skipped: the training window cannot be split with both classes on each side"}
    fit_part, tune_part = split
    days = sorted(tune_part["item_date"].unique())
    n_inner = len(days)
    y_fit, y_tune = fit_part["label"].to_numpy(), tune_part["label"].to_numpy()


    def objective(trial) -> float:
        params = {}
        for name, (low, high, log) in SEARCH_SPACE.items():
            if name in fixed:
                continue
            if isinstance(low, int):
                params[name] = trial.suggest_int(name, low, high)
            else:
                params[name] = trial.suggest_float(name, low, high, log=log)
        params |= fixed
        model, best_iteration, _ = _fit(fit_part[features], y_fit, tune_part[features], y_tune, seed, spw, params)
        value = float(average_precision_score(y_tune, predict(model, tune_part, features)))
        with mlflow.start_run(run_name=f"trial-{trial.number}", nested=True):
            mlflow.set_tags({"stage": "search", "trial": trial.number})
            mlflow.log_params(params | {"best_iteration": best_iteration})
            mlflow.log_metric("inner_average_precision", value)
        return value

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=4))
    study.optimize(objective, n_trials=trials)
    return dict(study.best_params) | fixed, {"search": "optuna-tpe", "search_trials": trials,
                                     "search_best_trial": study.best_trial.number,
                                     "search_best_inner_ap": round(study.best_value, 6),
                                     "search_inner_days": f"{days[-n_inner]}..{days[-1]}"}


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(v)}


def train_lane(lane: str, settings: Settings | None = None, as_of: date | None = None,
               trials: int = SEARCH_TRIALS) -> dict:
    """Train, evaluate out of time, log one MLflow run, register the model and set its aliases.

    Returns run_id, model_name, model_version, aliases, metrics and the data window.
    """
    import mlflow
    from mlflow.models import infer_signature

    settings = settings or get_settings()
    labelled = load_features(lane, settings, as_of=as_of, labelled_only=True)
    features = feature_columns(labelled.columns)
    labelled["label"] = labelled["label"].astype("int64")
    train_days, valid_days = out_of_time_split(labelled, lane)
    # Every item of the validation window, labelled or not: what a day's selection ranks.
    window_frame = load_features(lane, settings, since=valid_days[0], as_of=valid_days[-1])
    train = labelled[labelled["item_date"].isin(train_days)]
    valid = labelled[labelled["item_date"].isin(valid_days)]
    y_train = train["label"].to_numpy()
    y_valid = valid["label"].to_numpy()
    n_pos, n_neg = int(y_train.sum()), int(len(y_train) - y_train.sum())
    if n_pos == 0 or n_neg == 0:
        raise NotEnoughDataError(
            f"lane {lane}: the training window {train_days[0]}..{train_days[-1]} has {n_pos} positive and "
            f"{n_neg} negative labels; both classes are needed"
        )
    spw = class_weight(features, n_neg, n_pos)
    X_train, X_valid = train[features], valid[features]
    schema, table = feature_table(lane)
    name = settings.model_name(lane)
    configure_mlflow(lane, settings)
    with mlflow.start_run(run_name=f"train-{lane}-{valid_days[-1]}") as run:
        mlflow.set_tags({"lane": lane, "stage": "train"})
        split = inner_split(train)
        stop_positives = int(split[1]["label"].sum()) if split is not None else 0
        if stop_positives >= MIN_STOP_POSITIVES:   # search and early stopping inside the training window
            tuned, search_info = search_hyperparams(train, features, settings.seed, spw, trials)
            fit_part, tune_part = split
            model, best_iteration, eval_metric = _fit(
                fit_part[features], fit_part["label"].to_numpy(), tune_part[features], tune_part["label"].to_numpy(),
                settings.seed, spw, tuned, refit_on=(X_train, y_train))
            stop_window = f"{tune_part['item_date'].min()}..{tune_part['item_date'].max()}"
        else:   # a handful of positives: stopping or searching on them follows noise (2-tree models)
            why = f"{stop_positives} positives in the training window's last days < {MIN_STOP_POSITIVES}"
            tuned, search_info = {}, {"search": f"skipped: {why}"}
            tuned = category_overrides(features)
            model, best_iteration, eval_metric = _fit_fixed(X_train, y_train, settings.seed, spw, tuned)
            stop_window = f"none: {FIXED_ROUNDS} rounds ({why})"
        mlflow.set_tag("early_stopping_window", stop_window)

        valid_scores = predict(model, valid, features)
        metrics = ranking_metrics(y_valid, valid_scores, ids=valid["item_id"])
        audit_mask = valid["is_audit"].fillna(False).astype(bool).to_numpy()
        n_audit, audit_pos = int(audit_mask.sum()), int(y_valid[audit_mask].sum())
        if n_audit >= MIN_AUDIT_ROWS and audit_pos > 0:
            metrics |= ranking_metrics(y_valid[audit_mask], valid_scores[audit_mask],
                                       ids=valid["item_id"][audit_mask], prefix="audit_")
        metrics |= _truth_metrics(lane, settings, model, window_frame, features, valid_days)
        truth = truth_for(settings, lane, valid_days)
        model_window = policy_metrics(window_frame, predict(model, window_frame, features),
                                      settings, lane, truth)
        metrics |= {k: v for k, v in model_window.items() if k not in metrics}

        digest = dataset_digest(train[["item_id", "item_date", "office_id", "label", *features]])
        window = {
            "train_start": str(train_days[0]), "train_end": str(train_days[-1]),
            "valid_start": str(valid_days[0]), "valid_end": str(valid_days[-1]),
            "train_days": len(train_days), "valid_days": len(valid_days),
            "train_rows": len(train), "train_positives": n_pos,
            "valid_rows": len(valid), "valid_positives": int(y_valid.sum()),
            "valid_audit_rows": n_audit, "valid_audit_positives": audit_pos,
        }
        mlflow.log_params({
            **{k: v for k, v in HYPERPARAMS.items()}, **tuned,
            "lane": lane, "as_of": str(as_of) if as_of else "latest", "seed": settings.seed,
            "feature_table": f"{schema}.{table}", "n_features": len(features),
            "scale_pos_weight": round(spw, 6), "best_iteration": best_iteration,
            "early_stopping_metric": eval_metric, "dataset_digest": digest,
            "capacity_pct": capacity_pct(settings, lane), **search_info, **window,
        })
        mlflow.log_dict({"features": features}, "features.json")
        mlflow.log_metrics(_finite(metrics))
        signature = infer_signature(X_train, predict(model, train, features))
        info = mlflow.xgboost.log_model(
            model, name="model", signature=signature, input_example=X_train.head(5),
            registered_model_name=name,
        )
        version = int(info.registered_model_version)
        baselines = _log_baselines(lane, settings, name, window_frame, truth, model, features, window)
        # Training only registers: the new version becomes @challenger (and @champion only when the lane
        # has none). ml.promotion validates it against @champion and moves the aliases.
        aliases = mark_new_version(settings, name, version, metrics)
        mlflow.set_tags({"model_version": version, "promoted": aliases["promoted"],
                         "promotion_reason": aliases["promotion_reason"]})
    return {
        "run_id": run.info.run_id, "lane": lane, "model_name": name, "model_version": version,
        **aliases, "metrics": _finite(metrics), "window": window, "features": features,
        "dataset_digest": digest, "tuned_params": tuned, "baselines": baselines,
    }


def _log_baselines(lane: str, settings: Settings, name: str, window_frame: pd.DataFrame,
                   truth: pd.DataFrame | None, model, features: list[str], window: dict) -> dict[str, dict]:
    """Random, rule and current-champion policies as nested runs on the same out-of-time window and
    under the same metric names as the model; the PR curves and feature importance as plots."""
    import mlflow

    from ml.registry import CHAMPION, current_alias

    policies: dict[str, np.ndarray] = {"random": random_scores(window_frame, settings.seed)}
    rule = rule_scores(window_frame, truth, settings.seed)
    if rule is not None:
        policies["rule"] = rule
    champ = current_alias(settings, name, CHAMPION)
    if champ is not None:
        try:
            champ_model = mlflow.xgboost.load_model(champ.uri)
            policies[f"champion_v{champ.version}"] = predict(champ_model, window_frame, features)
        except Exception as exc:  # an incompatible champion is reported, not fatal to training
            mlflow.set_tag("baseline_champion_error", str(exc)[:250])
    results = {}
    for policy, scores in policies.items():
        metrics = policy_metrics(window_frame, scores, settings, lane, truth)
        with mlflow.start_run(run_name=f"baseline-{policy}", nested=True):
            mlflow.set_tags({"lane": lane, "stage": "baseline", "policy": policy})
            mlflow.log_params({"policy": policy, "valid_start": window["valid_start"],
                               "valid_end": window["valid_end"], "capacity_pct": capacity_pct(settings, lane)})
            mlflow.log_metrics(_finite(metrics))
        results[policy] = _finite(metrics)

    labelled = window_frame["label"].notna().to_numpy()
    y = window_frame["label"].to_numpy(dtype=float, na_value=np.nan)[labelled]
    curves = {"model": (y, predict(model, window_frame, features)[labelled])}
    curves |= {p: (y, s[labelled]) for p, s in policies.items()}
    fig = plot_pr_curves(curves, float(np.mean(y)) if len(y) else float("nan"),
                         f"{lane}: PR on {window['valid_start']}..{window['valid_end']} (labelled)")
    mlflow.log_figure(fig, "plots/pr_curve.png")
    fig2 = plot_importance(model.get_booster(), f"{lane}: feature importance")
    mlflow.log_figure(fig2, "plots/feature_importance.png")
    import matplotlib.pyplot as plt

    plt.close(fig)
    plt.close(fig2)
    model_metrics = policy_metrics(window_frame, predict(model, window_frame, features),
                                   settings, lane, truth)
    mlflow.log_dict({k: v for k, v in model_metrics.items() if "_office_" in k}, "per_office_at_capacity.json")
    return results


def _truth_metrics(lane: str, settings: Settings, model, frame: pd.DataFrame, features: list[str],
                   valid_days: list[date]) -> dict[str, float]:
    """True hit rate at the lane's capacity over every item of the validation window, labelled or
    not: the policy measured as it would run (per day and office), beside random and the rules."""
    window = frame[(frame["item_date"] >= valid_days[0]) & (frame["item_date"] <= valid_days[-1])]
    oracle = get_oracle(settings)
    truth = oracle.truth(lane, window["item_date"].unique()) if oracle is not None else None
    if truth is None:
        return {}
    window = window[window["item_id"].isin(truth["item_id"])]
    if window.empty:
        return {}
    scored = window[["item_id", "item_date", "office_id"]].assign(
        score=predict(model, window, features))
    selected = select_within_offices(scored, settings.capacity_share[lane], group_by=("item_date", "office_id"),
                                     office_capacity=settings.office_capacity.get(lane))
    picks = selected.loc[selected["selected"], "item_id"]
    truth = truth[truth["item_id"].isin(window["item_id"])]
    patterns = oracle.pattern_recall(truth, picks)
    _log_patterns(lane, patterns, valid_days)
    return (oracle.policy_hit_rates(truth, picks) | {"true_items": float(len(truth)), "true_selected_model": float(len(picks))}
            | {f"true_recall_pattern_{p}": v["recall_model"] for p, v in patterns.items()})


def _log_patterns(lane: str, patterns: dict[str, dict[str, float]], valid_days: list[date]) -> None:
    """The planted patterns the model finds at capacity on the validation window, beside the rules:
    ``patterns_found.json`` and a bar chart, so a run shows what it learned, not only how much."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mlflow

    mlflow.log_dict({"window": f"{valid_days[0]}..{valid_days[-1]}", "patterns": patterns}, "patterns_found.json")
    names = list(patterns)
    fig, ax = plt.subplots(figsize=(6, max(2.5, 0.45 * len(names) + 1)))
    y = np.arange(len(names))
    ax.barh(y - 0.2, [patterns[n]["recall_model"] for n in names], height=0.4, label="model")
    ax.barh(y + 0.2, [patterns[n]["recall_rule"] for n in names], height=0.4, label="historic rules")
    ax.set_yticks(y, [f"{n} ({patterns[n]['items']:.0f})" for n in names])
    ax.set_xlabel("share of the pattern's items selected at capacity")
    ax.set_title(f"{lane}: planted patterns found, {valid_days[0]}..{valid_days[-1]}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    mlflow.log_figure(fig, "plots/patterns_found.png")
    plt.close(fig)
