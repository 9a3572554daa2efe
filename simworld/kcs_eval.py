"""Quality of the cargo model on the real-shaped KCS files: train on 2020, judge on 2021 Q1.

The path is the production one, end to end: ``import kcs`` (contract, quarantine, per-day partitions),
``dbt build`` (point-in-time features), ``train_lane("cargo", as_of=2020-12-31)`` (only 2020 labels are
used for fitting, early stopping and the hyperparameter search), then the registered model scores every
2021 Q1 item and precision/recall at 1/2/5/10 % inspection are computed against the file's Fraud labels.

Two variants of what the 2021 features may know:

* ``production``: the 2021 Q1 file is imported *with* its labels. Its labels are never used to fit the
  model, but the point-in-time profiles of a 2021 item (importer, declarant, seller, HS6, origin, office
  hit rates) count outcomes recorded strictly before that item's date, including earlier 2021 outcomes.
  That is what production sees: yesterday's inspection results are known when today's list is made.
* ``strict``: the 2021 Q1 file is imported *without* labels (unlabelled traffic), so no 2021 outcome
  reaches any feature; the profiles stop at 2020-12-31. A lower bound for a model left unretrained and
  fed no feedback for a whole quarter.

Labels for the metrics are read from the CSV itself (Fraud), joined on the warehouse item id.
"""
from __future__ import annotations

import csv
import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from core.settings import KCS_DATA_DIR, Settings
from ingest.kcs import unique_item_ids
from ml.metrics import TOP_K_PCTS, ranking_metrics

KCS_DIR = KCS_DATA_DIR
TRAIN_FILE = KCS_DIR / "df_syn_train_eng.csv"
VALID_FILE = KCS_DIR / "df_syn_valid_eng.csv"
TRAIN_AS_OF = dt.date(2020, 12, 31)
VARIANTS = ("production", "strict")
# The model to be level with (../shared/reference/README.md): XGBoost on the raw columns, exact values as categories.
REFERENCE_SCRIPT = KCS_DIR.parent.parent / "reference" / "kcs_raw_reference.py"


def kcs_labels(path: Path) -> pd.DataFrame:
    """item_id (as the importer names it: repeated ids get ``-n``) and Fraud of a KCS file."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    item_id = unique_item_ids(frame["Declaration ID"].str.strip().tolist())
    return pd.DataFrame({"item_id": item_id, "item_date": frame["Date"].str.strip(),
                         "fraud": frame["Fraud"].astype(int)})


def strip_labels(path: Path, target: Path) -> Path:
    """A copy of a KCS file without Fraud / Critical Fraud: unlabelled traffic for the importer."""
    with open(path, newline="", encoding="utf-8") as src, open(target, "w", newline="", encoding="utf-8") as out:
        reader = csv.reader(src)
        header = next(reader)
        keep = [i for i, h in enumerate(header) if h.strip() not in ("Fraud", "Critical Fraud")]
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([header[i] for i in keep])
        for row in reader:
            writer.writerow([row[i] for i in keep] if len(row) == len(header) else row)
    return target


def reference_figures(train_file: Path = TRAIN_FILE, valid_file: Path = VALID_FILE,
                      script: Path = REFERENCE_SCRIPT) -> dict:
    """Run the reference script on the same split, in this interpreter's environment, and read its
    printed figures (``P@5% 0.941``, ``AUC 0.855``) into the platform's metric names."""
    import subprocess
    import sys

    if not script.exists():
        raise FileNotFoundError(f"reference script {script} not found (set CUSTOMS_RISK_KCS_DIR to the shared data)")
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, str(script), str(train_file), str(valid_file)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"reference script failed: {done.stderr.strip().splitlines()[-1:]}")
    metrics = {}
    for line in done.stdout.splitlines():
        name, _, value = line.partition(" ")
        if name.startswith("P@") and name.endswith("%"):
            metrics[f"precision_at_{name[2:-1]}pct"] = float(value)
        elif name == "AUC":
            metrics["auc"] = float(value)
    if not {f"precision_at_{k}pct" for k in TOP_K_PCTS} | {"auc"} <= set(metrics):
        raise RuntimeError(f"reference script printed no figures: {done.stdout[-200:]!r}")
    return {"script": str(script), "metrics": metrics, "seconds": round(time.perf_counter() - t0, 1)}


