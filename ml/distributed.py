"""Training beyond one process's memory: the lane's model fitted with ``xgboost.dask`` on a Dask cluster
(a LocalCluster, one single-threaded worker process per core, or an existing scheduler).

The training rows never pass through this process: the out-of-time split is decided from per-day counts
in the warehouse, and each partition (a block of labelled days) is read by the worker that holds it.
Features, label, split, parameters, category overrides and class weight are the in-memory fit's; there is
no hyperparameter search on the cluster (the defaults, with early stopping on the same inner split when
it holds enough positives). The booster comes back as a plain ``XGBClassifier``, so logging, the
registry, evaluation and scoring do not know where it was trained.
"""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Iterator

import pandas as pd

from core.settings import Settings
from ml.dataset import (SplitData, digest_columns, digest_from, out_of_time_split, require_both_classes,
                        row_hashes)
from ml.features import (category_columns, category_dtypes, feature_columns, labelled_days, labelled_profile,
                         load_features)
from ml.fit import FIXED_ROUNDS, HYPERPARAMS, Fitted, category_overrides, classifier_params, fixed_rounds_reason
from ml.search import inner_days

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DaskOptions:
    """Where to train: ``scheduler`` (tcp://host:8786) or, without it, a LocalCluster of ``n_workers``
    processes (default one per core); ``days_per_partition`` labelled days per partition."""
    scheduler: str | None = None
    n_workers: int | None = None
    days_per_partition: int = 1


