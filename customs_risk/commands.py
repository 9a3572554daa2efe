"""What each ``customs-risk`` subcommand does (the parser is in ``customs_risk.cli``): every pipeline stage
by hand, doing what the matching DAG task does; heavy imports inside each handler."""
from __future__ import annotations

import datetime as dt
import json
import sys

from core.contracts import CONTRACTS

def _days(start: dt.date, end: dt.date | None) -> list[dt.date]:
    end = end or start
    if end < start:
        raise ValueError(f"--to {end} is before --date {start}")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def cmd_simulate(args) -> None:
    from customs_risk.demo import simulate

    written = simulate(args.start, args.days, args.scale)
    for day_files in written:
        for source, path in day_files.items():
            print(f"{source}: {path}")


def cmd_ingest(args) -> None:
    """Every source of every day asked for, even after a refusal; refusals are listed, then the exit is 1."""
    from core.settings import get_settings
    from customs_risk.stages import ingest
    from ingest.pseudonymise import check_key
    from ingest.readers import BatchRejected

    days = _days(args.date, args.to)
    settings = get_settings()
    check_key(settings)          # before any source is written
    sources = tuple(CONTRACTS) if args.source == "all" else (args.source,)
    refused = []
    for day in days:
        for source in sources:
            try:
                print(ingest(source, day, settings, accept_short=args.accept_short).summary())
            except BatchRejected as exc:
                refused.append(str(exc).strip().splitlines()[0])
    _raise_refusals(refused, f"{len(days) * len(sources)} source days")


def _raise_refusals(refused: list[str], out_of: str) -> None:
    """All refusals but the last on stderr, the last as the command's error (one line each, exit 1)."""
    from ingest.readers import BatchRejected

    for line in refused[:-1]:
        print(f"customs-risk: refused: {line}", file=sys.stderr)
    if refused:
        more = f" ({len(refused)} of {out_of} refused, listed above)" if len(refused) > 1 else ""
        raise BatchRejected(refused[-1] + more)


def cmd_transform(args) -> None:
    from customs_risk.stages import transform

    transform(select=args.select)
    print("dbt build succeeded")


def cmd_train(args) -> None:
    from customs_risk.stages import train

    if (args.scheduler or args.workers) and not args.distributed:
        raise ValueError("--scheduler and --workers need --distributed")
    if args.scheduler and args.workers:
        raise ValueError("--workers sizes a LocalCluster; an existing --scheduler brings its own workers")
    result = train(args.lane, as_of=args.as_of, distributed=args.distributed, scheduler=args.scheduler,
                   workers=args.workers)
    print(json.dumps({k: result[k] for k in ("model_name", "model_version", "aliases", "run_id", "metrics")
                      if k in result}, indent=2, default=str))


def cmd_score(args) -> None:
    if args.input is not None:
        from pathlib import Path

        from customs_risk.score_file import score_input

        if args.date is not None:
            raise ValueError("give either --date (a day of warehouse traffic) or --input FILE, not both")
        if args.output is None:
            raise ValueError("--input needs --output OUT.csv")
        result = score_input(args.lane, Path(args.input), Path(args.output), fmt=args.format)
        print(json.dumps(result, indent=2, default=str))
        return
    if args.date is None:
        raise ValueError("give --date YYYY-MM-DD (or --input FILE --output OUT.csv)")
    from customs_risk.stages import score

    result = score(args.lane, args.date)
    print(json.dumps({k: v for k, v in result.items() if k != "csv_offices"}, indent=2, default=str))


def cmd_monitor(args) -> None:
    from customs_risk.stages import monitor

    for day in _days(args.date, args.to):
        result = monitor(args.lane, day)
        print(json.dumps({k: v for k, v in result.items() if k != "numbers"}, indent=2, default=str))


def cmd_promote(args) -> None:
    from customs_risk.stages import promote

    result = promote(args.lane, rollback=args.rollback)
    print(json.dumps(result, indent=2, default=str))


def cmd_airflow(args) -> None:
    import logging

    from core.settings import get_settings
    from customs_risk.airflow_service import AirflowService, serve
    from customs_risk.scaleout import scaleout_service

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    settings = get_settings()
    if args.celery:
        service, settings = scaleout_service(settings, args.port)
    else:
        service = AirflowService(settings, port=args.port)
    if serve(service, settings) != 0:
        raise RuntimeError("Airflow stopped with an error")


def cmd_docs(args) -> None:
    from transform.dbt_build import docs

    print(f"dbt docs: {docs()}")


def cmd_demo(args) -> None:
    from customs_risk.demo import run_demo

    run_demo(days=args.days, scale=args.scale, start=args.start)


def cmd_import(args) -> None:
    from pathlib import Path

    from ingest.kcs import import_kcs
    from ingest.readers import BatchRejected

    if args.day_from and args.day_to and args.day_to < args.day_from:
        raise ValueError(f"--day-to {args.day_to} is before --day-from {args.day_from}")
    reports = import_kcs([Path(p) for p in args.paths], day_from=args.day_from, day_to=args.day_to,
                         check_volume=args.check_volume)
    failed = []
    for report in reports:
        if report.error:
            failed.append(f"{report.file}: {report.error}" if not report.error.startswith(report.file)
                          else report.error)
        else:
            print(report.summary())
    rejected_days = sum(len(r.rejected_days) for r in reports if not r.error)
    _raise_refusals(failed, f"{len(reports)} files")
    if rejected_days:
        raise BatchRejected(f"{rejected_days} source days rejected by batch rules (listed above)")


def cmd_desk(args) -> None:
    from customs_risk.desk.serve import serve

    print(f"risk desk: http://{args.host}:{args.port}/  (sign in with a user from `customs-risk users add`)")
    serve(args.host, args.port, workers=args.workers)


def cmd_users_add(args) -> None:
    from core.settings import get_settings
    from customs_risk.desk.auth import add_user
    from customs_risk.desk.store import Store

    if not args.password_stdin:
        raise ValueError("give the password on standard input with --password-stdin (never on the command line)")
    password = sys.stdin.readline().rstrip("\r\n")
    settings = get_settings()
    created = add_user(Store(settings.desk_url), args.name.strip().lower(), args.role, args.office, args.lane,
                       password, by="cli")
    scope = ", ".join(f"{k} {v}" for k, v in (("office", args.office), ("lane", args.lane)) if v)
    print(f"user {args.name} {'added' if created else 'updated'}: {args.role}" + (f" ({scope})" if scope else ""))


def cmd_users_list(args) -> None:
    from core.settings import get_settings
    from customs_risk.desk.store import Store

    for user in Store(get_settings().desk_url).all_users():
        print(f"{user['username']}\t{user['role']}\t{user['lane'] or '-'}\t{user['office'] or '-'}\t"
              f"{'active' if user['active'] else 'disabled'}")
