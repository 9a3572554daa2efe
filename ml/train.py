"""Training, the first of the ML steps (train -> evaluate -> gate -> deploy, as databricks mlops-stacks
splits them): fit one lane's XGBoost model on an out-of-time split with a bounded search inside the
training window, log the run with its evaluation (``ml.evaluate``) and register the new version as the
lane's ``@challenger``. Only ``ml.deploy`` moves ``@champion``.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from core.settings import Settings, get_settings
from ml.baselines import baseline_policies, log_baselines
from ml.dataset import (NotEnoughDataError, SplitData, TrainingData, dataset_digest, digest_columns,  # noqa: F401
                        training_data, window_days)
from ml.evaluate import capacity_pct, finite, judge, model_policy, validation_metrics
from ml.features import feature_table, predict
from ml.fit import (FIXED_ROUNDS, HYPERPARAMS, Fitted, category_overrides, class_weight, fit_early_stopped,
                    fit_fixed, fixed_rounds_reason)
from ml.oracle import truth_for
from ml.registry import mark_challenger
from ml.search import SEARCH_TRIALS, inner_split, search_hyperparams
from ml.tracking import configure_mlflow

if TYPE_CHECKING:
    from ml.distributed import DaskOptions

# Early stopping and the search need positives in the training window's own last days; on a handful
# (one demo day of travellers holds ~4) the best iteration is 1-2 and the search picks noise, so below
# this the default parameters run a fixed number of rounds instead. Chosen on a development world
# (seed 11, 21 days at scale 0.01; never the evaluation world): with ~40 positives in the inner window
# cargo's early-stopped and searched models found fewer risky items than fixed rounds did.
MIN_STOP_POSITIVES = 100


def fit_lane(data: TrainingData, seed: int, spw: float, trials: int) -> Fitted:
    """Search and early-stop inside the training window when its last days hold enough positives;
    otherwise the default parameters for a fixed number of rounds, saying why."""
    features, train = data.features, data.train
    X_train, y_train = train[features], train["label"].to_numpy()
    digest = dataset_digest(train[digest_columns(features)])
    split = inner_split(train)
    stop_positives = int(split[1]["label"].sum()) if split is not None else 0
    if stop_positives >= MIN_STOP_POSITIVES:
        tuned, search_info = search_hyperparams(train, features, seed, spw, trials)
        fit_part, tune_part = split
        model, best_iteration, eval_metric = fit_early_stopped(
            fit_part[features], fit_part["label"].to_numpy(), tune_part[features], tune_part["label"].to_numpy(),
            seed, spw, tuned, refit_on=(X_train, y_train))
        return Fitted(model, tuned, search_info, best_iteration, eval_metric,
                      f"{tune_part['item_date'].min()}..{tune_part['item_date'].max()}", digest)
    # A handful of positives: stopping or searching on them follows noise (2-tree models).
    why = fixed_rounds_reason(stop_positives, MIN_STOP_POSITIVES)
    tuned = category_overrides(features)
    model, best_iteration, eval_metric = fit_fixed(X_train, y_train, seed, spw, tuned)
    return Fitted(model, tuned, {"search": f"skipped: {why}"}, best_iteration, eval_metric,
                  f"none: {FIXED_ROUNDS} rounds ({why})", digest)


def fit_data(data: SplitData, seed: int, spw: float, trials: int, dask: DaskOptions | None) -> Fitted:
    """In memory (``fit_lane``), or on a Dask cluster when ``dask`` says so (``ml.distributed``)."""
    if dask is None:
        return fit_lane(data, seed, spw, trials)
    from ml.distributed import fit_distributed

    return fit_distributed(data, seed, spw, dask, MIN_STOP_POSITIVES)


def load_data(lane: str, settings: Settings, as_of: date | None, dask: DaskOptions | None) -> SplitData:
    """The split and the training rows in memory, or the split and a plan of partitions the Dask
    workers read themselves (the training rows never pass through this process)."""
    if dask is None:
        return training_data(lane, settings, as_of)
    from ml.distributed import dask_training_data

    return dask_training_data(lane, settings, as_of, dask)


def model_signature(data: SplitData, model):
    """The logged signature, inferred from the training rows (``data.signature_rows``: all of them in
    memory, the first partition on a cluster); a column missing anywhere in training is optional."""
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types import ColSpec, Schema

    rows, features = data.signature_rows, data.features
    signature = infer_signature(rows[features], predict(model, rows, features))
    optional = set(data.optional_columns)
    inputs = Schema([ColSpec(c.type, c.name, required=False) if c.name in optional else c
                     for c in signature.inputs.inputs])
    return ModelSignature(inputs=inputs, outputs=signature.outputs)


def train_lane(lane: str, settings: Settings | None = None, as_of: date | None = None,
               trials: int = SEARCH_TRIALS, distributed: DaskOptions | None = None) -> dict:
    """Fit (in memory, or on a Dask cluster with ``distributed``), evaluate out of time, log one MLflow
    run and register the model as ``@challenger``.

    Returns run_id, model_name, model_version, aliases, metrics, the data window and the baselines.
    """
    import mlflow

    settings = settings or get_settings()
    data = load_data(lane, settings, as_of, distributed)
    features = data.features
    spw = class_weight(features, data.n_train - data.n_pos, data.n_pos)
    name = settings.model_name(lane)
    schema, table = feature_table(lane)
    configure_mlflow(lane, settings)
    truth = truth_for(settings, lane, data.valid_days)
    with mlflow.start_run(run_name=f"train-{lane}-{data.valid_days[-1]}") as run:
        mlflow.set_tags({"lane": lane, "stage": "train"})
        fitted = fit_data(data, settings.seed, spw, trials, distributed)
        mlflow.set_tags({"early_stopping_window": fitted.stop_window, **fitted.tags})
        rivals = baseline_policies(lane, settings, truth, features)
        judged = judge(window_days(lane, settings, data.valid_days[0], data.valid_days[-1]),
                       {"model": model_policy(fitted.model, features)} | rivals, settings, lane, truth,
                       oracle_policy="model")
        metrics = finite(validation_metrics(lane, settings, fitted.model, features, data.valid, judged))
        digest = fitted.dataset_digest
        window = data.window()
        mlflow.log_params({
            **HYPERPARAMS, **fitted.tuned,
            "lane": lane, "as_of": str(as_of) if as_of else "latest", "seed": settings.seed,
            "feature_table": f"{schema}.{table}", "n_features": len(features),
            "scale_pos_weight": round(spw, 6), "best_iteration": fitted.best_iteration,
            "early_stopping_metric": fitted.eval_metric, "dataset_digest": digest,
            "capacity_pct": capacity_pct(settings, lane), **fitted.search_info, **fitted.params, **window,
        })
        mlflow.log_dict({"features": features}, "features.json")
        mlflow.log_metrics(metrics)
        info = mlflow.xgboost.log_model(fitted.model, name="model", signature=model_signature(data, fitted.model),
                                        input_example=data.example, registered_model_name=name)
        version = int(info.registered_model_version)
        baselines = log_baselines(lane, settings, judged, fitted.model, list(rivals), window)
        mark_challenger(settings, name, version)
        mlflow.set_tag("model_version", version)
    return {
        "run_id": run.info.run_id, "lane": lane, "model_name": name, "model_version": version,
        "aliases": ["challenger"], "metrics": metrics, "window": window, "features": features,
        "dataset_digest": digest, "tuned_params": fitted.tuned, "baselines": baselines,
    }
