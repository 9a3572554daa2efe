"""The floors of the house are enforced: import-linter's contracts (pyproject.toml) pass on the tree,
and fail when a lower floor imports a higher one or production code imports the simulated world."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "ingest", "expectations", "transform", "ml", "monitoring", "customs_risk", "simworld")


def _lint(root: Path) -> subprocess.CompletedProcess:
    # lint-imports's entry point is a click command; run it by module with the tree on the path.
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", code, "--no-cache"], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def test_import_contracts_hold():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("module, bad_import, contract", [
    ("core/settings.py", "import ml.metrics", "floors import only downward"),
    ("ingest/load.py", "import customs_risk.stages", "floors import only downward"),
    ("ml/score.py", "import simworld.truth", "production code never imports the simulated world"),
    ("monitoring/run.py", "import ml.registry", "floors import only downward"),   # siblings stay apart
])
def test_a_wrong_import_breaks_a_contract(tmp_path, module, bad_import, contract):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{bad_import}\n")
    done = _lint(tmp_path)
    assert done.returncode != 0
    assert f"{contract} BROKEN" in done.stdout, done.stdout
