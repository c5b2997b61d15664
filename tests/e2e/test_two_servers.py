"""Two `mkt serve` processes started from one checkout (or one install) keep their chat uploads apart. Chainlit's
default upload folder (`<app root>/.files`) is shared and deleted whole by each server when it stops: on a loaded
machine with two suites running in one checkout, the other server's next upload failed with a 500."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.e2e.server import open_chat, running_server
from tests.e2e.test_chat_agent import converse, said

pytestmark = pytest.mark.slow

CSV = b"email,first_name,city\r\njane@acme.com,Jane,Austin\r\n"


def test_a_server_stopping_does_not_break_another_servers_uploads(db, tmp_path):
    with running_server(tmp_path) as first:
        with running_server(tmp_path):
            pass  # the second server starts and stops: it cleans up only its own upload folder
        chat = open_chat(first)
        asyncio.run(converse(chat, str(uuid.uuid4()), [""], upload=("leads.csv", CSV),
                             until=lambda: said(chat, "Proposed mapping")))
        log = first.log()
    assert said(chat, "Proposed mapping"), chat.messages()
    assert "Traceback" not in log
