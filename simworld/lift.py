"""Simulator lift over several held-out days: the only honest answer to "does the model beat the rules".

One scored day gives a lane a dozen picks (traveller: ~16 at scale 0.01), far too few to compare hit
rates. This trains a lane's model on the labels known up to ``train_until`` and then, on every later
simulated day, selects at capacity per day and office exactly as scoring does (without exploration) and
compares the truly risky share of those picks with the rules' picks *at the same capacity* (rule hits
ranked first, filled with random items: the rules' own list is smaller and so purer, which is no fair
comparison), summed over the days. The bar is the model at least ``BAR_X_RULE`` times the rules at the
same capacity; beside it the ceiling a perfect ranking reaches at that capacity (with ~1 % prevalence and
1.6 % capacity even it cannot reach a hit rate of 1), random, and the rules' own list for reference. The evaluation days are never seen by training, the search or early stopping.

    python -m simworld.lift --train-until 2026-03-15 [--lanes cargo,traveller] [--trials 0]
"""
from __future__ import annotations

import argparse
import json
import logging
from datetime import date

import numpy as np

from core.settings import Settings, get_settings
from ml.evaluate import select_at_capacity, random_scores, rule_scores
from ml.features import feature_columns, load_features, predict
from ml.selection import select_within_offices
from simworld.truth import load_truth, pattern_recall, policy_hit_rates

BAR_X_RULE = 1.5     # model true hit rate / rules' at the same capacity
log = logging.getLogger("simworld.lift")


def _fit(lane: str, settings: Settings, train_until: date, trials: int):
    """The lane's model exactly as training makes it (out-of-time split inside ``train_until``)."""
    import mlflow

    from ml.train import train_lane

    result = train_lane(lane, settings, as_of=train_until, trials=trials)
    return mlflow.xgboost.load_model(f"models:/{result['model_name']}/{result['model_version']}"), result


def lane_lift(lane: str, settings: Settings, train_until: date, trials: int = 0) -> dict:
    """True hit rate of model, rules and random on every simulated day after ``train_until``."""
    model, result = _fit(lane, settings, train_until, trials)
    frame = load_features(lane, settings)
    later = frame[frame["item_date"] > train_until]
    truth = load_truth(settings, lane, later["item_date"].unique())
    if truth is None or later.empty:
        raise LookupError(f"lane {lane}: no simulated days with truth after {train_until}")
    later = later[later["item_id"].isin(truth["item_id"])]
    truth = truth[truth["item_id"].isin(later["item_id"])]
    features = feature_columns(frame.columns)
    scored = later[["item_id", "item_date", "office_id"]].assign(score=predict(model, later, features))
    selected = select_within_offices(scored, settings.capacity_share[lane], group_by=("item_date", "office_id"),
                                     office_capacity=settings.office_capacity.get(lane))
    picks = selected.loc[selected["selected"], "item_id"]
    rates = policy_hit_rates(truth, picks)
    # The same capacity for the baselines: the rules' own list is smaller (their historic share), so
    # also rank rule hits first and fill with random items; and the ceiling a perfect ranking reaches.
    risky = later["item_id"].map(truth.set_index("item_id")["is_risky"]).to_numpy(dtype=float)
    rule_sel = select_at_capacity(later, rule_scores(later, truth, settings.seed), settings, lane).to_numpy()
    oracle_sel = select_at_capacity(later, risky + 0.5 * random_scores(later, settings.seed), settings, lane).to_numpy()
    days = sorted(later["item_date"].unique())
    per_day = {}
    for day in days:
        t, p = truth[truth["item_date"].astype(str) == str(day)], selected[selected["item_date"] == day]
        per_day[str(day)] = {k: round(v, 3) for k, v in policy_hit_rates(t, p.loc[p["selected"], "item_id"]).items()}
    return {
        "lane": lane, "train_until": str(train_until), "eval_days": f"{days[0]}..{days[-1]}", "n_days": len(days),
        "picks_model": int(len(picks)), "picks_rule": int(truth["rule_selected"].sum()),
        "model": rates["true_hit_rate_model"], "rule": rates["true_hit_rate_rule"],
        "random": rates["true_hit_rate_random"],
        "rule_at_capacity": float(risky[rule_sel].mean()), "ceiling_at_capacity": float(risky[oracle_sel].mean()),
        "x_random": rates["true_hit_rate_model"] / rates["true_hit_rate_random"],
        "x_rule_own_list": rates["true_hit_rate_model"] / rates["true_hit_rate_rule"],
        "x_rule_at_capacity": rates["true_hit_rate_model"] / float(risky[rule_sel].mean()),
        "share_of_ceiling": rates["true_hit_rate_model"] / float(risky[oracle_sel].mean()),
        "train_rows": result["window"]["train_rows"] + result["window"]["valid_rows"],
        "patterns": pattern_recall(truth, picks), "per_day": per_day,
        "model_version": result["model_version"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-until", required=True, type=date.fromisoformat)
    parser.add_argument("--lanes", default="cargo,express,traveller")
    parser.add_argument("--trials", type=int, default=0)
    args = parser.parse_args(argv)
    settings = get_settings()
    out = {lane: lane_lift(lane, settings, args.train_until, args.trials) for lane in args.lanes.split(",")}
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log.info("%s", lift_table(out))
    for lane, r in out.items():
        log.info("%s patterns (recall model / rules): %s", lane, ", ".join(
            f"{p} {v['recall_model']:.2f}/{v['recall_rule']:.2f}" for p, v in r["patterns"].items()))
    target = settings.home / "lift.json"
    target.write_text(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "per_day"} for k, v in out.items()},
                                 default=float))
    log.info("written %s", target)
    return 0


def lift_table(out: dict[str, dict]) -> str:
    """Every lane at the same capacity: model, rules, the ratio against the bar, the perfect-ranking
    ceiling beside it; random and the rules' own (smaller) list for reference."""
    lines = [f"{'lane':10} {'model':>6} {'rules@cap':>9} {'x rules':>7} {'>=' + str(BAR_X_RULE) + 'x':>6} "
             f"{'ceiling':>7} {'random':>7} {'rules own list':>14} {'picks':>6}  days"]
    for lane, r in out.items():
        lines.append(f"{lane:10} {r['model']:6.3f} {r['rule_at_capacity']:9.3f} {r['x_rule_at_capacity']:7.2f} "
                     f"{'yes' if r['x_rule_at_capacity'] >= BAR_X_RULE else 'NO':>6} {r['ceiling_at_capacity']:7.3f} "
                     f"{r['random']:7.4f} {r['rule']:14.3f} {r['picks_model']:6d}  {r['eval_days']}")
    return "\n".join(lines)


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
