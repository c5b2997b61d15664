"""Conversations through Chatwoot: inbound webhook events (every channel) and replies from the chat.

The Chatwoot processor (listed for provider "chatwoot" in workers/webhooks.py) stores incoming messages in
conversation_messages with channel, direction and Chatwoot ids, links them to a contact (Chatwoot contact id,
email or phone; creates one from "chatwoot" when unknown), attributes them to the last campaign touch, and
turns STOP-family keywords into opt-outs. Outgoing messages (agents in Chatwoot, or our own replies echoed
back) are stored once as outbound and never answered, so nothing loops."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import Contact, ConversationMessage, WebhookEvent, utcnow
from domain import channels
from domain.keywords import Keyword, classify
from domain.roles import Permission, require
from integrations.chatwoot import SandboxChatwoot
from tools import outbound
from tools.campaigns.attribution import last_campaign_touch, stop_follow_ups
from tools.contacts.history import record_event
from tools.contacts.optouts import opt_in, opt_out
from tools.contacts.records import resolve_contact
from tools.inbox.people import contact_from_chatwoot, link_contact
from tools.sequences import exits as sequence_exits
from tools.users import Actor

CHANNELS = {"Channel::Sms": "sms", "Channel::TwilioSms": "sms", "Channel::Email": "email",
            "Channel::FacebookPage": "facebook", "Channel::Instagram": "instagram", "Channel::Whatsapp": "whatsapp",
            "Channel::Telegram": "telegram", "Channel::Api": "api", "Channel::WebWidget": "web",
            "Channel::Line": "line", "Channel::TwitterProfile": "twitter", "Channel::Voice": "voice",
            "Channel::Tiktok": "tiktok"}
MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}
SUPPRESSION_CHANNEL = {"sms": "sms", "whatsapp": "sms", "email": "email"}  # where an opt-out can be recorded
MAX_REPLY = 4096


class ConversationError(ValueError):
    """A reply that cannot be sent (no conversation on that channel, opted out, empty text)."""


@dataclass(frozen=True)
class ReplyResult:
    contact_id: int
    contact_name: str
    channel: str
    conversation_id: int
    message_id: int | None
    sandbox: bool

    @property
    def summary(self) -> str:
        if self.conversation_id is not None and self.conversation_id < 0:
            return (f"SIMULATED - a sample conversation: the reply to {self.contact_name} on {self.channel} was "
                    "recorded, not sent")
        where = f"{self.channel} (Chatwoot conversation {self.conversation_id})"
        if self.sandbox:
            return f"SANDBOX - no Chatwoot configured: the reply to {self.contact_name} on {where} was recorded, not sent"
        return f"Reply sent to {self.contact_name} on {where}"


# --- parsing helpers ------------------------------------------------------------------------------

def message_type(value: Any) -> str:
    """Chatwoot's message_type as a word, whether it came as a string (top level) or an integer (nested)."""
    if isinstance(value, bool):
        return "unknown"
    if isinstance(value, int):
        return MESSAGE_TYPES.get(value, "unknown")
    text = str(value or "").strip().lower()
    return MESSAGE_TYPES.get(int(text), "unknown") if text.isdigit() else (text or "unknown")


def channel_of(conversation: dict[str, Any]) -> str:
    """Our channel name for a Chatwoot conversation (Twilio WhatsApp shows as a whatsapp: source id)."""
    kind = CHANNELS.get(str(conversation.get("channel") or ""), "other")
    source = str((conversation.get("contact_inbox") or {}).get("source_id") or "")
    if kind == "sms" and source.startswith("whatsapp:"):
        return "whatsapp"
    return kind


def _occurred_at(payload: dict[str, Any]) -> datetime:
    raw = payload.get("created_at")
    try:
        if isinstance(raw, int | float):
            return datetime.fromtimestamp(raw, UTC)
        if isinstance(raw, str) and raw:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    return utcnow()


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- the processor -----------------------------------------------------------------------------------

def process_chatwoot(session: Session, event: WebhookEvent) -> str | None:
    """Apply one stored Chatwoot webhook event. Idempotent: the message id is unique."""
    payload = event.payload or {}
    kind = str(payload.get("event") or event.event_type)
    if kind == "message_created":
        return _message_created(session, payload)
    if kind == "message_updated":
        return _message_updated(session, payload)
    if kind in ("conversation_created", "conversation_updated", "conversation_status_changed"):
        return _conversation_event(session, payload)
    if kind in ("contact_created", "contact_updated"):
        return _contact_event(session, payload)
    return "ignored"


