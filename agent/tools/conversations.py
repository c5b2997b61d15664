"""Reply to a contact's conversation (it sends: Approve, showing who, where and the exact text)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agent.tools.common import Args, message
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission
from tools.inbox import conversations

Channel = Literal["sms", "whatsapp", "email", "facebook", "instagram", "telegram", "web", "api"]


class ReplyArgs(Args):
    contact_ref: str = Field(description="The contact: id, email, phone or name.")
    channel: Channel | None = Field(None, description="Where to answer; default sms.")
    text: str = Field(description="The reply, exactly as it will be sent.")


def _summary(session, actor, a: ReplyArgs) -> dict[str, Any]:
    from integrations.chatwoot import SandboxChatwoot, client_from_settings
    from settings import get_settings
    from tools.contacts.records import resolve_contact

    contact = resolve_contact(session, a.contact_ref)
    last = conversations._latest_conversation(session, contact.id, a.channel or "sms")
    if last is None:  # said before the card, not after Approve
        raise conversations.ConversationError(
            f"no conversation with {contact.first_name or contact.email or contact.phone} on {a.channel or 'sms'} "
            "to reply in: they must write first on that channel (see 'inbox' for who wrote where)")
    simulated = last.chatwoot_conversation_id < 0  # a sample conversation (tools.demo)
    if simulated and not isinstance(client_from_settings(get_settings()), SandboxChatwoot):
        raise conversations.ConversationError("this conversation is simulated (sample data): with Chatwoot "
                                              "configured it cannot be answered")
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p) or contact.email or contact.phone
    return {"title": f"Reply to {name} on {a.channel or 'sms'}" + (" (simulated: a sample conversation, recorded, "
                                                                   "nothing is sent)" if simulated else ""),
            "action": "send one message" + (" (simulated)" if simulated else ""), "count": 1,
            "who": f"{name} <{contact.email or contact.phone}>", "rendered": a.text}


def _reply(session, actor, a: ReplyArgs) -> ToolOutput:
    r = conversations.reply_to_conversation(session, actor, a.contact_ref, a.channel or "sms", a.text)
    text = r.summary
    return ToolOutput(text, message(text))


register(ToolSpec("reply_to_conversation", "Reply to a contact in their latest conversation on a channel. "
                  "It sends: waits for Approve.", ReplyArgs, Permission.INBOX, _reply, summarise=_summary))
