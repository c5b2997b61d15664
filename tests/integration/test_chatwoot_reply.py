"""reply_to_conversation: posts through the real Chatwoot client to the fake over HTTP, records the outbound
message, refuses what it must, and the echoed webhook does not loop or duplicate."""

import uuid

import pytest
import sqlalchemy as sa

from db.models import ConversationMessage
from db.session import unit_of_work
from domain.roles import PermissionDenied, Role
from integrations.chatwoot import ChatwootClient, SandboxChatwoot
from integrations.errors import PermanentError, RetryableError
from tests.fakes import chatwoot as cw
from tests.fakes.server import serve_app
from tests.integration.companion import drain
from tools.contacts.records import AmbiguousContact
from tools.inbox.conversations import ConversationError, reply_to_conversation
from tools.users import Actor
from tools.webhook_events import store_event

MARKETER = Actor("m@example.com", Role.MARKETER)
ANA = cw.contact(cid=14, name="Ana Lima", email="ana@example.com", phone="+14155550123")


@pytest.fixture
def fake():
    chatwoot = cw.FakeChatwoot(conversations={10: {"inbox_id": 3, "channel": "Channel::Whatsapp"}})
    with serve_app(chatwoot.app()) as base:
        chatwoot.base = base
        yield chatwoot


def _client(fake, token=None):
    return ChatwootClient(fake.base, token or fake.token, fake.account_id)


def _incoming(channel="Channel::Whatsapp", conversation_id=10, message_id=118, person=ANA):
    payload = cw.message_created(message_id=message_id, channel=channel, conversation_id=conversation_id,
                                 contact=person)
    with unit_of_work() as uow:
        store_event(uow.session, "chatwoot", f"m{message_id}", "message_created", payload)
    drain()


def _reply(ref="Ana", channel="whatsapp", text="Thanks Ana, here is the link", client=None, actor=MARKETER):
    with unit_of_work() as uow:
        return reply_to_conversation(uow.session, actor, ref, channel, text, client=client)


def _outbound():
    with unit_of_work() as uow:
        return list(uow.session.scalars(sa.select(ConversationMessage).where(
            ConversationMessage.direction == "outbound")))


def test_a_reply_goes_to_her_latest_conversation_and_lands_in_her_timeline(db, fake):
    _incoming()
    result = _reply(client=_client(fake))
    assert not result.sandbox and result.conversation_id == 10 and "Reply sent to Ana Lima" in result.summary
    [sent] = fake.sent
    assert sent["content"] == "Thanks Ana, here is the link" and sent["id"] == result.message_id
    [row] = _outbound()
    assert (row.chatwoot_message_id, row.sent_by, row.channel, row.contact_id) == (
        result.message_id, "m@example.com", "whatsapp", result.contact_id)


def test_the_echoed_webhook_of_our_reply_neither_loops_nor_duplicates(db, fake):
    _incoming()
    result = _reply(client=_client(fake))
    echo = fake.echo_of(fake.sent[0], ANA)
    with unit_of_work() as uow:
        store_event(uow.session, "chatwoot", "echo", "message_created", echo)
    assert drain() == ["ignored"]
    assert len(_outbound()) == 1 and len(fake.sent) == 1
    assert _outbound()[0].sent_by == "m@example.com" and _outbound()[0].chatwoot_message_id == result.message_id


def test_an_echo_stored_before_our_commit_is_completed_not_duplicated(db, fake):
    _incoming()
    echo = cw.message_created(message_id=5000, message_type="outgoing", content="Thanks Ana, here is the link",
                              channel="Channel::Whatsapp", contact=ANA,
                              sender={"id": 1, "name": "Agent", "email": "agent@acme.test", "type": "user"})
    with unit_of_work() as uow:
        store_event(uow.session, "chatwoot", "early-echo", "message_created", echo)
    drain()
    _reply(client=_client(fake))  # the fake hands out id 5000 first
    [row] = _outbound()
    assert row.chatwoot_message_id == 5000 and row.sent_by == "m@example.com"


def test_without_chatwoot_configured_the_reply_says_sandbox_and_is_recorded(db):
    _incoming()
    result = _reply(client=SandboxChatwoot())
    assert result.sandbox and result.summary.startswith("SANDBOX")
    assert [r.chatwoot_message_id for r in _outbound()] == [None]


def test_chatwoot_errors_are_typed_and_nothing_is_recorded(db, fake):
    _incoming()
    with pytest.raises(PermanentError, match="401"):
        _reply(client=_client(fake, token="wrong"))
    fake.fail_next.extend([429])
    with pytest.raises(RetryableError) as info:
        _reply(client=_client(fake))
    assert info.value.retry_after == 1.0
    fake.conversations.pop(10)
    with pytest.raises(PermanentError, match="no such conversation"):
        _reply(client=_client(fake))
    assert _outbound() == []


def test_an_opted_out_contact_gets_no_reply(db, fake):
    _incoming()
    _incoming(message_id=119, channel="Channel::Whatsapp")
    with unit_of_work() as uow:
        store_event(uow.session, "chatwoot", "stop", "message_created",
                    cw.message_created(message_id=120, content="STOP", channel="Channel::Whatsapp", contact=ANA))
    drain()
    with pytest.raises(ConversationError, match="opted out"):
        _reply(client=_client(fake))
    assert fake.sent == []


def test_no_conversation_on_that_channel_means_no_reply(db, fake):
    _incoming()
    with pytest.raises(ConversationError, match="on email: they must write first"):
        _reply(channel="email", client=_client(fake))


def test_empty_or_too_long_replies_are_refused(db, fake):
    _incoming()
    with pytest.raises(ConversationError, match="empty"):
        _reply(text="  ", client=_client(fake))
    with pytest.raises(ConversationError, match="limit"):
        _reply(text="x" * 5000, client=_client(fake))


def test_an_ambiguous_name_lists_the_candidates(db, fake):
    _incoming()
    _incoming(message_id=200, person=cw.contact(cid=15, name="Ana Souza", email="souza@example.com", phone=None))
    with pytest.raises(AmbiguousContact, match="2 contacts match 'Ana'"):
        _reply(client=_client(fake))
    assert _reply(ref="ana@example.com", client=_client(fake)).contact_name == "Ana Lima"


def test_a_reviewer_may_not_reply(db, fake):
    _incoming()
    with pytest.raises(PermissionDenied):
        _reply(client=_client(fake), actor=Actor(f"r{uuid.uuid4().hex[:4]}@example.com", Role.REVIEWER))