def _message_created(session: Session, payload: dict[str, Any]) -> str | None:
    message_id = _int(payload.get("id"))
    kind = message_type(payload.get("message_type"))
    if message_id is None or payload.get("private") or kind not in ("incoming", "outgoing"):
        return "ignored"
    if kind == "outgoing":
        return _store_outgoing(session, payload, message_id)
    if session.scalar(sa.select(ConversationMessage.id).where(ConversationMessage.chatwoot_message_id == message_id)):
        return "ignored"
    return _store_incoming(session, payload, message_id)


def _store_incoming(session: Session, payload: dict[str, Any], message_id: int) -> str | None:
    conversation = payload.get("conversation") or {}
    channel = channel_of(conversation)
    person = payload.get("sender") or (conversation.get("meta") or {}).get("sender") or {}
    contact, created = link_contact(session, person)
    at = _occurred_at(payload)
    body = str(payload.get("content") or "")
    campaign_id = last_campaign_touch(session, contact.id, at)
    body = _early_edit(session, message_id) or body
    row = ConversationMessage(contact_id=contact.id, campaign_id=campaign_id, channel=channel, direction="inbound",
                              body=body, sender=_sender_label(person), chatwoot_message_id=message_id,
                              chatwoot_conversation_id=_int(conversation.get("id")),
                              chatwoot_inbox_id=_int(conversation.get("inbox_id") or (payload.get("inbox") or {}).get("id")),
                              occurred_at=at)
    session.add(row)
    session.flush()
    _apply_keyword(session, contact, channel, body)
    stop_follow_ups(session, contact.id, campaign_id, "stop_on_reply")
    sequence_exits.on_event(session, [contact.id], "replied")
    if created:
        outbound.emit(session, "contact.created", _contact_payload(contact))
    outbound.emit(session, "reply.received", {"contact": _contact_payload(contact), "channel": channel,
                                              "body": body, "campaign_id": campaign_id, "message_id": row.id,
                                              "chatwoot_conversation_id": row.chatwoot_conversation_id,
                                              "occurred_at": at.isoformat()})
    return None


def _sender_label(person: dict[str, Any]) -> str | None:
    label = person.get("email") or person.get("phone_number") or person.get("name")
    return str(label)[:320] if label else None


def _apply_keyword(session: Session, contact: Contact, channel: str, body: str) -> None:
    keyword = classify(body)
    if keyword is None or keyword == Keyword.HELP:
        return
    target = SUPPRESSION_CHANNEL.get(channel)
    address = channels.address_of(target, contact) if target else None
    if keyword == Keyword.OPT_OUT:
        if address:
            touched = opt_out(session, target, address, source="chatwoot", note=f"{channel} keyword: {body[:60]}")
            if contact.id in touched:
                outbound.emit(session, "contact.opted_out", {"contact": _contact_payload(contact), "channel": target})
        else:
            record_event(session, contact.id, "opt_out_requested", "chatwoot", field=channel,
                         data={"text": body[:200], "note": "no suppression list for this channel"})
    elif keyword == Keyword.OPT_IN and address and target == "sms":
        opt_in(session, target, address, source="chatwoot")


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _store_outgoing(session: Session, payload: dict[str, Any], message_id: int) -> str:
    """An agent's message (or our own reply echoed back): kept once as outbound, never answered."""
    conversation = payload.get("conversation") or {}
    person = (conversation.get("meta") or {}).get("sender") or {}
    contact_id = _known_contact_id(session, person)
    values = dict(contact_id=contact_id, channel=channel_of(conversation), direction="outbound",
                  body=str(payload.get("content") or ""), sender=_sender_label(payload.get("sender") or {}),
                  chatwoot_message_id=message_id, chatwoot_conversation_id=_int(conversation.get("id")),
                  chatwoot_inbox_id=_int(conversation.get("inbox_id")), occurred_at=_occurred_at(payload))
    stmt = _insert(session)(ConversationMessage).values(**values).on_conflict_do_nothing(
        index_elements=["chatwoot_message_id"])
    session.execute(stmt)
    return "ignored"


def _known_contact_id(session: Session, person: dict[str, Any]) -> int | None:
    chatwoot_id = _int(person.get("id"))
    if chatwoot_id is None:
        return None
    return session.scalar(sa.select(Contact.id).where(Contact.chatwoot_contact_id == chatwoot_id).limit(1))


def _early_edit(session: Session, message_id: int) -> str | None:
    """The content of the latest message_updated that arrived before its message_created (order tolerance)."""
    stmt = (sa.select(WebhookEvent.payload)
            .where(WebhookEvent.provider == "chatwoot", WebhookEvent.event_id.like(f"message_updated:{message_id}:%"))
            .order_by(WebhookEvent.id.desc()).limit(1))
    payload = session.scalar(stmt)
    content = (payload or {}).get("content")
    return str(content) if content is not None else None


