"""Approval cards never block: a message typed while one waits either answers it or runs beside it, and says
which (agent/ui/cards.py, through the real graph with the offline model)."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa

from agent.core.context import actor_from
from agent.core.runner import open_agent
from agent.ui.cards import aside, card_answer, turn
from db.models import Campaign, MarketingActivity
from db.session import unit_of_work
from tests.factories import create_contact

MARKETER = actor_from("marketer@example.com", "marketer")


def world(session):
    create_contact(session, first_name="Jane", last_name="Doe", phone="+15125550100", region="TX", tags=["roofer"],
                   timezone="UTC")
    create_contact(session, first_name="Ann", phone="+15125550101", region="TX", tags=["roofer"], timezone="UTC")
    session.add(Campaign(name="Spring", channel="sms", body_text="Hi {first_name|there}", target_filter={}))
    session.commit()


def run(*texts):
    async def go():
        thread, out = f"test-{uuid.uuid4()}", []
        async with open_agent() as agent:
            for text in texts:
                notes: list[str] = []

                async def note(line, _notes=notes):
                    _notes.append(line)

                done = await turn(agent, text, thread_id=thread, actor=MARKETER, on_note=note)
                out.append((done, notes, await agent.pending(thread)))
        return out
    return asyncio.run(go())


def sent() -> int:
    with unit_of_work() as uow:
        return uow.session.scalar(sa.select(sa.func.count()).select_from(MarketingActivity))


def test_a_message_while_a_card_waits_runs_beside_it_and_yes_answers_it(session):
    world(session)
    (asked, _, _), (meanwhile, notes, still), (yes, yes_notes, after) = run(
        "launch campaign Spring", "how many roofers in Texas", "yes")
    assert asked.result.approval["tool"] == "launch_campaign"
    assert meanwhile.result.text == "2 contacts match." and meanwhile.graph_thread.endswith(":aside")
    assert notes == ["Still waiting for your Approve or Cancel: Launch campaign 'Spring' (sms). Meanwhile, your "
                     "message:"]
    assert still is not None  # the card is still pending after the other message
    assert yes_notes == ["Taking “yes” as Approve for: Launch campaign 'Spring' (sms)."]
    assert "Launched campaign" in yes.result.text and after is None and sent() == 2


def test_cancel_answers_the_card_and_nothing_is_sent(session):
    world(session)
    (_, _, _), (cancelled, notes, after) = run("launch campaign Spring", "cancel")
    assert notes[0].startswith("Taking “cancel” as Cancel") and "Cancelled" in cancelled.result.text
    assert after is None and sent() == 0


def test_a_card_asked_beside_a_waiting_one_is_answered_in_its_own_thread(session):
    world(session)
    session.add(Campaign(name="Autumn", channel="sms", body_text="Hello", target_filter={}))
    session.commit()
    (_, _, _), (second, notes, main), (yes, _, main_after) = run(
        "launch campaign Spring", "launch campaign Autumn", "ok")
    assert second.graph_thread.endswith(":aside") and second.result.approval["tool"] == "launch_campaign"
    assert main is not None and "Spring" in notes[0]
    assert "Launched campaign" in yes.result.text and main_after is not None  # Autumn went, Spring still waits


def test_card_answers_are_recognised():
    assert card_answer("Yes!") == "approve" and card_answer("go ahead") == "approve"
    assert card_answer("Cancel.") == "cancel" and card_answer("no") == "cancel"
    assert card_answer("yes launch Spring to Texas") is None and card_answer("how many roofers") is None
    assert aside("t1") == "t1:aside"