def evaluate(settings: Settings, variant: str = "production", train_file: Path = TRAIN_FILE,
             valid_file: Path = VALID_FILE, trials: int | None = None) -> dict:
    """Run the whole path in ``settings.home`` (expected fresh) and return figures and timings."""
    import mlflow

    from transform.dbt_build import build
    from ingest.kcs import import_kcs
    from ml.features import load_features, predict
    from ml.tracking import configure_mlflow
    from ml.train import SEARCH_TRIALS, train_lane

    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    valid_input = valid_file
    if variant == "strict":
        scratch = settings.home / "kcs_eval"
        scratch.mkdir(parents=True, exist_ok=True)
        valid_input = strip_labels(valid_file, scratch / f"{valid_file.stem}_unlabelled.csv")
    reports = import_kcs([train_file, valid_input], settings)
    for report in reports:
        if report.error:
            raise RuntimeError(f"import failed: {report.file}: {report.error}")
    seconds["import"] = round(time.perf_counter() - t0, 1)

    t0 = time.perf_counter()
    build(settings)
    seconds["dbt_build"] = round(time.perf_counter() - t0, 1)

    t0 = time.perf_counter()
    trained = train_lane("cargo", settings, as_of=TRAIN_AS_OF,
                         trials=SEARCH_TRIALS if trials is None else trials)
    seconds["train"] = round(time.perf_counter() - t0, 1)

    t0 = time.perf_counter()
    configure_mlflow("cargo", settings)
    model = mlflow.xgboost.load_model(f"models:/{trained['model_name']}/{trained['model_version']}")
    frame = load_features("cargo", settings)
    frame = frame[frame["item_date"] > TRAIN_AS_OF]
    labels = kcs_labels(valid_file)
    # Every row of the file counts: a row the contract quarantined has no features, so no score, and
    # ranks last (as it would never be on a list).
    scored = labels[["item_id", "fraud"]].merge(frame, on="item_id", how="left")
    features = trained["features"]
    has_row = scored["item_date"].notna().to_numpy()
    scores = np.full(len(scored), np.nan)
    if has_row.any():
        scores[has_row] = predict(model, scored.loc[has_row], features)
    seconds["score"] = round(time.perf_counter() - t0, 1)
    y = scored["fraud"].to_numpy()
    metrics = ranking_metrics(y, scores, ids=scored["item_id"])
    if variant == "production":   # sanity: the warehouse label must agree with the file
        agree = scored["label"].notna() & (scored["label"].astype("float") == scored["fraud"])
        metrics["label_agreement"] = float(agree[has_row].mean())

    importance = model.get_booster().get_score(importance_type="total_gain")
    total = sum(importance.values()) or 1.0
    top = sorted(importance.items(), key=lambda kv: -kv[1])[:15]
    return {
        "variant": variant,
        "train_rows": trained["window"]["train_rows"] + trained["window"]["valid_rows"],
        "train_window": f"{trained['window']['train_start']}..{trained['window']['valid_end']}",
        "scored_rows": int(has_row.sum()), "valid_file_rows": int(len(labels)),
        "fraud_share": round(float(y.mean()), 4),
        "metrics": {k: round(float(v), 4) for k, v in metrics.items()},
        "random_baseline_precision": round(float(y.mean()), 4),
        "model_name": trained["model_name"], "model_version": trained["model_version"],
        "train_run_id": trained["run_id"],
        "train_internal_valid": {k: round(v, 4) for k, v in trained["metrics"].items()
                                 if k.startswith(("precision_at", "recall_at", "auc")) and "capacity" not in k},
        "tuned_params": trained["tuned_params"],
        "top_features_total_gain_share": {k: round(v / total, 4) for k, v in top},
        "seconds": seconds,
        "ks": list(TOP_K_PCTS),
    }



