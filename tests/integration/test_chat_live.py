"""What the web chat shows beside the answer: each tool call as a step (its arguments, then its outcome), and a
launched campaign followed in a message that rewrites itself until the campaign settles (issue 22). Chainlit's
socket is a recording stand-in; the database, the tools and the status they read are real."""

from __future__ import annotations

import asyncio
from unittest.mock import AsyncMock, Mock

import pytest
from chainlit.context import ChainlitContext, context_var
from chainlit.session import WebsocketSession

from agent.core.context import actor_from
from agent.ui import live
from agent.ui.chat_ui import TurnView
from db.models import Campaign

MARKETER = actor_from("marketer@example.com", "marketer")


@pytest.fixture
def socket():
    session = Mock(spec=WebsocketSession, id="s1", thread_id="t1", emit=AsyncMock(), user=None)
    session.client_type, session.files, session.current_task = "webapp", {}, None
    return session


def emitted(socket, event: str) -> list[dict]:
    return [call.args[1] for call in socket.emit.call_args_list if call.args[0] == event]


def run(socket, work):
    async def go():
        context_var.set(ChainlitContext(socket))
        return await work()
    return asyncio.run(go())


def test_a_tool_call_shows_as_a_step_with_its_arguments_then_its_outcome(socket):
    async def turn():
        view = TurnView()
        await view.on_tool("call", {"name": "count_contacts", "args": {"filter": {"field": "city", "value": "Austin"}}})
        await view.on_tool("call", {"name": "launch_campaign", "args": {"ref": "7"}})
        await view.on_tool("result", {"name": "count_contacts", "status": "ok", "summary": "3 contacts match."})
        await view.finish("3 contacts match.", approval={"tool": "launch_campaign"})
    run(socket, turn)
    opened = [s for s in emitted(socket, "new_message") if s.get("type") == "tool"]
    assert [s["name"] for s in opened] == ["count_contacts", "launch_campaign"]
    assert '"Austin"' in opened[0]["input"]
    closed = {s["name"]: s for s in emitted(socket, "update_message") if s.get("type") == "tool"}
    assert closed["count_contacts"]["output"] == "ok: 3 contacts match." and closed["count_contacts"]["end"]
    assert "waiting for your Approve" in closed["launch_campaign"]["output"]  # not left spinning


def test_a_launched_campaign_is_followed_until_it_settles(session, socket):
    """The message rewrites itself while the campaign runs and says "final" once it settles. Waits on the events
    (a live rewrite seen, then the status changed), never on a time window: a window of 0.05 s failed on a loaded
    machine, where the first status read alone took longer."""
    going = Campaign(name="Going", channel="sms", body_text="hi", target_filter={}, status="running")
    session.add(going)
    session.commit()

    def live_texts() -> list[str]:
        return [m["output"] for m in emitted(socket, "update_message") if "live** (updates by itself)" in m["output"]]

    async def settle_once_seen_live():
        while not live_texts():
            await asyncio.sleep(0.01)
        going.status = "completed"
        await asyncio.to_thread(session.commit)

    async def both():
        follower = asyncio.create_task(live.follow({"kind": "campaign", "ref": going.id}, MARKETER, every=0.01,
                                                   for_seconds=120))
        await asyncio.wait_for(settle_once_seen_live(), 60)
        return await asyncio.wait_for(follower, 60)

    final = run(socket, both)
    assert final.startswith(f"**Campaign #{going.id}, final:** Campaign 'Going' is completed"), final
    assert live_texts() and all("'Going' is running" in t for t in live_texts())  # it rewrote itself while running


def test_following_stops_at_its_time_bound_and_says_how_to_ask_again(session, socket):
    going = Campaign(name="Going", channel="sms", body_text="hi", target_filter={}, status="running")
    session.add(going)
    session.commit()
    stopped = run(socket, lambda: live.follow({"kind": "campaign", "ref": going.id}, MARKETER, every=0.01,
                                              for_seconds=0))
    assert f"no longer updating; say `status of campaign {going.id}`" in stopped and "'Going' is running" in stopped


def test_a_settled_campaign_is_said_final_at_once(session, socket):
    done = Campaign(name="Done", channel="sms", body_text="hi", target_filter={}, status="completed")
    session.add(done)
    session.commit()
    final = run(socket, lambda: live.follow({"kind": "campaign", "ref": done.id}, MARKETER, every=0.01))
    assert final.startswith(f"**Campaign #{done.id}, final:** Campaign 'Done' is completed")


def test_the_enrichment_queue_is_followed_until_nothing_waits(session, socket):
    final = run(socket, lambda: live.follow({"kind": "enrichment"}, MARKETER, every=0.01))
    assert final == "**Enrichment, final:** Enrichment: nothing requested yet."


def test_the_agent_tells_each_tool_call_and_its_result_as_they_happen(session):
    from agent.core.runner import open_agent
    from tests.factories import create_contact

    create_contact(session, first_name="Jane", city="Austin")
    session.commit()
    events = []

    async def record(phase, event):
        events.append((phase, event["name"], event.get("status")))

    async def go():
        async with open_agent() as agent:
            return await agent.send("how many contacts in Austin", thread_id="live-1", actor=MARKETER, on_tool=record)
    result = asyncio.run(go())
    assert events == [("call", "count_contacts", None), ("result", "count_contacts", "ok")]
    assert "1 contact" in result.text
