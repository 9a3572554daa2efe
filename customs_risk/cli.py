"""The ``customs-risk`` command: every pipeline stage by hand, doing what the matching DAG task does."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

from core.contracts import CONTRACTS
from core.settings import LANES
from customs_risk import commands

SOURCES = tuple(CONTRACTS)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 2:
        raise argparse.ArgumentTypeError(f"scale must be in (0, 2] (1 = a full Korean day), got {value}")
    return value


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return int(text)


class OneLineErrorParser(argparse.ArgumentParser):
    """A wrong argument gets one line naming the problem, not a usage dump."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="customs-risk",
        description="Choose which shipments, declarations and travellers to inspect each day. Each subcommand "
                    "runs one stage of the pipeline, the same code the Airflow DAGs run. Settings come from "
                    "CUSTOMS_RISK_* environment variables (see core/settings.py).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _stage_commands(sub)
    _service_commands(sub)
    _desk_commands(sub)
    return parser


def _stage_commands(sub) -> None:
    """simulate, ingest, transform, train, score, monitor, promote: one stage each."""
    p = sub.add_parser("simulate", help="write simulated landing files (and the simulator's truth) for N days")
    p.add_argument("--start", type=_date, required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--days", type=_positive, default=1, help="number of days (default 1)")
    p.add_argument("--scale", type=_scale, default=None, help="share of a full Korean day (default 0.01)")
    p.set_defaults(func=commands.cmd_simulate)

    p = sub.add_parser("ingest", help="validate and load a day's landing files into the warehouse")
    p.add_argument("--source", choices=("all", *SOURCES), default="all", help="which source (default all)")
    p.add_argument("--date", type=_date, required=True, help="the day to load, YYYY-MM-DD")
    p.add_argument("--to", type=_date, default=None, help="last day of a range to backfill, YYYY-MM-DD")
    p.add_argument("--accept-short", action="store_true",
                   help="load a day whose volume is far below the source's recent days (a real quiet day)")
    p.set_defaults(func=commands.cmd_ingest)

    p = sub.add_parser("transform", help="dbt build: staging, intermediate, marts and feature tables")
    p.add_argument("--select", default=None, help="dbt selector, e.g. path:models/staging")
    p.set_defaults(func=commands.cmd_transform)

    p = sub.add_parser("train", help="train a lane's model, log it to MLflow and register it")
    p.add_argument("--lane", choices=LANES, required=True)
    p.add_argument("--as-of", type=_date, default=None, help="use only items up to this day")
    p.add_argument("--distributed", action="store_true",
                   help="fit with xgboost.dask; the workers read the training days themselves (docs/operations.md)")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="with --distributed: an existing Dask scheduler, e.g. tcp://host:8786 (default: a LocalCluster)")
    p.add_argument("--workers", type=_positive, default=None,
                   help="with --distributed: LocalCluster worker processes (default one per core)")
    p.set_defaults(func=commands.cmd_train)

    p = sub.add_parser("score", help="score a day's traffic with the lane's @champion and select within capacity")
    p.add_argument("--lane", choices=LANES, required=True)
    p.add_argument("--date", type=_date, default=None, help="the day to score, YYYY-MM-DD")
    p.add_argument("--input", default=None, metavar="FILE",
                   help="score a file of your own declarations instead of a day (imported as unlabelled traffic; "
                        "labels in it are ignored)")
    p.add_argument("--format", choices=("kcs",), default="kcs", help="format of --input (default kcs)")
    p.add_argument("--output", default=None, metavar="OUT.csv",
                   help="with --input: write declaration_id,score,rank,selected,reasons,reason here")
    p.set_defaults(func=commands.cmd_score)

    p = sub.add_parser("monitor", help="drift, volumes and hit rates of a scored day against the champion's "
                                       "training window; writes the monitoring tables and an HTML report")
    p.add_argument("--lane", choices=LANES, required=True)
    p.add_argument("--date", type=_date, required=True, help="the scored day to monitor, YYYY-MM-DD")
    p.add_argument("--to", type=_date, default=None, help="last day of a range, YYYY-MM-DD")
    p.set_defaults(func=commands.cmd_monitor)

    p = sub.add_parser("promote", help="validate a lane's @challenger against @champion and promote it if the gate passes")
    p.add_argument("--lane", choices=LANES, required=True)
    p.add_argument("--rollback", action="store_true", help="put @previous_champion back as @champion")
    p.set_defaults(func=commands.cmd_promote)


