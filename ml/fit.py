"""Fitting one XGBoost classifier: the default parameters, early stopping with an exact refit, and the
parameters fixed when a lane carries code columns (native categories)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.features import category_columns

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

# Code columns (c_*) split as native categories, partitioned rather than one-hot (high cardinality).
CATEGORICAL = {"enable_categorical": True, "max_cat_to_onehot": 1}
FIXED_ROUNDS = 150


@dataclass
class Fitted:
    """A fitted model and what the run logs about how it was fitted (``params`` and ``tags`` beyond
    the hyperparameters: e.g. where it was trained)."""
    model: object
    tuned: dict
    search_info: dict
    best_iteration: int
    eval_metric: str
    stop_window: str
    dataset_digest: str
    params: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)


def classifier_params(seed: int, spw: float, overrides: dict | None, eval_metric: str) -> dict:
    """XGBClassifier keyword arguments shared by every fit, here or on a Dask cluster (minus the rounds)."""
    params = {k: v for k, v in HYPERPARAMS.items() if k not in ("early_stopping_rounds", "n_estimators")}
    return params | (overrides or {}) | dict(random_state=seed, scale_pos_weight=spw, eval_metric=eval_metric,
                                            **CATEGORICAL)


def eval_metric_for(y_valid: np.ndarray) -> str:
    return "aucpr" if 0 < y_valid.sum() < len(y_valid) else "logloss"


def fit_early_stopped(X: pd.DataFrame, y: np.ndarray, X_valid: pd.DataFrame, y_valid: np.ndarray, seed: int,
                      spw: float, overrides: dict | None = None,
                      refit_on: tuple[pd.DataFrame, np.ndarray] | None = None):
    """Early-stop on (X_valid, y_valid), then refit exactly best_iteration+1 rounds (on ``refit_on``
    when given, else on X) so the logged artifact carries no unused trees and predicts the same
    whoever loads it."""
    from xgboost import XGBClassifier

    eval_metric = eval_metric_for(y_valid)
    n_estimators = (overrides or {}).get("n_estimators", HYPERPARAMS["n_estimators"])
    common = classifier_params(seed, spw, overrides, eval_metric) | dict(n_estimators=n_estimators, n_jobs=4)
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


def fixed_rounds_reason(stop_positives: int, minimum: int) -> str:
    return f"{stop_positives} positives in the training window's last days < {minimum}"


def fit_fixed(X: pd.DataFrame, y: np.ndarray, seed: int, spw: float, overrides: dict | None = None):
    """The default parameters for FIXED_ROUNDS rounds, no early stopping: for training windows whose
    last days hold too few positives to stop on."""
    from xgboost import XGBClassifier

    model = XGBClassifier(**classifier_params(seed, spw, overrides, "logloss"), n_estimators=FIXED_ROUNDS, n_jobs=4)
    model.fit(X, y, verbose=False)
    return model, FIXED_ROUNDS - 1, "none"
