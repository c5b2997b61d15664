"""`mkt demo load` / `mkt demo remove`: the sample data (marked as sample, removable)."""

from __future__ import annotations

import argparse

from tools.users import Actor


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="sample data for a first look: load, remove")
    dsub = demo.add_subparsers(dest="demo_command", metavar="ACTION", required=True)
    dsub.add_parser("load", help="add sample contacts and a past campaign (all marked as sample)").set_defaults(
        handler=load)
    dsub.add_parser("remove", help="delete every row marked as sample").set_defaults(handler=remove)


def _prepare() -> None:
    from cli.commands_run import ensure_schema
    from settings import get_settings

    ensure_schema(get_settings())


def load(_args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.demo import load_sample_data

    _prepare()
    with unit_of_work() as uow:
        r = load_sample_data(uow.session, Actor.system("cli"))
    if r.already_loaded:
        print("sample data is already loaded (`mkt demo remove` deletes it)")
    else:
        print(f"loaded {r.contacts} sample contacts, {r.campaigns} past campaign, {r.activities} sends, "
              f"{r.replies} replies, {r.bookings} booking, {r.ad_campaigns} ad campaign (all marked as sample)")
    return 0


def remove(_args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.demo import remove_sample_data

    _prepare()
    with unit_of_work() as uow:
        r = remove_sample_data(uow.session, Actor.system("cli"))
    print(f"removed {r.contacts} sample contacts, {r.campaigns} campaigns, {r.ad_campaigns} ad campaigns, "
          f"{r.messages} messages, {r.bookings} bookings")
    return 0
