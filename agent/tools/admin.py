"""Administration by chat (admins only): list users and API keys, revoke a key. Creating users or keys stays in the
CLI (`mkt users add`, `mkt api-keys create`): a password or a key's secret must never sit in a chat history."""

from __future__ import annotations

from pydantic import Field

from agent.tools.common import Args, NoArgs, data_text, message, table
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission, require
from tools import api_keys


class RevokeArgs(Args):
    ref: str = Field(description="The key's id, prefix or name.")


def _users(session, actor, _a: NoArgs) -> ToolOutput:
    from tools.users import list_users

    require(actor.role, Permission.ADMIN, "list users")
    rows = [{"id": u.id, "email": u.email, "role": u.role, "active": "yes" if u.is_active else "no"}
            for u in list_users(session)]
    title = f"{len(rows)} users. Add one with `mkt users add EMAIL --role ROLE` (the password never goes in chat)."
    return ToolOutput(data_text(title, rows), table(title, ["id", "email", "role", "active"], rows))


def _keys(session, actor, _a: NoArgs) -> ToolOutput:
    views = api_keys.list_api_keys(session, actor)
    rows = [{"id": k.id, "name": k.name, "prefix": k.prefix, "scopes": ", ".join(k.scopes),
             "revoked": "yes" if k.revoked_at else ""} for k in views]
    title = f"{len(rows)} API keys (secrets are never shown). Create one with `mkt api-keys create`."
    return ToolOutput(data_text(title, rows), table(title, ["id", "name", "prefix", "scopes", "revoked"], rows))


def _revoke(session, actor, a: RevokeArgs) -> ToolOutput:
    view = api_keys.revoke_api_key(session, actor, a.ref)
    text = f"Revoked API key '{view.name}' ({view.prefix}…): it no longer works."
    return ToolOutput(text, message(text))


register(ToolSpec("list_users", "The users of the chat and their roles (admins only).", NoArgs, Permission.ADMIN,
                  _users, read_only=True))
register(ToolSpec("list_api_keys", "The API keys (name, prefix, scopes, revoked); never the secret. Admins only.",
                  NoArgs, Permission.ADMIN, _keys, read_only=True))
register(ToolSpec("revoke_api_key", "Revoke an API key at once (admins only).", RevokeArgs, Permission.ADMIN,
                  _revoke))
