"""The real ChatOpenAI client against the local OpenAI-compatible fake, with and without streaming."""

from langchain_core.tools import tool

from integrations.llm import chat_model
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.server import serve_app


@tool
def count_contacts(city: str) -> int:
    """Count contacts in a city."""
    return 3


def _responder(body):
    if body["messages"][-1]["role"] == "tool":
        return Reply(content="There are 3 contacts in Austin.")
    return Reply(tool_calls=[{"name": "count_contacts", "args": {"city": "Austin"}}])


def test_tool_call_then_answer_over_real_http():
    fake = FakeOpenAI(_responder)
    with serve_app(fake.app()) as base:
        for streaming in (False, True):
            model = chat_model(api_key="sk-test", model="gpt-test", base_url=f"{base}/v1", streaming=streaming)
            msg = model.bind_tools([count_contacts]).invoke("how many in Austin")
            assert msg.tool_calls[0]["name"] == "count_contacts"
            assert msg.tool_calls[0]["args"] == {"city": "Austin"}
    assert fake.requests[0]["tools"][0]["function"]["name"] == "count_contacts"
    assert fake.requests[1]["stream"] is True
