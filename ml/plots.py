"""The figures a training run logs: PR curves of the model beside its baselines, feature importance, and
(with an oracle) the planted patterns found. Matplotlib loads inside the functions (Agg backend)."""
from __future__ import annotations

from datetime import date

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_pr_curves(curves: dict[str, tuple[np.ndarray, np.ndarray]], prevalence: float, title: str):
    """Precision-recall curves (labelled rows of the window) for each named policy."""
    from sklearn.metrics import precision_recall_curve

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for name, (y, s) in curves.items():
        if len(y) and 0 < y.sum() < len(y):
            p, r, _ = precision_recall_curve(y, s)
            ax.plot(r, p, label=name)
    ax.axhline(prevalence, color="grey", linestyle="--", label=f"labelled prevalence {prevalence:.3f}")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def plot_importance(booster, title: str, top: int = 20):
    plt = _pyplot()
    gain = booster.get_score(importance_type="total_gain")
    items = sorted(gain.items(), key=lambda kv: kv[1])[-top:]
    fig, ax = plt.subplots(figsize=(6, max(2.5, 0.3 * len(items) + 1)))
    ax.barh([k for k, _ in items], [v for _, v in items])
    ax.set_xlabel("total gain")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_patterns(lane: str, patterns: dict[str, dict[str, float]], valid_days: list[date]):
    """Share of each planted pattern's items the model and the historic rules select at capacity."""
    plt = _pyplot()
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
    return fig


def log_figures(figures: dict[str, object]) -> None:
    """Log each figure to the active MLflow run under its artifact path, then free it."""
    import mlflow

    plt = _pyplot()
    for path, fig in figures.items():
        mlflow.log_figure(fig, path)
        plt.close(fig)