def _service_commands(sub) -> None:
    """airflow, docs, demo, import: running and looking at the whole pipeline."""
    p = sub.add_parser("airflow", help="run Airflow (scheduler, DAG processor, triggerer, UI) on the project home "
                                       "until Ctrl-C; new landing days then run through every DAG")
    p.add_argument("--port", type=_positive, default=8080, help="port of the UI and API (default 8080)")
    p.add_argument("--celery", action="store_true",
                   help="the scale-out: CeleryExecutor + Redis, PostgreSQL metadata and warehouse, an MLflow "
                        "server (addresses in infra/scaleout.env)")
    p.set_defaults(func=commands.cmd_airflow)

    p = sub.add_parser("docs", help="build the dbt docs (lineage) and print where they are")
    p.set_defaults(func=commands.cmd_docs)

    p = sub.add_parser("demo", help="simulate a few days and run every DAG with Airflow, then print a summary")
    p.add_argument("--days", type=_positive, default=None, help="days to simulate (default 7)")
    p.add_argument("--scale", type=_scale, default=None, help="share of a full Korean day (default 0.01)")
    p.add_argument("--start", type=_date, default=None, help="first simulated day (default 2026-03-02)")
    p.set_defaults(func=commands.cmd_demo)
    p = sub.add_parser("import", help="import real declaration files (KCS format) through the contract")
    isub = p.add_subparsers(dest="format", required=True, metavar="FORMAT")
    k = isub.add_parser("kcs", help="KCS import declaration CSVs: split per declaration date, validate, load; "
                                    "Fraud/Critical Fraud become inspection outcomes")
    k.add_argument("paths", nargs="+", metavar="PATH", help="KCS CSV files")
    k.add_argument("--day-from", type=_date, default=None, help="first declaration date to load, YYYY-MM-DD")
    k.add_argument("--day-to", type=_date, default=None, help="last declaration date to load, YYYY-MM-DD")
    k.add_argument("--check-volume", action="store_true",
                   help="apply the live-feed volume band per day (off: KCS files are a sample with real holidays)")
    k.set_defaults(func=commands.cmd_import)


def _desk_commands(sub) -> None:
    """desk and users: the risk desk web application and who may use it."""
    p = sub.add_parser("desk", help="start the risk desk web application (the offices' daily lists and outcomes)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=_positive, default=1, help="uvicorn worker processes (default 1)")
    p.set_defaults(func=commands.cmd_desk)

    p = sub.add_parser("users", help="manage the risk desk's users")
    usub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    u = usub.add_parser("add", help="add a user (or reset their password and scope); password from stdin")
    u.add_argument("name", help="user name (lower case letters, digits, _ . -)")
    u.add_argument("--role", choices=("analyst", "supervisor", "admin"), required=True,
                   help="analyst: their office's lists; supervisor: every office of their lane; admin: users")
    u.add_argument("--office", default=None, help="the analyst's office (e.g. IEX)")
    u.add_argument("--lane", choices=LANES, default=None, help="the analyst's or supervisor's lane")
    u.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    u.set_defaults(func=commands.cmd_users_add)
    u = usub.add_parser("list", help="list the desk's users")
    u.set_defaults(func=commands.cmd_users_list)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except KeyboardInterrupt:
        print("customs-risk: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for the user; the traceback with CUSTOMS_RISK_DEBUG=1
        if os.environ.get("CUSTOMS_RISK_DEBUG") == "1":
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"customs-risk {args.command}: error: {type(exc).__name__}: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
