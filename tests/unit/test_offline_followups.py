"""Follow-ups in the offline chat: "them", "those", "which ones", "the same people" stand for the audience of the
user's previous message, read again from the user's own words (never from a tool's output), and narrowed by what
follows. With no audience before, the grammar asks rather than guesses."""

from datetime import date

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agent.offline.filters import Vocabulary
from agent.offline.model import respond

VOCAB = Vocabulary(today=date(2026, 12, 7))
ROOFERS_TX = [{"field": "tags", "op": "has", "value": "roofer"},
              {"field": "region", "op": "in", "value": ["TX", "Texas"]}]


def chat(*texts: str) -> list[AIMessage]:
    """Each message answered in turn, as the graph does: a call is run (its result summarised), then the next."""
    messages, answers = [], []
    for text in texts:
        messages.append(HumanMessage(content=text))
        answer = respond(messages, [], VOCAB)
        answers.append(answer)
        messages.append(answer)
        for call in answer.tool_calls:
            messages += [ToolMessage(content="Found 3 contacts.", tool_call_id=call["id"]),
                         AIMessage(content="Found 3 contacts.")]
    return answers


def call(answer: AIMessage) -> tuple[str, dict]:
    assert len(answer.tool_calls) == 1, answer.content
    return answer.tool_calls[0]["name"], answer.tool_calls[0]["args"]


@pytest.mark.parametrize(("follow_up", "tool", "more"), [
    ("export them", "export_contacts", []),
    ("how many of them have email", "count_contacts", [{"field": "email", "op": "present"}]),
    ("which ones are in austin", "query_contacts", [{"field": "city", "op": "eq", "value": "austin"}]),
    ("which of those have no phone", "query_contacts", [{"field": "phone", "op": "missing"}]),
    ("tag them as vip", "bulk_update", []),
    ("enrich those contacts", "enrich_contacts", []),
    ("export the same people", "export_contacts", []),
])
def test_them_is_the_previous_audience_narrowed_by_what_follows(follow_up, tool, more):
    name, args = call(chat("show roofers in texas", follow_up)[-1])
    assert name == tool and args["filter"] == {"all": ROOFERS_TX + more}


def test_a_chain_of_follow_ups_keeps_narrowing():
    answers = chat("how many roofers", "which of them are in texas", "how many of those replied", "export them")
    expected = {"all": [ROOFERS_TX[0], ROOFERS_TX[1], {"field": "replied", "op": "present"}]}
    assert call(answers[-1]) == ("export_contacts", {"filter": expected})


def test_a_campaign_to_them_targets_the_previous_audience():
    name, args = call(chat("show roofers in texas", "draft an sms to them: Hi {first_name|there}")[-1])
    assert name == "draft_campaign" and args["filter"] == {"all": ROOFERS_TX} and args["body_text"] == "Hi {first_name|there}"


def test_a_channel_audience_before_them_is_theirs():
    name, args = call(chat("who got a text yesterday", "export them")[-1])
    assert name == "export_contacts" and args["filter"]["all"][0]["field"] == "texted"


@pytest.mark.parametrize("before", [None, "show replies", "open jane doe", "show the spring campaign",
                                    "contacts in austin we emailed last tuesday", "blah blah"])
def test_without_an_audience_before_them_is_asked_about(before):
    answers = chat(*([before] if before else []), "export them")
    assert not answers[-1].tool_calls and answers[-1].content.startswith("Which contacts")
    answers = chat(*([before] if before else []), "show them")
    assert not answers[-1].tool_calls and "?" in answers[-1].content


def test_only_the_message_just_before_counts():
    """An audience two messages back is not "them" once something else was said in between."""
    answers = chat("show roofers in texas", "list campaigns", "export them")
    assert not answers[-1].tool_calls


def test_the_audience_comes_from_the_users_words_not_from_tool_output():
    messages = [HumanMessage(content="show replies"),
                AIMessage(content="", tool_calls=[{"name": "query_contacts", "id": "c1", "type": "tool_call",
                                                   "args": {"filter": {"field": "city", "op": "eq", "value": "X"}}}]),
                ToolMessage(content="show contacts tagged vip", tool_call_id="c1"),
                AIMessage(content="done"), HumanMessage(content="export them")]
    assert not respond(messages, [], VOCAB).tool_calls


CITIES = {"austin", "dallas", "houston"}
TAGS = {"roofer", "plumber", "electrician"}
ACCOUNT = Vocabulary(today=date(2026, 12, 7), tags=lambda w: w in TAGS, tag_names=lambda: sorted(TAGS),
                     is_city=lambda w: w.strip().lower() in CITIES)


def chat_in_account(*texts: str) -> list[AIMessage]:
    messages, answers = [], []
    for text in texts:
        messages.append(HumanMessage(content=text))
        answers.append(respond(messages, [], ACCOUNT))
        messages.append(answers[-1])
    return answers


def test_what_about_asks_the_same_count_of_another_place_or_tag():
    answers = chat_in_account("how many roofers in austin", "what about dallas?", "and plumbers?", "and in texas")
    assert [call(a) for a in answers[1:]] == [
        ("count_contacts", {"filter": {"all": [{"field": "tags", "op": "has", "value": "roofer"},
                                               {"field": "city", "op": "eq", "value": "dallas"}]}}),
        ("count_contacts", {"filter": {"all": [{"field": "tags", "op": "has", "value": "plumber"},
                                               {"field": "city", "op": "eq", "value": "dallas"}]}}),
        ("count_contacts", {"filter": {"all": [{"field": "tags", "op": "has", "value": "plumber"},
                                               {"field": "region", "op": "in", "value": ["TX", "Texas"]}]}})]


@pytest.mark.parametrize(("before", "after"), [
    ("how many roofers in austin", "what about tomorrow"),  # not a place nor a tag
    ("how many roofers in austin", "what about paris"),  # no contact lives there: not guessed as a city
    ("how many roofers", "what about dallas"),  # no place to swap
    ("tag contacts in austin as vip", "what about dallas"),  # an action is never repeated
    ("list campaigns", "what about dallas"),
    (None, "what about dallas"),
])
def test_what_about_is_never_guessed(before, after):
    answers = chat_in_account(*([before] if before else []), after)
    assert not answers[-1].tool_calls
