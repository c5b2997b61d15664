"""The offline model drives the wired tools end to end through the real graph, checkpointer and database:
reads answer at once, writes to many rows wait for Approve, roles are enforced, errors come back as text."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa

from agent.core.context import actor_from
from agent.core.runner import open_agent
from db.models import Contact, ContactEvent, Suppression
from db.session import unit_of_work
from tests.factories import create_contact

MARKETER = actor_from("marketer@example.com", "marketer")
REVIEWER = actor_from("reviewer@example.com", "reviewer")


def chat(*steps, actor=MARKETER):
    """Run (kind, text) steps in one thread: ("say", text) or ("decide", "approve"|"cancel"). Returns results."""
    async def run():
        thread = f"test-{uuid.uuid4()}"
        out = []
        async with open_agent() as agent:
            for kind, text in steps:
                if kind == "say":
                    out.append(await agent.send(text, thread_id=thread, actor=actor))
                else:
                    out.append(await agent.decide(text, thread_id=thread, actor=actor))
            out.append(await agent.pending(thread))
        return out
    return asyncio.run(run())


def people(session):
    create_contact(session, first_name="Jane", last_name="Doe", email="jane@acme.com", city="Austin", region="TX",
                   tags=["roofer"])
    create_contact(session, first_name="Bob", last_name="Roe", phone="+15125550111", city="Austin", region="TX",
                   tags=["roofer"])
    create_contact(session, first_name="Ann", last_name="Poe", email="ann@poe.com", city="Dallas", region="Texas",
                   tags=["plumber"])
    session.commit()


def test_show_contacts_in_austin_without_email_returns_a_table(session):
    people(session)
    result, pending = chat(("say", "show contacts in Austin without email"))
    assert [c["name"] for c in result.tool_calls] == ["query_contacts"]
    table = result.displays[0]
    assert table["kind"] == "table"
    assert [row[table["columns"].index("name")] for row in table["rows"]] == ["Bob Roe"]
    assert "Found 1 contact (" in result.text
    assert pending is None


def test_how_many_roofers_in_texas_counts(session):
    people(session)
    result, _ = chat(("say", "how many roofers in Texas"))
    assert result.text == "2 contacts match."


def test_set_a_phone_by_name_changes_one_contact_and_records_history(session):
    people(session)
    result, pending = chat(("say", "set Jane Doe's phone to 512 555 0100"))
    assert pending is None
    assert "Updated contact Jane Doe" in result.text
    with unit_of_work() as uow:
        jane = uow.session.scalar(sa.select(Contact).where(Contact.email == "jane@acme.com"))
        assert jane.phone == "+15125550100"
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(ContactEvent).where(
            ContactEvent.contact_id == jane.id, ContactEvent.field == "phone"))


def test_opt_out_by_chat_suppresses_the_address(session):
    people(session)
    result, _ = chat(("say", "opt out +15125550111 from sms"))
    assert "Opted out" in result.text
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(Suppression.address)) == "+15125550111"
        assert uow.session.scalar(sa.select(Contact.opted_out_sms).where(Contact.first_name == "Bob")) is True


def test_bulk_tagging_waits_for_approve_and_cancel_changes_nothing(session):
    people(session)
    asked, cancelled, pending = chat(("say", "tag contacts in Austin as vip"), ("decide", "cancel"))
    assert asked.approval["tool"] == "bulk_update"
    assert asked.approval["summary"]["count"] == 2
    assert {r["name"] for r in asked.approval["summary"]["sample"]} == {"Jane Doe", "Bob Roe"}
    assert "Cancelled" in cancelled.text
    assert pending is None
    with unit_of_work() as uow:
        assert not any("vip" in (t or []) for t in uow.session.scalars(sa.select(Contact.tags)))


def test_bulk_tagging_runs_on_approve(session):
    people(session)
    asked, done, _ = chat(("say", "tag contacts in Austin as vip"), ("decide", "approve"))
    assert asked.approval is not None
    assert done.text == "Changed 2 contacts."
    with unit_of_work() as uow:
        tagged = uow.session.scalars(sa.select(Contact.first_name).order_by(Contact.first_name)).all()
        vip = [c.first_name for c in uow.session.scalars(sa.select(Contact)) if "vip" in c.tags]
    assert sorted(vip) == ["Bob", "Jane"] and len(tagged) == 3


def test_a_reviewer_is_refused_a_write_with_the_reason(session):
    people(session)
    result, pending = chat(("say", "tag contacts in Austin as vip"), actor=REVIEWER)
    assert result.approval is None and pending is None
    assert "Refused: your role (reviewer) does not allow bulk_update" in result.text
    assert "contacts:write" in result.text


def test_a_reviewer_may_read(session):
    people(session)
    result, _ = chat(("say", "how many contacts"), actor=REVIEWER)
    assert result.text == "3 contacts match."


def test_a_tool_error_comes_back_as_text_and_the_turn_goes_on(session):
    people(session)
    result, _ = chat(("say", "set Nobody Atall's phone to 512 555 0100"))
    assert result.text.startswith("Error:")
    assert "Nobody Atall" in result.text


def test_sample_data_loads_marked_and_removal_needs_approve(session):
    loaded, asked, done, pending = chat(("say", "load sample data"), ("say", "remove sample data"),
                                        ("decide", "approve"))
    assert "Loaded sample data: 16 contacts" in loaded.text
    assert asked.approval["summary"]["count"] == 16
    assert "Removed sample data: 16 contacts, 1 campaign, 1 ad campaign, 2 messages, 1 booking" in done.text
    assert pending is None
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_sample_removal_never_touches_real_contacts(session):
    people(session)
    chat(("say", "load sample data"), ("say", "remove sample data"), ("decide", "approve"))
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 3


def test_not_understood_says_so_offline_with_two_suggestions_not_the_whole_list(db):
    result, _ = chat(("say", "what's the weather like"))
    assert result.tool_calls == []
    assert "I didn't understand" in result.text and "offline" in result.text
    assert result.text.count("`") == 6  # two suggested commands and `help`, not every example


@pytest.mark.parametrize("text", ["show invoices", "list invoices", "how many invoices in Texas", "show orders",
                                  "show plumbers"])
def test_an_unknown_noun_is_not_understood_never_run_as_a_tag_filter(session, text):
    create_contact(session, first_name="Jane", email="jane@acme.com", city="Austin", tags=["roofer"])
    session.commit()
    result, _ = chat(("say", text))
    assert result.tool_calls == [] and result.displays == []
    noun = text.split()[-1] if "Texas" not in text else "invoices"
    assert result.text.startswith(f'I didn\'t understand "{noun}": it is not a field, tag or command I know')
    assert result.text.count("Did you mean") == 1


def test_a_plural_noun_that_is_a_tag_is_a_tag_filter(session):
    create_contact(session, first_name="Jane", email="jane@acme.com", city="Austin", tags=["plumber"])
    session.commit()
    result, _ = chat(("say", "show plumbers"))
    assert result.tool_calls == [{"name": "query_contacts", "args": {"filter": {"field": "tags", "op": "has",
                                                                                "value": "plumber"}}}]


def test_greetings_thanks_and_help_get_short_replies_without_tools(db):
    for text, expect in (("hi", "Hello!"), ("thanks!", "You're welcome."), ("help", "Things you can say")):
        result, _ = chat(("say", text))
        assert result.tool_calls == [] and result.text.startswith(expect), text


def test_the_pending_approval_is_kept_by_the_checkpointer_across_agents(session):
    """A fresh agent (as after a restart) on the same thread still has the approval and can run it."""
    people(session)
    thread = f"test-{uuid.uuid4()}"

    async def first():
        async with open_agent() as agent:
            return await agent.send("tag contacts in Austin as vip", thread_id=thread, actor=MARKETER)

    async def second():
        async with open_agent() as agent:
            pending = await agent.pending(thread)
            done = await agent.decide("approve", thread_id=thread, actor=MARKETER)
            return pending, done

    assert asyncio.run(first()).approval is not None
    pending, done = asyncio.run(second())
    assert pending["tool"] == "bulk_update"
    assert done.text == "Changed 2 contacts."


def test_a_resumed_approval_is_checked_against_the_role_of_whoever_resumes_it(session):
    people(session)
    thread = f"test-{uuid.uuid4()}"

    async def run():
        async with open_agent() as agent:
            await agent.send("tag contacts in Austin as vip", thread_id=thread, actor=MARKETER)
            return await agent.decide("approve", thread_id=thread, actor=REVIEWER)

    assert "Refused" in asyncio.run(run()).text
    with unit_of_work() as uow:
        assert not any("vip" in c.tags for c in uow.session.scalars(sa.select(Contact)))


def test_a_new_message_supersedes_a_pending_approval_and_nothing_of_it_happens(session):
    people(session)
    asked, other, late, pending = chat(("say", "tag contacts in Austin as vip"), ("say", "how many contacts"),
                                       ("decide", "approve"))
    assert asked.approval is not None
    assert other.text == "3 contacts match."
    assert "no longer pending" in late.text
    assert pending is None
    with unit_of_work() as uow:
        assert not any("vip" in c.tags for c in uow.session.scalars(sa.select(Contact)))


def test_users_and_api_keys_are_for_admins_only(session):
    from tests.factories import create_user

    create_user(session, email="m@example.com", role="marketer")
    session.commit()
    (admin_view,) = chat(("say", "list users"), actor=actor_from("admin@example.com", "admin"))[:1]
    assert admin_view.displays[0]["rows"][0][1] == "m@example.com"
    assert "the password never goes in chat" in admin_view.text
    (refused,) = chat(("say", "list api keys"))[:1]
    assert "Refused: your role (marketer) does not allow list_api_keys" in refused.text
