"""`mkt api-keys create|list|revoke` (keys for n8n and scripts) and `mkt outbound add|list|remove`
(where outbound events go). The CLI runs as the system administrator."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    keys = sub.add_parser("api-keys", help="API keys for n8n and scripts: create, list, revoke")
    ksub = keys.add_subparsers(dest="api_keys_command", metavar="ACTION", required=True)
    create = ksub.add_parser("create", help="create a key; it is printed once")
    create.add_argument("--name", required=True, help="who or what uses the key, e.g. n8n")
    create.add_argument("--scopes", required=True, nargs="+",
                        help="contacts:read contacts:write enrichment:write events:read hooks:write (or all)")
    create.add_argument("--expires", default=None, metavar="DURATION",
                        help="stop working after this long, e.g. 90d, 12h, 2w (default: until revoked)")
    create.set_defaults(handler=create_key)
    lst = ksub.add_parser("list", help="list keys (never their secret)")
    lst.set_defaults(handler=list_keys)
    revoke = ksub.add_parser("revoke", help="revoke a key by id, prefix or name")
    revoke.add_argument("ref")
    revoke.set_defaults(handler=revoke_key)

    out = sub.add_parser("outbound", help="outbound event subscriptions (n8n two-way sync): add, list, remove")
    osub = out.add_subparsers(dest="outbound_command", metavar="ACTION", required=True)
    add = osub.add_parser("add", help="send events to URL, signed with a secret printed once")
    add.add_argument("url")
    add.add_argument("--events", nargs="*", default=[], help="event names (default: every event)")
    add.set_defaults(handler=add_subscription)
    olist = osub.add_parser("list", help="list subscriptions")
    olist.set_defaults(handler=list_subscriptions)
    remove = osub.add_parser("remove", help="deactivate a subscription by id")
    remove.add_argument("id", type=int)
    remove.set_defaults(handler=remove_subscription)


def _actor():
    from tools.users import Actor

    return Actor.system("cli")


def create_key(args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.api_keys import create_api_key

    with unit_of_work() as uow:
        created = create_api_key(uow.session, _actor(), name=args.name, scopes=" ".join(args.scopes),
                                 expires_in=args.expires)
    expiry = f", expires {created.view.expires_at:%Y-%m-%d %H:%M} UTC" if created.view.expires_at else ""
    print(f"API key {created.view.id} '{created.view.name}' scopes: {' '.join(created.view.scopes)}{expiry}")
    print(f"Key (shown once, keep it secret): {created.key}")
    return 0


def list_keys(_args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.api_keys import list_api_keys

    with unit_of_work() as uow:
        for key in list_api_keys(uow.session, _actor()):
            state = ("active" if key.active else f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at
                     else f"expired {key.expires_at:%Y-%m-%d %H:%M}")
            if key.active and key.expires_at:
                state += f" until {key.expires_at:%Y-%m-%d %H:%M}"
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
            print(f"{key.id}\t{key.prefix}\t{key.name}\t{' '.join(key.scopes)}\t{used}\t{state}")
    return 0


def revoke_key(args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.api_keys import revoke_api_key

    with unit_of_work() as uow:
        key = revoke_api_key(uow.session, _actor(), args.ref)
    print(f"API key {key.id} ({key.prefix}, '{key.name}') revoked")
    return 0


def add_subscription(args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.outbound import add_subscription as _add

    with unit_of_work() as uow:
        sub, secret = _add(uow.session, _actor(), args.url, events=args.events)
    print(f"subscription {sub.id} -> {sub.url} events: {' '.join(sub.events) or 'all'}")
    print(f"Signing secret (shown once): {secret}")
    return 0


def list_subscriptions(_args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.outbound import list_subscriptions as _list

    with unit_of_work() as uow:
        for sub in _list(uow.session, _actor()):
            print(f"{sub.id}\t{sub.url}\t{' '.join(sub.events) or 'all'}\t{'active' if sub.active else 'inactive'}")
    return 0


def remove_subscription(args: argparse.Namespace) -> int:
    from db.session import unit_of_work
    from tools.outbound import remove_subscription as _remove

    with unit_of_work() as uow:
        _remove(uow.session, _actor(), args.id)
    print(f"subscription {args.id} deactivated")
    return 0
