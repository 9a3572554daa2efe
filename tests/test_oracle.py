"""Production has no truth oracle: with none configured, training, the gate and scoring run on the
audit/exploration estimate alone and report no simulator-only measure; with the simulated world's
oracle plugged in through the one hook, the same code adds them."""
from __future__ import annotations

import dataclasses
import sys

from synthetic_world import LANE, NEW_DAY

from customs_risk.stages import score, train
from ml.gate import validate_challenger
from ml.oracle import get_oracle
from simworld.oracle import ORACLE, SimulatorOracle


def test_without_an_oracle_nothing_reads_the_truth(world):
    production = dataclasses.replace(world, oracle="")
    assert get_oracle(production) is None
    first = train(LANE, production, trials=0)
    assert not any(k.startswith("true_") for k in first["metrics"])
    assert "audit_precision_at_1pct" in first["metrics"] or first["window"]["valid_audit_rows"] < 50
    assert set(first["baselines"]) == {"random"}          # the rules' picks are known only to an oracle
    train(LANE, production, trials=0)
    verdict = validate_challenger(LANE, production)
    assert verdict["checks"]["vs_rule"] and "not checked" in verdict["reason"]
    assert verdict["precision_estimate"] == "ipw_random_sample"
    day = score(LANE, NEW_DAY, production)
    assert day["selected"] > 0 and "truth" not in day


def test_the_simulated_world_plugs_in_by_name(world):
    assert world.oracle == ORACLE
    oracle = get_oracle(world)
    assert isinstance(oracle, SimulatorOracle)
    first = train(LANE, world, trials=0)
    assert {"true_hit_rate_model", "true_hit_rate_rule", "true_hit_rate_random"} <= set(first["metrics"])
    assert "rule" in first["baselines"]
    assert "truth" in score(LANE, NEW_DAY, world)


def test_production_modules_load_without_the_simulated_world():
    """Importing every production entry point pulls in no simworld module (the import contract, run)."""
    import subprocess

    code = ("import sys, customs_risk.cli, customs_risk.stages, ml.train, ml.gate, ml.deploy, ml.score, "
            "ingest.load, transform.dbt_build; "
            "bad = [m for m in sys.modules if m.split('.')[0] == 'simworld']; print(bad); sys.exit(bool(bad))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
