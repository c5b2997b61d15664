"""Contacts tools for the agent: search, count, update one, change many (with Approve), opt-out/in."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agent.tools.common import (
    CONTACT_COLUMNS,
    Args,
    FilterField,
    contact_row,
    data_text,
    message,
    plain,
    table,
)
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain import channels
from domain.filter_words import in_words
from domain.roles import Permission, require
from domain.wording import plural
from tools.contacts import records as contacts


class QueryArgs(Args):
    filter: dict[str, Any] | None = FilterField()
    page: int = Field(1, ge=1, description="Page number, from 1.")
    page_size: int = Field(25, ge=1, le=100, description="Rows per page (at most 100).")
    sort: str = Field("-created_at", description="Column to sort by; a leading '-' sorts descending.")


class CountArgs(Args):
    filter: dict[str, Any] | None = FilterField()


class UpdateArgs(Args):
    ref: str = Field(description="Which contact: its id, email, phone or full name.")
    changes: dict[str, Any] = Field(description='Fields to set, e.g. {"phone": "512 555 0100", "city": "Austin"}.')


class BulkArgs(Args):
    filter: dict[str, Any] | None = FilterField(required=True)
    set: dict[str, Any] | None = Field(None, description="Fields to set on every matching contact.")
    add_tags: list[str] | None = Field(None, description="Tags to add.")
    remove_tags: list[str] | None = Field(None, description="Tags to remove.")


class OptArgs(Args):
    channel: Literal["sms", "email"] = Field(description="sms or email.")
    address: str = Field(description="The phone number (any format) or email address, or the contact's name or "
                         "#id (their phone or email on that channel is used).")


def _query(session, actor, a: QueryArgs) -> ToolOutput:
    page = contacts.query_contacts(session, actor, a.filter, page=a.page, page_size=a.page_size, sort=a.sort)
    rows = [contact_row(i) for i in page.items]
    first = (page.page - 1) * page.page_size + 1 if rows else 0
    summary = f"Found {page.total} {_contacts(page.total)} (showing {first}-{first + len(rows) - 1 if rows else 0})."
    if page.total > page.page * page.page_size:
        summary += f" Add 'page {page.page + 1}' to your request for more."
    display = table(summary, CONTACT_COLUMNS, rows, filter=a.filter, page=page.page, total=page.total,
                    understood=in_words(a.filter))
    return ToolOutput(data_text(summary, rows), display)


def _count(session, actor, a: CountArgs) -> ToolOutput:
    n = contacts.count_contacts(session, actor, a.filter)
    summary = f"{n} {_contacts(n)} match{'es' if n == 1 else ''}."
    return ToolOutput(summary, message(f"**{n}** {_contacts(n)} match{'es' if n == 1 else ''}.", filter=a.filter,
                                       understood=in_words(a.filter)))


def _contacts(n: int) -> str:
    return "contact" if n == 1 else "contacts"


def _update(session, actor, a: UpdateArgs) -> ToolOutput:
    try:
        result = contacts.update_contact(session, actor, a.ref, a.changes)
    except Exception as exc:  # AmbiguousContact lists the candidates: show them as a table
        candidates = getattr(exc, "candidates", None)
        if candidates:
            rows = [contact_row(c) for c in candidates]
            return ToolOutput(data_text(f"Not changed: {exc}", rows),
                              table(f"Several contacts match {a.ref!r}: say which (by email or id).",
                                    CONTACT_COLUMNS, rows))
        raise
    data = plain(result)
    said = _describe_update(a.ref, data)  # one answer: the same words for the model and the chat
    return ToolOutput(data_text(said.replace("**", "").replace("\n", " "), data), message(said))


def _describe_update(ref: str, data: Any) -> str:
    lines = [f"Updated contact **{ref}**."]
    changed = data.get("changed") if isinstance(data, dict) else None
    for name, change in (changed or {}).items():
        before, after = change if isinstance(change, list) and len(change) == 2 else (None, change)
        lines.append(f"- {name}: {before or '(empty)'} → {after or '(empty)'}")
    if isinstance(changed, dict) and not changed:
        lines[0] = f"Nothing changed on contact **{ref}** (it already had those values)."
    lines += [f"- note: {n}" for n in (data.get("notes") or [])] if isinstance(data, dict) else []
    return "\n".join(lines)


def _bulk(session, actor, a: BulkArgs) -> ToolOutput:
    n = contacts.bulk_update(session, actor, a.filter, set=a.set, add_tags=a.add_tags, remove_tags=a.remove_tags)
    return ToolOutput(f"Changed {n} {_contacts(n)}.", message(f"Changed **{n}** {_contacts(n)}."))


def _bulk_summary(session, actor, a: BulkArgs) -> dict[str, Any]:
    n = contacts.count_contacts(session, actor, a.filter)
    sample = contacts.query_contacts(session, actor, a.filter, page=1, page_size=5)
    what = [f"set {k} = {v!r}" for k, v in (a.set or {}).items()]
    what += [f"add tag {t!r}" for t in a.add_tags or []] + [f"remove tag {t!r}" for t in a.remove_tags or []]
    return {"title": "Change many contacts", "action": "; ".join(what) or "no change", "count": n,
            "who": f"{n} contacts matching the filter", "filter": a.filter,
            "sample": [contact_row(c) for c in sample.items]}


class ExportArgs(Args):
    filter: dict[str, Any] | None = FilterField()


def _export(session, actor, a: ExportArgs) -> ToolOutput:
    import uuid
    from pathlib import Path

    from ops.files import private_dir
    from settings import get_settings

    folder = private_dir(Path(get_settings().var_dir) / "exports")  # contact data: the server's user only
    path = folder / f"contacts-{uuid.uuid4().hex[:8]}.csv"
    n = contacts.export_contacts(session, actor, a.filter, path)
    text = f"Exported {n} contacts to {path.name} (formula-safe CSV)."
    return ToolOutput(text, message(text, file={"path": str(path), "name": path.name}))


def _address_of(session, channel: str, ref: str) -> str:
    """The address to opt out: `ref` itself when it is one, else the phone/email of the contact it names."""
    import re

    from tools.contacts.lookup import resolve_contact

    if "@" in ref or re.fullmatch(r"\+?[\d\s().-]{7,}", ref.strip()):
        return ref
    match = resolve_contact(session, ref)
    if match.contact is None:
        names = "; ".join(f"#{c.id} {c.first_name or ''} {c.last_name or ''}".strip() for c in match.candidates)
        raise LookupError(f"{match.error or f'several contacts match {ref!r}'}: {names}. Say which one."
                          if names else match.error)
    address = channels.address_of(channel, match.contact)
    if not address:
        raise LookupError(f"{ref} has no {channels.rule(channel).noun} to opt {channel}")
    return address


def _opt(direction: str):
    def run(session, actor, a: OptArgs) -> ToolOutput:
        from tools.contacts import optouts

        require(actor.role, Permission.CONTACTS_WRITE, f"opt {direction} an address")
        address = _address_of(session, a.channel, a.address)
        fn = optouts.opt_out if direction == "out" else optouts.opt_in
        touched = fn(session, a.channel, address, source="chat", actor=actor.email)
        verb = "Opted out" if direction == "out" else "Opted back in"
        text = f"{verb} {address} on {a.channel}: {plural(len(touched), 'contact')} marked."
        if direction == "out":
            text += " The address stays suppressed whatever a later import says."
        return ToolOutput(text, message(text))

    return run


register(ToolSpec("query_contacts", "List contacts matching a filter, a page at a time (default 25 per page). "
                  "Returns id, name, email, phone, company, city, region and tags.",
                  QueryArgs, Permission.CONTACTS_READ, _query, untrusted_output=True, read_only=True))
register(ToolSpec("count_contacts", "Count the contacts matching a filter.", CountArgs,
                  Permission.CONTACTS_READ, _count, read_only=True))
register(ToolSpec("update_contact", "Change fields of ONE contact, found by id, email, phone or full name. "
                  "If several match, nothing changes and the candidates are listed.",
                  UpdateArgs, Permission.CONTACTS_WRITE, _update, untrusted_output=True))
register(ToolSpec("export_contacts", "Export the contacts matching a filter to a CSV file the user can download.",
                  ExportArgs, Permission.CONTACTS_READ, _export, read_only=True))
register(ToolSpec("bulk_update", "Change every contact matching a filter: set fields, add or remove tags. "
                  "Waits for the user's Approve.", BulkArgs, Permission.CONTACTS_WRITE, _bulk,
                  summarise=_bulk_summary))
register(ToolSpec("opt_out", "Opt an address out of a channel (sms or email). It stays suppressed for any "
                  "contact with that address, whatever later imports say.", OptArgs, Permission.CONTACTS_WRITE,
                  _opt("out")))
register(ToolSpec("opt_in", "Lift an opt-out the person asked to lift. Hard bounces and complaints stay.",
                  OptArgs, Permission.CONTACTS_WRITE, _opt("in")))
