"""`mkt users add|list`. Passwords come from a prompt or stdin, never from a flag."""

from __future__ import annotations

import argparse
import getpass
import sys


def register(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="users of the chat: add, list")
    usub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = usub.add_parser("add", help="add a user; the password is asked for (or read from stdin)")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=["admin", "marketer", "reviewer"])
    add.add_argument("--name", default="")
    add.set_defaults(handler=add_user)
    lst = usub.add_parser("list", help="list users")
    lst.set_defaults(handler=list_users)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def add_user(args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.users import create_user

    password = _read_password()
    with unit_of_work() as uow:
        user = create_user(uow.session, args.email, password, args.role, name=args.name)
        email, role = user.email, user.role
    print(f"user {email} added with role {role}")
    return 0


def list_users(_args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.users import list_users as _list

    with unit_of_work() as uow:
        for user in _list(uow.session):
            state = "active" if user.is_active else "disabled"
            print(f"{user.id}\t{user.email}\t{user.role}\t{state}")
    return 0
