"""The transform DAG's dbt tasks: one per model/seed of the committed manifest (transform.dbt_build.dag_plan),
grouped per folder; one task per layer without a manifest or with CUSTOMS_RISK_DBT_TASKS=layer. Why not astronomer-cosmos: docs/cosmos.md."""
from __future__ import annotations

from airflow.sdk import TaskGroup

from core.settings import get_settings
from transform.dbt_build import dag_plan

LAYERS = {"staging": "path:seeds path:models/staging", "intermediate": "path:models/intermediate",
          "marts": "path:models/marts"}


def _layer_plan() -> list[dict]:
    return [{"task_id": f"dbt_build_{layer}", "group": None, "select": select,
             "upstream": [f"dbt_build_{previous}"] if previous else []}
            for previous, (layer, select) in zip([None, *LAYERS], LAYERS.items())]


def dbt_task_group(build_task) -> list:
    """Instantiate ``build_task(select)`` once per step, wire the dependencies; return the leaf tasks."""
    plan = (dag_plan() if get_settings().dbt_tasks == "model" else None) or _layer_plan()
    groups: dict[str, TaskGroup] = {}
    tasks = {}
    for step in plan:
        group = step["group"]
        if group and group not in groups:
            groups[group] = TaskGroup(group_id=group)
        tasks[step["task_id"]] = build_task.override(task_id=step["task_id"], task_group=groups.get(group),
                                                     doc=f"dbt build --select {step['select']}")(step["select"])
    for step in plan:
        for parent in step["upstream"]:
            tasks[parent] >> tasks[step["task_id"]]
    downstream = {parent for step in plan for parent in step["upstream"]}
    return [t for task_id, t in tasks.items() if task_id not in downstream]
