"""A lane's training data split out of time: which days train and which validate, decided from the
labelled days and row counts alone, so the split is the same whether the training rows sit in memory
(``training_data``) or stay on a Dask cluster (``ml.distributed``)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Iterator

import pandas as pd

from core.settings import Settings
from ml.features import feature_columns, feature_days, load_features
from ml.search import VALID_SHARE

MIN_LABELLED_ROWS = 100
MIN_LABELLED_DAYS = 2
EXAMPLE_ROWS = 5            # training rows logged as the model's input example


class NotEnoughDataError(ValueError):
    """Too few labelled rows, days or classes to train and validate honestly."""


def digest_columns(features: list[str]) -> list[str]:
    return ["item_id", "item_date", "office_id", "label", *features]


def dataset_digest(frame: pd.DataFrame) -> str:
    """Content hash of the training frame: equal digests mean the model saw the same data."""
    return digest_from(frame.columns, [row_hashes(frame)])


def row_hashes(frame: pd.DataFrame):
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def digest_from(columns, chunks) -> str:
    """``dataset_digest`` from the row hashes of consecutive pieces of the frame (row hashes are
    row-local), so the rows never need to be in one place to be hashed."""
    sha = hashlib.sha256("|".join(map(str, columns)).encode())
    for chunk in chunks:
        sha.update(chunk.tobytes())
    return sha.hexdigest()[:16]


def out_of_time_split(days: list[date], n_rows: int, lane: str) -> tuple[list[date], list[date]]:
    """(train days, valid days) of the sorted labelled ``days``: validation is always later than
    training, as in production."""
    if n_rows < MIN_LABELLED_ROWS or len(days) < MIN_LABELLED_DAYS:
        raise NotEnoughDataError(
            f"lane {lane}: {n_rows} labelled rows over {len(days)} days; training needs at least "
            f"{MIN_LABELLED_ROWS} rows and {MIN_LABELLED_DAYS} days (load more inspection outcomes)"
        )
    n_valid = min(len(days) - 1, max(1, round(VALID_SHARE * len(days))))
    return days[:-n_valid], days[-n_valid:]


def require_both_classes(lane: str, train_days: list[date], n_rows: int, n_pos: int) -> None:
    if n_pos == 0 or n_pos == n_rows:
        raise NotEnoughDataError(
            f"lane {lane}: the training window {train_days[0]}..{train_days[-1]} has {n_pos} positive and "
            f"{n_rows - n_pos} negative labels; both classes are needed"
        )


@dataclass(kw_only=True)
class SplitData:
    """What evaluation and the run's parameters need, wherever the training rows are held: the
    validation rows (the window's items are read day by day: ``window_days``) and the training
    window's counts."""
    lane: str
    features: list[str]
    valid: pd.DataFrame
    train_days: list[date]
    valid_days: list[date]
    n_train: int
    n_pos: int
    signature_rows: pd.DataFrame   # training rows the logged signature is inferred from
    optional_columns: list[str] = field(default_factory=list)   # missing somewhere in training

    @property
    def example(self) -> pd.DataFrame:
        """The logged input example: the first training rows."""
        return self.signature_rows[self.features].head(EXAMPLE_ROWS)

    def window(self) -> dict:
        y_valid = self.valid["label"].to_numpy()
        audit = self.valid["is_audit"].fillna(False).astype(bool).to_numpy()
        return {
            "train_start": str(self.train_days[0]), "train_end": str(self.train_days[-1]),
            "valid_start": str(self.valid_days[0]), "valid_end": str(self.valid_days[-1]),
            "train_days": len(self.train_days), "valid_days": len(self.valid_days),
            "train_rows": self.n_train, "train_positives": self.n_pos,
            "valid_rows": len(self.valid), "valid_positives": int(y_valid.sum()),
            "valid_audit_rows": int(audit.sum()), "valid_audit_positives": int(y_valid[audit].sum()),
        }


@dataclass(kw_only=True)
class TrainingData(SplitData):
    """A lane's labelled rows split out of time, the training rows in memory."""
    train: pd.DataFrame


def window_days(lane: str, settings: Settings, first: date, last: date) -> Iterator[pd.DataFrame]:
    """Every item of a validation window [first, last], labelled or not, one day at a time: what a day's
    selection ranks (training evaluates on it, the gate judges on it; ``ml.evaluate.judge`` keeps only
    what the metrics need, so a long window of full-traffic days is never in memory whole). Numbers as
    float32, what XGBoost computes in."""
    for day in feature_days(lane, settings, first, last):
        yield load_features(lane, settings, day=day, numbers_as="float32")


def training_data(lane: str, settings: Settings, as_of: date | None = None) -> TrainingData:
    """Labelled rows up to ``as_of`` split out of time; NotEnoughDataError when either side lacks a class."""
    labelled = load_features(lane, settings, as_of=as_of, labelled_only=True)
    labelled["label"] = labelled["label"].astype("int64")
    train_days, valid_days = out_of_time_split(sorted(labelled["item_date"].unique()), len(labelled), lane)
    train = labelled[labelled["item_date"].isin(train_days)]
    n_pos = int(train["label"].sum())
    require_both_classes(lane, train_days, len(train), n_pos)
    features = feature_columns(labelled.columns)
    return TrainingData(
        lane=lane, features=features, valid=labelled[labelled["item_date"].isin(valid_days)],
        train_days=train_days, valid_days=valid_days, n_train=len(train), n_pos=n_pos,
        signature_rows=train, train=train)
