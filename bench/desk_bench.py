"""Desk benchmark: a list page of 1,000 items, an item page, and 20 signed-in users at once, against a
live ``customs-risk desk`` (uvicorn) on this machine's 2 cores.

In a fresh home (``bench_home("desk")``): simulate and load ``days`` days at ``scale``, dbt build,
train express, then score the last day with office IEX's capacity set to 1,000 items (a count), so
the 1,000-item list is a real published one (facts, TreeSHAP reasons in words, party history).
Timings are wall-clock from the client (HTTP over loopback, parsing included). Merged into
``bench/results.json`` under "desk".

    python -m bench.desk_bench [--days 4] [--scale 0.004] [--users 20] [--workers 2]

"20 users" pause about a second after each page (a person reading it; real analysts read far longer);
"no pause" fires requests back to back, the saturation point of 2 cores, reported beside it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.run import bench_home, merge_results

START = dt.date(2026, 3, 2)
LANE, OFFICE, LIST_SIZE = "express", "IEX", 1000
PASSWORD = "bench-password-long-enough"
TARGETS_MS = {"list_page": 300, "item_page": 100}


def build(days: int, scale: float) -> dt.date:
    """The real stages on a simulated world; returns the scored day (IEX capacity 1,000 items)."""
    from core.settings import get_settings
    from customs_risk import stages
    from simworld.simulator import simulate_day

    os.environ[f"CUSTOMS_RISK_CAPACITY_{LANE.upper()}_{OFFICE}"] = str(LIST_SIZE)
    settings = get_settings()
    for i in range(days):
        day = START + dt.timedelta(days=i)
        simulate_day(day, settings, scale=scale)
        for source in ("declarations", "shipments", "travellers", "cctv_events", "inspections"):
            stages.ingest(source, day, settings)
    stages.transform(settings=settings)
    stages.train(LANE, settings, trials=0)   # the first model becomes champion
    last = START + dt.timedelta(days=days - 1)
    stages.score(LANE, last, settings)
    return last


def add_users(n: int) -> list[str]:
    from core.settings import get_settings
    from customs_risk.desk.auth import add_user
    from customs_risk.desk.store import Store

    store = Store(get_settings().desk_url)
    names = [f"analyst{i:02d}" for i in range(n)]
    for name in names:
        add_user(store, name, "analyst", OFFICE, LANE, PASSWORD)
    return names


def signed_in(url: str, name: str):
    import httpx

    client = httpx.Client(base_url=url, timeout=60, follow_redirects=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 200 or "Lists for" not in response.text:
        raise RuntimeError(f"{name} could not sign in: {response.status_code}")
    return client


def timed_get(client, path: str) -> float:
    clock = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - clock) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code}")
    return elapsed


def summary(ms: list[float]) -> dict:
    ordered = sorted(ms)
    return {"n": len(ms), "median_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[max(0, int(0.95 * len(ordered)) - 1)], 1), "max_ms": round(ordered[-1], 1)}


def concurrent(url: str, names: list[str], list_path: str, item_paths: list[str], rounds: int,
               think_s: float) -> dict:
    """Every user signed in at once, each reading the list and a few items ``rounds`` times, pausing
    about ``think_s`` seconds (0.5x-1.5x, seeded) after each page as a person reading it would."""
    import random

    clients = [signed_in(url, name) for name in names]
    lists, items, errors = [], [], []
    start = threading.Barrier(len(clients))

    def work(client, offset):
        pause = random.Random(offset)
        start.wait()
        time.sleep(think_s * pause.uniform(0, 2))   # people do not all click in the same millisecond
        try:
            for r in range(rounds):
                lists.append(timed_get(client, list_path))
                time.sleep(think_s * pause.uniform(0.5, 1.5))
                for k in range(3):
                    items.append(timed_get(client, item_paths[(offset + r * 3 + k) % len(item_paths)]))
                    time.sleep(think_s * pause.uniform(0.5, 1.5))
        except Exception as exc:  # counted and reported, the benchmark still finishes
            errors.append(str(exc))

    clock = time.perf_counter()
    threads = [threading.Thread(target=work, args=(c, i)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - clock
    for c in clients:
        c.close()
    return {"users": len(clients), "rounds": rounds, "think_s": think_s, "errors": len(errors), "wall_s": round(wall, 2),
            "requests_per_s": round((len(lists) + len(items)) / wall, 1),
            "list_page": summary(lists), "item_page": summary(items)}


def run(days: int, scale: float, users: int, workers: int, rounds: int, reuse: bool = False) -> dict:
    from core.settings import get_settings
    from customs_risk.desk.store import Store

    clock = time.perf_counter()
    if reuse:   # the world of the previous run, as it was (its users included)
        home = bench_home_kept("desk")
        day = Store(get_settings().desk_url).days([LANE])[0]
    else:
        home = bench_home("desk")
        day = build(days, scale)
    build_s = time.perf_counter() - clock
    items = Store(get_settings().desk_url).list_items(day, LANE, OFFICE)
    if len(items) < LIST_SIZE:
        raise RuntimeError(f"only {len(items)} items on the {OFFICE} list: raise --scale")
    names = add_users(users)
    list_path = f"/day/{day}/{LANE}/{OFFICE}"
    item_paths = [f"/items/{LANE}/{i['item_id']}" for i in items[:200]]
    port = 8765
    server = subprocess.Popen([sys.executable, "-m", "customs_risk.cli", "desk", "--port", str(port),
                               "--workers", str(workers)], env={**os.environ, "CUSTOMS_RISK_HOME": str(home)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url)
        one = signed_in(url, names[0])
        for _ in range(2 * workers):                               # each worker builds its list cache once
            timed_get(one, list_path)
        alone = {"list_page": summary([timed_get(one, list_path) for _ in range(30)]),
                 "item_page": summary([timed_get(one, p) for p in item_paths[:100]])}
        one.close()
        together = concurrent(url, names, list_path, item_paths, rounds, think_s=1.0)
        saturated = concurrent(url, names, list_path, item_paths, rounds, think_s=0.0)
    finally:
        server.terminate()
        server.wait(timeout=30)
    figures = {"list_items": len(items), "days": days, "scale": scale, "uvicorn_workers": workers,
               "build_world_s": None if reuse else round(build_s, 1), "world_reused": reuse, "one_user": alone, f"{users}_users": together,
               f"{users}_users_no_pause": saturated, "targets_ms": TARGETS_MS,
               "meets_targets": {k: alone[k]["median_ms"] < v and together[k]["median_ms"] < v
                                 for k, v in TARGETS_MS.items()}}
    merge_results("desk", figures)
    return figures


def bench_home_kept(name: str):
    """The home of an earlier run of this benchmark, not wiped."""
    from bench.run import RESULTS

    home = RESULTS.parent.parent / "var" / "bench" / name
    if os.environ.get("CUSTOMS_RISK_BENCH_HOME"):
        home = Path(os.environ["CUSTOMS_RISK_BENCH_HOME"]) / name
    if not (home / "desk.db").exists():
        raise RuntimeError(f"no earlier desk benchmark world in {home}: run without --reuse-world first")
    os.environ.update({"CUSTOMS_RISK_HOME": str(home), "CUSTOMS_RISK_ALLOW_DEMO_KEY": "1"})
    return home


def _wait(url: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"the desk did not start on {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--scale", type=float, default=0.004)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reuse-world", action="store_true", help="measure the previous run's world again")
    args = parser.parse_args()
    print(json.dumps(run(args.days, args.scale, args.users, args.workers, args.rounds, args.reuse_world), indent=2))


if __name__ == "__main__":
    main()
