"""`mkt analytics rebuild --from YYYY-MM-DD --to YYYY-MM-DD`, `mkt analytics export FILE --from --to`,
`mkt analytics refresh`."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from cli.progress import Progress
from domain.analytics import AnalyticsInputError
from domain.wording import plural


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("analytics", help="daily analytics: rebuild a period, export it to CSV, refresh now")
    actions = parser.add_subparsers(dest="analytics_command", metavar="ACTION", required=True)
    rebuild = actions.add_parser("rebuild", help="recompute the daily numbers of a period from the source tables")
    export = actions.add_parser("export", help="write a period's daily numbers to a CSV file (formula-safe)")
    export.add_argument("file", help="CSV file to write (refuses to overwrite unless --force)")
    export.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    for action in (rebuild, export):
        action.add_argument("--from", dest="start", type=_day, required=True, help="first day, YYYY-MM-DD")
        action.add_argument("--to", dest="end", type=_day, required=True, help="last day (included), YYYY-MM-DD")
    rebuild.set_defaults(handler=run_rebuild)
    export.set_defaults(handler=run_export)
    refresh = actions.add_parser("refresh", help="bring today's and every changed day's numbers up to date now")
    refresh.set_defaults(handler=run_refresh)


def run_rebuild(args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from domain.analytics import check_period
    from tools.analytics import rebuild_daily

    check_period(args.start, args.end)
    bar = Progress("rebuild", "days")
    with unit_of_work() as uow:
        days = rebuild_daily(uow.session, args.start, args.end, progress=bar.update)
    bar.finish()
    print(f"rebuilt {plural(days, 'day')} from {args.start} to {args.end}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.analytics import export_analytics
    from tools.users import Actor

    target = Path(args.file)
    if target.exists() and not args.force:
        raise AnalyticsInputError(f"{target} exists: choose another file or add --force")
    if not target.parent.is_dir():
        raise AnalyticsInputError(f"no such directory: {target.parent}")
    with unit_of_work() as uow:
        rows = export_analytics(uow.session, Actor.system("cli"), args.start, args.end, target)
    print(f"wrote {plural(rows, 'day')} to {target}")
    return 0


def run_refresh(_args: argparse.Namespace) -> int:
    from workers.analytics import refresh_now

    days = refresh_now("cli")
    if days is None:
        print("another refresh is running; nothing done")
        return 1
    print(f"refreshed {plural(len(days), 'day')}: {', '.join(days)}")
    return 0
