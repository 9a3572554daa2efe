"""The report's figures, inlined as PNG data URIs (the report is opened offline, without a server)."""
from __future__ import annotations

import base64
import io

import pandas as pd


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def data_uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    _pyplot().close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def plot_psi(drift: pd.DataFrame, watch: float, act: float, title: str, top: int = 15) -> str:
    """Horizontal bars of the largest PSIs with the watch and act lines."""
    plt = _pyplot()
    shown = drift.dropna(subset=["psi"]).head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.3 * max(4, len(shown)) + 1))
    colours = ["#c0392b" if v >= act else "#e67e22" if v >= watch else "#7f8c8d" for v in shown["psi"]]
    ax.barh(shown["name"], shown["psi"], color=colours)
    for x, style in ((watch, ":"), (act, "--")):
        ax.axvline(x, color="black", linestyle=style, linewidth=1)
    ax.set_xlabel("population stability index vs the champion's training window")
    ax.set_title(title)
    return data_uri(fig)


def plot_hit_rates(weekly: pd.DataFrame, title: str) -> str:
    """Weekly hit rate per kind of pick with its interval as error bars."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for kind, rows in weekly.groupby("kind"):
        x = pd.to_datetime(rows["week_start"])
        ax.errorbar(x, rows["rate"], yerr=[rows["rate"] - rows["lo"], rows["hi"] - rows["rate"]],
                    marker="o", capsize=3, label=kind)
    ax.set_ylabel("hit rate (interval)")
    ax.set_title(title)
    if len(weekly):
        ax.legend(fontsize="small")
    fig.autofmt_xdate()
    return data_uri(fig)
