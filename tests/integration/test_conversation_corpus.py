"""The corpus of what marketers type (tests/conversations/*.yaml), scored on the offline model with the sample data
loaded: 0 WRONG, right or clarified >= 90% overall and >= 80% for every capability (issue 15). Every example of the
README and of `help` is in the corpus and scores right."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from agent.core.chat_eval import CORPUS_DIR, Case, classify, load_corpus, score
from agent.offline.help import EXAMPLES as HELP_EXAMPLES
from agent.offline.model import OfflineChatModel
from tools.demo import load_sample_data
from tools.users import Actor

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def sample(session):
    load_sample_data(session, Actor("admin@example.com", "admin"))
    session.commit()


@pytest.fixture
def report(sample):
    return asyncio.run(score(load_corpus(), OfflineChatModel()))


def test_the_corpus_is_large_and_covers_every_capability():
    cases = load_corpus()
    assert len(cases) >= 250
    caps = {c.capability for c in cases}
    for needed in ("contacts find", "contacts count", "contact card", "imports", "updates", "tags", "opt-outs",
                   "enrichment", "campaigns list", "campaign open", "campaign draft", "campaign preview",
                   "campaign launch", "campaign pause/resume", "campaign status", "campaign results", "inbox",
                   "bookings", "ads", "analytics", "timeline", "exports", "help", "greetings", "thanks"):
        assert needed in caps


def test_offline_model_meets_the_bar(report):
    print(report.table())
    assert not report.problems("WRONG"), report.details(("WRONG",))
    assert report.rate() >= 0.9, report.details()
    for cap in report.capabilities:
        assert report.rate(cap) >= 0.8, (cap, report.details())
    assert report.passed()


def readme_examples() -> list[str]:
    """The quoted phrases of the README's "What you can do" table ("say in the chat" column)."""
    text = README.read_text(encoding="utf-8").split("## What you can do", 1)[1].split("\n## ", 1)[0]
    row = re.compile(r"^\| [^|]+ \| (.+?) \| `", re.M)
    out = []
    for cell in row.findall(text):
        out += [q.replace("\\|", "|") for q in re.findall(r'"([^"]+)"', cell)]
    return out


def test_every_readme_and_help_example_is_in_the_corpus_and_scores_right(report):
    by_text = {r.case.say: r for r in report.results}
    examples = readme_examples() + HELP_EXAMPLES
    assert len(readme_examples()) >= 10
    for text in examples:
        assert text in by_text, f"{text!r} is not in the corpus"
        assert by_text[text].outcome in ("right", "pending"), (text, by_text[text].outcome, by_text[text].why)


def test_the_scorer_tells_wrong_from_right_and_clarified():
    from datetime import date

    case = Case("x", "show contacts in austin", "query_contacts", {"filter": {"field": "city", "op": "eq",
                                                                               "value": "Austin"}})
    today = date(2026, 12, 7)
    right = [{"name": "query_contacts", "args": {"filter": {"all": [{"field": "city", "op": "in", "value": ["austin"]}]}}}]
    assert classify(case, right, "", today)[0] == "right"
    wrong_tool = [{"name": "count_contacts", "args": {"filter": {"field": "city", "op": "eq", "value": "Austin"}}}]
    assert classify(case, wrong_tool, "", today)[0] == "WRONG"
    wrong_arg = [{"name": "query_contacts", "args": {"filter": {"field": "tags", "op": "has", "value": "austin"}}}]
    assert classify(case, wrong_arg, "", today)[0] == "WRONG"
    assert classify(case, [], "Which city do you mean?", today)[0] == "clarified"
    assert classify(case, [], "I didn't understand \"x\".", today)[0] == "not understood"
    unknown = Case("x", "show invoices", "not_understood")
    assert classify(unknown, wrong_arg, "", today)[0] == "WRONG"
    period = Case("x", "analytics last week", "show_analytics", {"period": "last week"})
    week = [{"name": "show_analytics", "args": {"start": "2026-11-30", "end": "2026-12-06"}}]
    assert classify(period, week, "", today)[0] == "right"
    assert classify(period, [{"name": "show_analytics", "args": {"start": "2026-11-29", "end": "2026-12-06"}}], "",
                    today)[0] == "WRONG"


def test_the_grammar_alone_scores_every_case_right_even_for_tools_not_landed_yet():
    """The offline grammar on every case, record views included (their tools may land later): never WRONG."""
    from datetime import date

    from agent.offline.filters import Vocabulary
    from agent.offline.parser import understand

    tags = {"roofer", "plumber", "hvac", "electrician", "landscaper", "sample"}
    vocab = Vocabulary(tags=tags.__contains__, today=date.today())
    outcomes = {}
    for case in load_corpus():
        got = understand(case.say, vocab, help_text="Things you can say")
        calls = [{"name": c.name, "args": c.args} for c in got.calls]
        outcomes[case.say] = classify(case, calls, got.reply, vocab.today)
    wrong = {k: v for k, v in outcomes.items() if v[0] == "WRONG"}
    assert not wrong
    good = sum(1 for o, _ in outcomes.values() if o in ("right", "clarified"))
    assert good / len(outcomes) >= 0.95, {k: v for k, v in outcomes.items() if v[0] != "right"}


