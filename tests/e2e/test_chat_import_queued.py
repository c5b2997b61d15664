"""A CSV import that no worker has taken yet does not hold the chat: on Redis without `mkt worker` (a deployment
whose worker is down), the Import button's turn ends once the job is queued, the status says so, and what is typed
next is answered, including where the import stands."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.e2e.server import open_chat, running_server
from tests.e2e.test_chat_agent import CSV, Click, converse, said, ui_busy

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def test_an_import_waiting_for_a_worker_leaves_the_chat_usable(db, tmp_path):
    def queued() -> bool:
        return said(chat, "Import queued: it starts as soon as a worker is free. The chat stays usable meanwhile.")

    def told() -> bool:
        return said(chat, "queued, waiting for a worker")

    with running_server(tmp_path) as server:  # Redis configured, no worker: the job waits in its queue
        chat = open_chat(server)
        starts = asyncio.run(converse(chat, str(uuid.uuid4()), [
            "", Click("Import with this mapping", until=queued), "how many contacts", "how did my import go"],
            upload=("leads.csv", CSV), until=told))
        log = server.log()
    assert queued() and not ui_busy(chat.events), chat.messages()
    answered = [d["output"] for n, d in chat.events[starts[2]:starts[3]] if n == "new_message"]
    assert any("0 contacts match" in t.replace("*", "") for t in answered), answered
    assert told(), chat.messages()
    assert not said(chat, "Imported **"), "no worker ran the job"
    assert "An error occurred" not in log and "Traceback" not in log
