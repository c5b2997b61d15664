"""`mkt db upgrade|check|current|downgrade`."""

from __future__ import annotations

import argparse

from domain.wording import plural


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database schema: upgrade, check, current, downgrade")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dbsub.add_parser("upgrade", help="apply every migration (creates the database schema from empty)")
    up.set_defaults(handler=upgrade)
    chk = dbsub.add_parser("check", help="fail if the models and the migrations differ")
    chk.set_defaults(handler=check)
    cur = dbsub.add_parser("current", help="print the revision the database is at, and the latest one")
    cur.set_defaults(handler=current)
    down = dbsub.add_parser("downgrade", help="undo migrations down to REVISION (-1: the last one); data in dropped "
                            "tables and columns is lost")
    down.add_argument("revision", help="target revision id, or -N to undo the last N migrations")
    down.add_argument("--yes", action="store_true", help="do it (without it, only say what would be undone)")
    down.set_defaults(handler=downgrade)


def upgrade(_args: argparse.Namespace) -> int:
    from db import migrate
    from db.session import describe_url
    from settings import get_settings

    migrate.upgrade()
    print(f"database is up to date: {describe_url(get_settings().effective_database_url)}")
    return 0


def check(_args: argparse.Namespace) -> int:
    from db import migrate

    migrate.check()
    return 0


def current(_args: argparse.Namespace) -> int:
    from db import migrate
    from db.session import describe_url
    from settings import get_settings

    at, heads = migrate.current()
    print(f"database: {describe_url(get_settings().effective_database_url)}")
    print(f"current: {', '.join(at) or 'empty (no migration applied)'}")
    print(f"latest: {', '.join(heads)}" + (" (up to date)" if set(at) == set(heads) else " (run `mkt db upgrade`)"))
    return 0


def downgrade(args: argparse.Namespace) -> int:
    from db import migrate

    undone = migrate.steps_down(args.revision)
    if not undone:
        print(f"nothing to undo: the database is at or below {args.revision}")
        return 0
    listing = ", ".join(undone)
    if not args.yes:
        print(f"would undo {plural(len(undone), 'migration')}: {listing}. Run again with --yes to do it (back up first).")
        return 1
    migrate.downgrade(args.revision)
    print(f"undid {plural(len(undone), 'migration')}: {listing}")
    return 0