def test_corpus_files_are_where_the_cli_reads_them():
    assert CORPUS_DIR.is_dir() and list(CORPUS_DIR.glob("*.yaml"))


def scripted_from_corpus(cases: list[Case], wrong: dict[str, dict]):
    """A model server that answers each utterance as the corpus expects, except the `wrong` ones."""
    from agent.core.chat_eval import _expected_args
    from agent.offline.dates import today_in
    from settings import get_settings
    from tests.fakes.openai import Reply

    by_text = {c.say: c for c in cases}
    today = today_in(get_settings().account_timezone)

    def responder(body):
        last = body["messages"][-1]
        assert body["messages"][0]["role"] == "system" and "Today is" in body["messages"][0]["content"]
        text = last["content"]
        if text in wrong:
            return Reply(tool_calls=[wrong[text]])
        case = by_text[text]
        if case.expect == "clarify":
            return Reply(content="Which one do you mean?")
        if case.expect == "reply":
            return Reply(content="Hello! Here is what I can do.")
        if case.expect == "not_understood":
            return Reply(content="I didn't understand that.")
        calls = [{"name": n, "args": _expected_args(a, today)} for n, a in ((case.expect, case.args), *case.more)]
        return Reply(tool_calls=calls)

    return responder


def test_the_same_scorer_runs_against_an_openai_compatible_server_over_http(sample, capsys):
    """`mkt eval chat --base-url`: the real ChatOpenAI client over HTTP to the scripted fake; a wrong answer is
    counted WRONG and fails the bar (exit 1)."""
    from cli.main import main
    from tests.fakes.openai import FakeOpenAI
    from tests.fakes.server import serve_app

    cases = load_corpus()
    wrong = {"show invoices": {"name": "query_contacts", "args": {"filter": {"field": "tags", "op": "has",
                                                                              "value": "invoice"}}}}
    fake = FakeOpenAI(scripted_from_corpus(cases, wrong))
    with serve_app(fake.app()) as base:
        code = main(["eval", "chat", "--base-url", base + "/v1", "--model", "fake-model", "--api-key", "sk-test",
                     "--show"])
    out = capsys.readouterr().out
    assert code == 1
    assert "| **all** |" in out and "WRONG: [unknown] 'show invoices' -> query_contacts" in out
    assert out.count("- WRONG:") == 1 and "- not understood:" not in out
    assert len(fake.requests) >= 200  # every utterance whose tools this build has went over HTTP
    tools = {t["function"]["name"] for t in fake.requests[0]["tools"]}
    assert {"query_contacts", "count_contacts", "show_analytics"} <= tools


def test_mkt_eval_chat_on_the_offline_model_meets_the_bar_even_on_an_empty_account(session, capsys):
    """The corpus names the sample data's people, tags and campaigns: `mkt eval chat` scores it in a scratch
    database with the sample data (a fresh install scored 90% with 38 "not understood" against its own empty
    database), and leaves the account's database untouched."""
    from cli.main import main
    from db.models import Contact

    assert main(["eval", "chat"]) == 0
    out = capsys.readouterr().out
    assert "on the offline model, against the sample data" in out and "meets it" in out and "| **all** |" in out
    assert session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_mkt_eval_chat_own_data_scores_the_configured_database(sample, capsys):
    from cli.main import main

    assert main(["eval", "chat", "--own-data"]) == 0
    assert "against your own data" in capsys.readouterr().out


# The held-out sets (tests/conversations/heldout*/): written without looking at the grammar, scored, then the
# grammar was widened by classes of phrasing (see bench/RESULTS.md ## conversation, held out). They now guard those
# classes. "who booked a meeting" is read as the bookings list (who booked, when, from which campaign), which the set
# expected as a contact list: both answer the question, so it is the one disagreement allowed.
DISPUTED = {"who booked a meeting"}


@pytest.mark.parametrize("folder", ["heldout", "heldout2", "heldout3"])
def test_held_out_phrasings_are_understood_and_never_misread(sample, folder):
    cases = load_corpus(CORPUS_DIR / folder)
    assert len(cases) >= 70
    held = asyncio.run(score(cases, OfflineChatModel()))
    wrong = {r.case.say for r in held.problems("WRONG")}
    assert wrong <= DISPUTED, held.details(("WRONG",))
    assert held.rate() >= 0.95, held.details()


def test_the_scorer_reads_a_period_inside_a_filter():
    from datetime import date

    today = date(2026, 12, 9)  # a Wednesday
    case = Case("x", "who replied last week", "query_contacts",
                {"filter": {"field": "replied", "during": "last week"}})
    week = [{"name": "query_contacts", "args": {"filter": {"all": [
        {"field": "replied", "op": "after", "value": "2026-11-30"},
        {"field": "replied", "op": "before", "value": "2026-12-07"}]}}}]
    assert classify(case, week, "", today)[0] == "right"
    this_week = Case("x", "who replied this week", "query_contacts",
                     {"filter": {"field": "replied", "during": "this week"}})
    since_monday = [{"name": "query_contacts", "args": {"filter": {"field": "replied", "op": "since",
                                                                   "value": "2026-12-07"}}}]
    assert classify(this_week, since_monday, "", today)[0] == "right"
    assert classify(case, since_monday, "", today)[0] == "WRONG"
