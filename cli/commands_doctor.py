"""`mkt doctor`: check configuration, database, schema, broker, worker and provider credentials (ops/doctor.py).
One line per check; exit code 0 when nothing failed, 1 when something did (warnings do not fail)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from domain.wording import plural


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check configuration, database, broker, workers and provider credentials")
    p.add_argument("--wait", type=float, default=5.0,
                   help="seconds to wait for a worker to answer system.ping (0: skip the round trip)")
    p.add_argument("--no-providers", action="store_true", help="do not call the providers")
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.set_defaults(handler=doctor)


def doctor(args: argparse.Namespace) -> int:
    from ops.doctor import FAIL, run_checks

    checks = run_checks(wait_seconds=args.wait, providers=not args.no_providers)
    if args.json:
        print(json.dumps([asdict(c) for c in checks], indent=2))
    else:
        for c in checks:
            print(f"{c.status:<5} {c.name:<14} {c.detail}")
    failed = [c.name for c in checks if c.status == FAIL]
    if not args.json:
        print(f"{plural(len(failed), 'problem')}: {', '.join(failed)}" if failed else "no problems found")
    return 1 if failed else 0