ABLATIONS = {
    "all_features": lambda c: True,
    "without_importer_declarant_seller_history": lambda c: not c.startswith(("f_importer_", "f_declarant_", "f_seller_")),
    "only_importer_declarant_seller_history": lambda c: c.startswith(("f_importer_", "f_declarant_", "f_seller_"))
    or c == "f_lane_prior_hit_rate",
    "without_any_outcome_history": lambda c: "hit_rate" not in c and "prior_inspections" not in c,
}
RAW_CATEGORIES = ("Office ID", "Process Type", "Import Type", "Import Use", "Payment Type", "Mode of Transport",
                  "Declarant ID", "Importer ID", "Seller ID", "Courier ID", "HS6 Code", "Country of Departure",
                  "Country of Origin", "Tax Type", "Country of Origin Indicator")
RAW_NUMBERS = ("Tax Rate", "Net Mass", "Item Price")
DIAG_PARAMS = dict(n_estimators=300, learning_rate=0.05, max_depth=5, subsample=0.8, colsample_bytree=0.8,
                   tree_method="hist", n_jobs=2, random_state=42, enable_categorical=True, max_cat_to_onehot=1)
# Column subsampling hides the one dominant column (HS6 code) from a fifth of the trees; inside 2020
# the categorical model does clearly better without it (0.79 vs 0.62 precision at 5 %).
RAW_PARAMS = dict(n_estimators=400, learning_rate=0.05, max_depth=6, tree_method="hist", n_jobs=2, random_state=42)


def diagnose(settings: Settings, train_file: Path = TRAIN_FILE) -> dict:
    """Which inputs carry the signal, measured inside 2020 only (no 2021 label is read): fixed
    parameters, trained on 2020 before its last ~20 % of days, judged on those days. Feature-group
    ablations of the warehouse features, and the raw KCS columns as native XGBoost categories (what
    high-cardinality encodings of HS6 code / declarant / departure country would add)."""
    from xgboost import XGBClassifier

    from ml.features import feature_columns, load_features

    frame = load_features("cargo", settings, as_of=TRAIN_AS_OF)
    frame = frame[frame["label"].notna()]
    days = sorted(frame["item_date"].unique())
    cut = days[int(len(days) * 0.8)]
    fit, judge = frame[frame["item_date"] < cut], frame[frame["item_date"] >= cut]
    features = feature_columns(frame.columns)
    out: dict = {"window": f"fit < {cut} <= judge <= {days[-1]}", "judge_rows": len(judge),
                 "judge_fraud_share": round(float(judge["label"].mean()), 4)}

    def figures(y, s, ids) -> dict:
        m = ranking_metrics(y, s, ids=ids)
        return {k: round(m[k], 4) for k in ("precision_at_1pct", "precision_at_5pct", "precision_at_10pct", "auc")}

    for name, keep in ABLATIONS.items():
        cols = [c for c in features if keep(c)]
        model = XGBClassifier(**DIAG_PARAMS).fit(fit[cols], fit["label"].astype(int))
        out[name] = figures(judge["label"].to_numpy(), model.predict_proba(judge[cols])[:, 1], judge["item_id"])
        out[name]["n_features"] = len(cols)

    raw = pd.read_csv(train_file, dtype=str, keep_default_na=False)
    X = raw[list(RAW_CATEGORIES)].astype("category").join(raw[list(RAW_NUMBERS)].apply(pd.to_numeric, errors="coerce"))
    X.columns = [c.replace(" ", "_") for c in X.columns]
    y = raw["Fraud"].astype(int).to_numpy()
    in_fit = (raw["Date"] < str(cut)).to_numpy()
    model = XGBClassifier(**RAW_PARAMS, enable_categorical=True, max_cat_to_onehot=1).fit(X[in_fit], y[in_fit])
    out["raw_columns_as_categories"] = figures(y[~in_fit], model.predict_proba(X[~in_fit])[:, 1],
                                               raw["Declaration ID"][~in_fit])
    gain = model.get_booster().get_score(importance_type="total_gain")
    total = sum(gain.values()) or 1.0
    out["raw_columns_as_categories"]["top_gain_share"] = {
        k: round(v / total, 3) for k, v in sorted(gain.items(), key=lambda kv: -kv[1])[:6]}
    return out