@dataclass(kw_only=True)
class DaskTrainingData(SplitData):
    """The split, the validation window in memory, and the plan of the training partitions."""
    settings: Settings
    as_of: date | None
    day_counts: pd.DataFrame                   # item_date, n_rows, n_pos of the labelled training days
    categories: dict[str, pd.CategoricalDtype]
    options: DaskOptions

    def positives(self, days: list[date]) -> tuple[int, int]:
        part = self.day_counts[self.day_counts["item_date"].isin(days)]
        return int(part["n_pos"].sum()), int(part["n_rows"].sum())

    def frame(self, client, days: list[date]):
        """A dask dataframe of these labelled days: each partition (a block of days, or a slice of one
        when there are fewer blocks than workers) read by the worker it is pinned to, round robin, so
        every worker holds rows of every part (XGBoost needs that to share the code columns' categories)."""
        import dask.dataframe as dd

        workers = sorted(client.nthreads())
        futures = [client.submit(read_block, spec, self.lane, self.settings, self.features, self.categories,
                                 workers=[workers[i % len(workers)]])
                   for i, spec in enumerate(self.partition_specs(days, len(workers)))]
        return dd.from_delayed(futures, meta=self.signature_rows.iloc[:0], verify_meta=False)

    def partition_specs(self, days: list[date], n_workers: int) -> list[tuple[date, date, int, int]]:
        """(first day, last day, slice, slices) of each partition, in row order."""
        spans = blocks(days, self.options.days_per_partition)
        slices = -(-n_workers // len(spans))
        specs = []
        for first, last in spans:
            rows = self.positives([d for d in days if first <= d <= last])[1]
            n = max(1, min(slices, rows))
            specs += [(first, last, k, n) for k in range(n)]
        return specs


def blocks(days: list[date], size: int) -> list[tuple[date, date]]:
    """(first, last) day of each run of ``size`` consecutive labelled days."""
    return [(days[i], days[min(i + size, len(days)) - 1]) for i in range(0, len(days), size)]


def read_block(spec: tuple[date, date, int, int], lane: str, settings: Settings, features: list[str],
               categories: dict[str, pd.CategoricalDtype]) -> pd.DataFrame:
    """One partition, read where it runs (a read-only warehouse connection), typed as in memory and
    with the code columns on the categories shared by every partition; slice k of n of the block's rows."""
    first, last, k, n = spec
    frame = load_features(lane, settings, since=first, as_of=last, labelled_only=True)
    frame["label"] = frame["label"].astype("int64")
    for c, dtype in categories.items():
        frame[c] = frame[c].astype("string").astype(dtype)
    bounds = [len(frame) * i // n for i in range(n + 1)]
    return frame[digest_columns(features)].iloc[bounds[k]:bounds[k + 1]].reset_index(drop=True)


def dask_training_data(lane: str, settings: Settings, as_of: date | None, options: DaskOptions) -> DaskTrainingData:
    """The same split as ``ml.dataset.training_data``, from per-day counts; only the validation window
    and the first partition (for the signature) are read here."""
    counts = labelled_days(lane, settings, as_of)
    train_days, valid_days = out_of_time_split(list(counts["item_date"]), int(counts["n_rows"].sum()), lane)
    train_counts = counts[counts["item_date"].isin(train_days)]
    n_train, n_pos = int(train_counts["n_rows"].sum()), int(train_counts["n_pos"].sum())
    require_both_classes(lane, train_days, n_train, n_pos)
    valid = load_features(lane, settings, since=valid_days[0], as_of=valid_days[-1], labelled_only=True)
    valid["label"] = valid["label"].astype("int64")
    features = feature_columns(valid.columns)
    categories = category_dtypes(lane, settings, category_columns(features), as_of)
    first_block = blocks(train_days, options.days_per_partition)[0]
    first = read_block((*first_block, 0, 1), lane, settings, features, categories)
    missing = labelled_profile(lane, settings, features, train_days[0], train_days[-1])
    return DaskTrainingData(
        lane=lane, features=features, valid=valid,
        train_days=train_days, valid_days=valid_days, n_train=n_train, n_pos=n_pos, signature_rows=first,
        optional_columns=[c for c, n in missing.items() if n], settings=settings, as_of=as_of,
        day_counts=train_counts.reset_index(drop=True), categories=categories, options=options)


@contextmanager
def dask_client(options: DaskOptions) -> Iterator:
    """A client of the given scheduler, or of a LocalCluster started (and stopped) here."""
    from dask.distributed import Client, LocalCluster

    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)   # classes found by a small shuffle
    if options.scheduler:
        with Client(options.scheduler) as client:
            yield client
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    n_workers = options.n_workers or cores
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client


def stop_days(data: DaskTrainingData) -> tuple[list[date], list[date]] | None:
    """``ml.search.inner_split`` from the day counts: (fit days, tune days), None without both classes."""
    split = inner_days(list(data.day_counts["item_date"]))
    if split is None:
        return None
    for days in split:
        pos, rows = data.positives(days)
        if not 0 < pos < rows:
            return None
    return split


def fit_distributed(data: DaskTrainingData, seed: int, spw: float, options: DaskOptions,
                    min_stop_positives: int) -> Fitted:
    """``ml.train.fit_lane`` on the cluster, without the search: early stopping on the inner split when
    its days hold ``min_stop_positives``, else FIXED_ROUNDS; then the exact refit on the whole window."""
    import dask.dataframe as dd
    from xgboost.dask import DaskXGBClassifier

    tuned = category_overrides(data.features)
    split = stop_days(data)
    stop_positives = data.positives(split[1])[0] if split is not None else 0
    with dask_client(options) as client:
        workers = len(client.nthreads())
        if stop_positives >= min_stop_positives:
            parts = [data.frame(client, days) for days in split]
            best_iteration = early_stop(client, parts, data.features, seed, spw, tuned)
            eval_metric, stop_window = "aucpr", f"{split[1][0]}..{split[1][-1]}"
            search = {"search": "skipped: distributed fit (default parameters, no search on the cluster)"}
            train = dd.concat(parts)
        else:
            why = fixed_rounds_reason(stop_positives, min_stop_positives)
            best_iteration, eval_metric, stop_window = FIXED_ROUNDS - 1, "none", f"none: {FIXED_ROUNDS} rounds ({why})"
            search = {"search": f"skipped: {why}"}
            train = data.frame(client, data.train_days)
        params = classifier_params(seed, spw, tuned, "logloss" if eval_metric == "none" else eval_metric)
        params["n_estimators"] = best_iteration + 1
        model = DaskXGBClassifier(**params)
        model.client = client
        model.fit(train[data.features], train["label"], verbose=False)
        digest = digest_from(digest_columns(data.features), partition_hashes(client, train))
        local = to_local(model, params)
        n_partitions = train.npartitions
    log.info("lane %s: fitted on %d Dask workers over %d partitions", data.lane, workers, n_partitions)
    return Fitted(local, tuned, search, best_iteration, eval_metric, stop_window, digest,
                  params={"trained_on": "dask", "dask_workers": workers, "dask_partitions": n_partitions,
                          "dask_scheduler": options.scheduler or "LocalCluster",
                          "days_per_partition": options.days_per_partition},
                  tags={"distributed": "xgboost.dask"})


def early_stop(client, parts, features: list[str], seed: int, spw: float, tuned: dict) -> int:
    """Best iteration of a probe fitted on the inner window's first days, stopped on its last days."""
    from xgboost.dask import DaskXGBClassifier

    fit_part, tune_part = parts
    probe = DaskXGBClassifier(**classifier_params(seed, spw, tuned, "aucpr"), n_estimators=HYPERPARAMS["n_estimators"],
                              early_stopping_rounds=HYPERPARAMS["early_stopping_rounds"])
    probe.client = client
    probe.fit(fit_part[features], fit_part["label"], eval_set=[(tune_part[features], tune_part["label"])],
              verbose=False)
    return int(probe.best_iteration)


def partition_hashes(client, frame) -> Iterator:
    """Row hashes of each partition in order, computed by the workers and fetched one at a time."""
    import dask

    futures = client.compute([dask.delayed(row_hashes)(part) for part in frame.to_delayed()])
    for future in futures:
        yield future.result()
        future.release()


def to_local(model, params: dict):
    """The cluster's booster as a plain XGBClassifier with the in-memory fit's parameters."""
    from xgboost import XGBClassifier

    local = XGBClassifier(**params, n_jobs=4)
    local.load_model(bytearray(model.get_booster().save_raw("ubj")))
    return local