def _message_updated(session: Session, payload: dict[str, Any]) -> str | None:
    row = session.scalar(sa.select(ConversationMessage).where(
        ConversationMessage.chatwoot_message_id == _int(payload.get("id"))))
    if row is None or payload.get("content") is None:
        return "ignored"
    row.body = str(payload["content"])
    return None


def _conversation_event(session: Session, payload: dict[str, Any]) -> str | None:
    person = (payload.get("meta") or {}).get("sender") or {}
    if not person:
        return "ignored"
    contact = contact_from_chatwoot(session, person, create=False)
    return None if contact else "ignored"


def _contact_event(session: Session, payload: dict[str, Any]) -> str | None:
    contact = contact_from_chatwoot(session, payload, create=True)
    return None if contact else "ignored"


def _contact_payload(contact: Contact) -> dict[str, Any]:
    return {"id": contact.id, "email": contact.email, "phone": contact.phone, "first_name": contact.first_name,
            "last_name": contact.last_name, "company": contact.company}


# --- replies from the chat ------------------------------------------------------------------------------

def _latest_conversation(session: Session, contact_id: int, channel: str) -> ConversationMessage | None:
    stmt = (sa.select(ConversationMessage)
            .where(ConversationMessage.contact_id == contact_id, ConversationMessage.channel == channel,
                   ConversationMessage.chatwoot_conversation_id.is_not(None))
            .order_by(ConversationMessage.occurred_at.desc(), ConversationMessage.id.desc()).limit(1))
    return session.scalar(stmt)


def _check_reply(contact: Contact, channel: str, text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ConversationError("the reply is empty")
    if len(text) > MAX_REPLY:
        raise ConversationError(f"the reply is {len(text)} characters; the limit is {MAX_REPLY}")
    target = SUPPRESSION_CHANNEL.get(channel)
    if target and getattr(contact, f"opted_out_{target}"):
        raise ConversationError(f"{contact.email or contact.phone} has opted out of {target}: no reply sent")
    return text


def reply_to_conversation(session: Session, actor: Actor, contact_ref: str, channel: str, text: str, *,
                          client: Any = None) -> ReplyResult:
    """Reply to a contact in their latest Chatwoot conversation on `channel` (sms, whatsapp, email, facebook,
    instagram, telegram, web, api). `contact_ref`: contact id, email, phone or name (an ambiguous name lists
    the candidates). One message: no approval needed. Refuses when the contact never wrote on that channel
    (Chatwoot needs a conversation) or has opted out. Without Chatwoot configured, says SANDBOX and sends
    nothing. The reply is recorded in the contact's timeline."""
    require(actor.role, Permission.INBOX, "reply to conversations")
    contact = resolve_contact(session, contact_ref)
    channel = (channel or "").strip().lower()
    text = _check_reply(contact, channel, text)
    last = _latest_conversation(session, contact.id, channel)
    if last is None:
        raise ConversationError(f"no Chatwoot conversation with {_name(contact)} on {channel}: they must write first")
    if client is None:
        from integrations.chatwoot import client_from_settings
        from settings import get_settings

        client = client_from_settings(get_settings())
    if last.chatwoot_conversation_id < 0 and not isinstance(client, SandboxChatwoot):
        raise ConversationError(f"the conversation with {_name(contact)} is simulated (sample data): with Chatwoot "
                                "configured it cannot be answered; reply to a real conversation")
    sent = client.send_message(last.chatwoot_conversation_id, text)
    _record_reply(session, actor, contact, last, text, sent.message_id)
    return ReplyResult(contact.id, _name(contact), channel, last.chatwoot_conversation_id, sent.message_id,
                       sent.sandbox)


def _record_reply(session: Session, actor: Actor, contact: Contact, last: ConversationMessage, text: str,
                  message_id: int | None) -> None:
    values = dict(contact_id=contact.id, channel=last.channel, direction="outbound", body=text, sender=actor.email,
                  sent_by=actor.email, chatwoot_message_id=message_id,
                  chatwoot_conversation_id=last.chatwoot_conversation_id, chatwoot_inbox_id=last.chatwoot_inbox_id,
                  occurred_at=utcnow())
    stmt = _insert(session)(ConversationMessage).values(**values)
    if message_id is not None:  # the echo webhook may have stored it first: then complete that row
        stmt = stmt.on_conflict_do_update(index_elements=["chatwoot_message_id"],
                                          set_={"contact_id": contact.id, "sent_by": actor.email})
    session.execute(stmt)


def _name(contact: Contact) -> str:
    full = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    return full or contact.email or contact.phone or f"contact {contact.id}"
