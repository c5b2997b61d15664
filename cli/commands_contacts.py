"""`mkt contacts import|export|errors|imports`: CSV import with the same rules as the chat, export by filter, an
import's row-level error report, and where the latest imports stand."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from cli.progress import Progress


def register(sub: argparse._SubParsersAction) -> None:
    contacts = sub.add_parser("contacts", help="contacts: import a CSV, export by filter, import error reports")
    csub = contacts.add_subparsers(dest="contacts_command", metavar="ACTION", required=True)
    imp = csub.add_parser("import", help="import contacts from a CSV file (any common encoding and delimiter)")
    imp.add_argument("file")
    imp.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                     help="map a column to a field (email, phone, first_name, ..., ignore, attributes.<key>); repeat")
    imp.add_argument("--policy", choices=["fill", "overwrite", "skip"], default="fill",
                     help="existing contacts: fill blank fields (default), overwrite them, or skip them")
    imp.add_argument("--region", default=None, help="default region for phones without +country (e.g. US, DE)")
    imp.add_argument("--inspect", action="store_true", help="only show the detected format and mapping")
    imp.add_argument("--json", action="store_true", help="print one JSON object with the counts and first errors")
    imp.set_defaults(handler=import_file)
    exp = csub.add_parser("export", help="export contacts to a CSV file (formula-safe)")
    exp.add_argument("file")
    exp.add_argument("--filter", default=None, help='a JSON filter, e.g. \'{"field": "tags", "op": "has", "value": "vip"}\'')
    exp.set_defaults(handler=export_file)
    err = csub.add_parser("errors", help="write an import's row-level error report to a CSV file")
    err.add_argument("import_id", type=int)
    err.add_argument("file")
    err.set_defaults(handler=errors_file)
    lst = csub.add_parser("imports", help="the latest imports and where each stands (queued, running, done, failed)")
    lst.add_argument("--limit", type=int, default=20)
    lst.set_defaults(handler=list_imports)


def _existing(path: str) -> Path:
    found = Path(path)
    if not found.is_file():
        raise ValueError(f"no such file: {path}")
    return found


def import_file(args: argparse.Namespace) -> int:
    from domain.imports import parse_map_args
    from tools.imports.importer import inspect_csv, run_import
    from tools.users import Actor

    path = _existing(args.file)
    overrides = parse_map_args(args.map)
    if args.inspect:
        preview = inspect_csv(path, overrides or None)
        print(json.dumps(asdict(preview), ensure_ascii=False, indent=None if args.json else 2))
        return 0

    bar = Progress("import", "rows")

    def progress(p) -> None:
        if not args.json:
            bar.update(p.rows, fraction=p.fraction)

    result = run_import(path, actor=Actor.system("cli"), mapping=overrides or None, policy=args.policy,
                        progress=progress, default_region=args.region)
    bar.finish()
    if args.json:
        out = {k: getattr(result, k) for k in ("import_id", "rows", "created", "updated", "unchanged", "duplicates",
                                               "rejected", "opted_out", "probable_duplicates", "encoding", "delimiter", "warnings")}
        out["errors"] = [asdict(e) for e in result.errors]
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(f"import #{result.import_id} ({result.encoding}, delimiter {result.delimiter!r}): {result.rows:,} rows, "
          f"{result.created:,} created, {result.updated:,} updated, {result.unchanged:,} unchanged, "
          f"{result.duplicates:,} duplicates, {result.rejected:,} rejected, {result.opted_out:,} opted out by consent "
          f"columns, {result.probable_duplicates:,} probable duplicates (same phone, other email)")
    for warning in result.warnings:
        print(f"warning: {warning}")
    for e in result.errors[:10]:
        print(f"line {e.line}{f' [{e.column}]' if e.column else ''}: {e.reason}")
    if result.errors:
        print(f"full report: mkt contacts errors {result.import_id} report.csv")
    return 0


def export_file(args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.contacts.records import export_contacts
    from tools.users import Actor

    bar = Progress("export", "contacts")
    with unit_of_work() as uow:
        count = export_contacts(uow.session, Actor.system("cli"), args.filter, args.file, progress=bar.update)
    bar.finish()
    print(f"{count:,} contacts written to {args.file}")
    return 0


def errors_file(args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.imports.importer import export_import_errors
    from tools.users import Actor

    with unit_of_work() as uow:
        count = export_import_errors(uow.session, Actor.system("cli"), args.import_id, args.file)
    print(f"{count:,} problems of import #{args.import_id} written to {args.file}")
    return 0


def list_imports(args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.imports.job import recent_imports
    from tools.users import Actor

    with unit_of_work() as uow:
        imports = recent_imports(uow.session, Actor.system("cli"), limit=args.limit)
    for i in imports:
        resumed = f", {i.attempts} runs" if i.attempts > 1 else ""
        print(f"import #{i.import_id} {i.filename}: {i.status}, {i.rows:,} rows ({i.created:,} created, "
              f"{i.rejected:,} rejected), "
              f"up to line {i.done_line:,}{resumed}, {i.created_at:%Y-%m-%d %H:%M} UTC"
              + (f": {i.error}" if i.error else ""))
    if not imports:
        print("no imports yet")
    return 0
