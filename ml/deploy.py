"""Deployment, the step after the gate: the only code that moves ``@champion``.

A lane's first trained version becomes its champion directly (there is nothing to compare it with);
after that ``promote`` moves ``@champion`` to a ``@challenger`` whose gate passed, keeping the old one
as ``@previous_champion``, and ``rollback`` puts that one back. Every move is idempotent.
"""
from __future__ import annotations

from core.settings import Settings, get_settings
from ml.gate import TAG, validate_challenger
from ml.registry import CHALLENGER, CHAMPION, ModelNotFoundError, current_alias, registry_client
from ml.tracking import configure_mlflow

PREVIOUS = "previous_champion"


def bootstrap_champion(lane: str, version: int, settings: Settings | None = None) -> dict:
    """Make ``version`` the lane's @champion when the lane has none yet; otherwise leave it to the gate."""
    settings = settings or get_settings()
    name = settings.model_name(lane)
    client = registry_client(settings)
    champion = current_alias(settings, name, CHAMPION)
    promoted = champion is None
    reason = "no champion yet" if promoted else f"champion is version {champion.version}; promotion needs the gate"
    if promoted:
        client.set_registered_model_alias(name, CHAMPION, str(version))
    client.set_model_version_tag(name, str(version), "train.promotion", reason)
    return {"aliases": [CHALLENGER] + ([CHAMPION] if promoted else []), "promoted": promoted,
            "promotion_reason": reason}


def promote(lane: str, settings: Settings | None = None, rollback: bool = False, validate: bool = True) -> dict:
    """Move ``@champion`` to the ``@challenger`` if its gate passed (running the gate first when it has
    no verdict yet, or always with ``validate``). Promoting the current champion again changes nothing."""
    settings = settings or get_settings()
    configure_mlflow(lane, settings)
    name = settings.model_name(lane)
    client = registry_client(settings)
    if rollback:
        return _rollback(client, settings, name)
    challenger = current_alias(settings, name, CHALLENGER)
    if challenger is None:
        raise ModelNotFoundError(f"{name} has no @{CHALLENGER}: train the lane first")
    tags = client.get_model_version(name, str(challenger.version)).tags
    if validate or TAG + "decision" not in tags:
        verdict = validate_challenger(lane, settings)
        passed, reason = verdict["passed"], verdict["reason"]
    else:
        passed, reason = tags[TAG + "decision"] == "pass", tags.get(TAG + "reason", "")
    champion = current_alias(settings, name, CHAMPION)
    result = {"model_name": name, "challenger_version": challenger.version, "passed": passed, "reason": reason,
              "previous_champion": None}
    if not passed:
        client.set_model_version_tag(name, str(challenger.version), TAG + "promoted", "false")
        return result | {"promoted": False, "champion_version": champion.version if champion else None}
    if champion is not None and champion.version == challenger.version:
        return result | {"promoted": False, "champion_version": champion.version,
                         "note": f"version {champion.version} is already @{CHAMPION}"}
    if champion is not None:
        client.set_registered_model_alias(name, PREVIOUS, str(champion.version))
    client.set_registered_model_alias(name, CHAMPION, str(challenger.version))
    client.set_model_version_tag(name, str(challenger.version), TAG + "promoted", "true")
    return result | {"promoted": True, "champion_version": challenger.version,
                     "previous_champion": champion.version if champion else None}


def _rollback(client, settings: Settings, name: str) -> dict:
    previous = current_alias(settings, name, PREVIOUS)
    if previous is None:
        raise ModelNotFoundError(f"{name} has no @{PREVIOUS} to roll back to")
    champion = current_alias(settings, name, CHAMPION)
    client.set_registered_model_alias(name, CHAMPION, str(previous.version))
    client.delete_registered_model_alias(name, PREVIOUS)
    if champion is not None:
        client.set_model_version_tag(name, str(champion.version), TAG + "rolled_back", "true")
    return {"model_name": name, "rollback": True, "champion_version": previous.version,
            "rolled_back_version": champion.version if champion else None}
