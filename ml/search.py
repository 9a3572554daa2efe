"""The bounded hyperparameter search: a seeded Optuna TPE study inside the training window only (its own
last days validate), each trial an MLflow run nested under the training run."""
from __future__ import annotations

import pandas as pd

from ml.features import predict
from ml.fit import category_overrides, fit_early_stopped

VALID_SHARE = 0.2          # the last ~20 % of distinct labelled days validate (outer and inner split)
SEARCH_TRIALS = 8           # bounded Optuna budget per training run
SEARCH_SPACE = {            # name: (low, high, log scale)
    "max_depth": (2, 6, False),
    "learning_rate": (0.02, 0.2, True),
    "min_child_weight": (0.5, 10.0, True),
    "subsample": (0.6, 1.0, False),
    "colsample_bytree": (0.5, 1.0, False),
    "reg_lambda": (0.3, 10.0, True),
}


def inner_days(days: list) -> tuple[list, list] | None:
    """(fit days, tune days) of the sorted training ``days``: the last ~20 % tune; None under 3 days."""
    if len(days) < 3:
        return None
    n_inner = max(1, round(VALID_SHARE * len(days)))
    return days[:-n_inner], days[-n_inner:]


def inner_split(train: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The training window's own out-of-time split (its last ~20 % of days), used for the search and
    for early stopping so the outer validation window is never looked at before it is scored. None
    when there are fewer than 3 days or a side lacks a class."""
    days = inner_days(sorted(train["item_date"].unique()))
    if days is None:
        return None
    fit_part = train[train["item_date"].isin(days[0])]
    tune_part = train[train["item_date"].isin(days[1])]
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
        model, best_iteration, _ = fit_early_stopped(fit_part[features], y_fit, tune_part[features], y_tune, seed, spw, params)
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
