"""`mkt db upgrade|check`."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database schema: upgrade, check")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dbsub.add_parser("upgrade", help="apply every migration (creates the database schema from empty)")
    up.set_defaults(handler=upgrade)
    chk = dbsub.add_parser("check", help="fail if the models and the migrations differ")
    chk.set_defaults(handler=check)


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
