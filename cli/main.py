"""`mkt`: serve the app, run workers, migrate, manage users. `mkt --help` lists everything.

Failures that a person can fix (database or Redis unreachable, bad input) end with one clear line
and exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from cli import commands_chat, commands_db, commands_demo, commands_doctor, commands_run, commands_users
from ops.version import version

Handler = Callable[[argparse.Namespace], int]


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mkt", description="Chat-first marketing platform.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    from cli import (
        commands_analytics,
        commands_api_keys,
        commands_campaigns,
        commands_completion,
        commands_contacts,
        commands_eval,
    )

    for module in (commands_run, commands_db, commands_users, commands_chat, commands_demo, commands_doctor,
                   commands_api_keys, commands_analytics, commands_contacts, commands_eval, commands_campaigns,
                   commands_completion):
        module.register(sub)
    parser.set_defaults(root_parser=parser)  # `mkt completion` walks it
    return parser



def _explain(exc: BaseException) -> str | None:
    """One line for the failures a person can fix; None for real bugs."""
    from sqlalchemy.exc import OperationalError

    from db.session import describe_url
    from settings import get_settings

    if isinstance(exc, CliError | ValueError):
        return str(exc)
    if isinstance(exc, OperationalError):
        url = describe_url(get_settings().effective_database_url)
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return (f"cannot reach the database at {url}: {first}. Check MKT_DATABASE_URL "
                "(unset it to use the embedded SQLite) and that the server is running.")
    try:
        import redis
    except ImportError:  # pragma: no cover
        return None
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return (f"cannot reach Redis at {get_settings().redis_url}: {exc}. Start Redis, or unset MKT_REDIS_URL "
                "to use the in-process queue.")
    return None


def main(argv: list[str] | None = None) -> int:
    from ops import observability
    from ops.logging import configure

    configure()  # structured lines with request/job ids, secrets redacted (MKT_LOG_FORMAT, MKT_LOG_LEVEL)
    args = build_parser().parse_args(argv)
    try:
        observability.configure()  # LangSmith off unless asked; Sentry, OpenTelemetry when configured
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        line = _explain(exc)
        if line is None:
            raise
        print(f"mkt: error: {line}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
