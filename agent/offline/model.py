"""The offline model: a LangChain chat model that turns the user's last message into tool calls with the
deterministic grammar of `agent.offline.parser`, and after the tools have run, answers with their summary lines.
It never reads tool results as requests: only the user's own messages are parsed (the last one, and for "them" /
"those" the one before it, read again from its words)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, ClassVar

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool

from agent.offline.followups import what_about, what_about_form
from agent.offline.help import help_text
from agent.offline.parser import Call, Understanding, Vocabulary, understand
from agent.offline.talk import NOT_UNDERSTOOD_PREFIX

__all__ = ["NOT_UNDERSTOOD_PREFIX", "OFFLINE_NOTE", "OfflineChatModel", "respond"]
OFFLINE_NOTE = "(offline parser: no language model is configured)"


def _vocabulary() -> Vocabulary:
    """Today in the account time zone; tags, contact and campaign names looked up in the database when a phrase
    needs them (once per message)."""
    from agent.offline.dates import today_in
    from settings import get_settings

    cache: dict[tuple[str, str], Any] = {}

    def once(kind: str, key: str, look: Any) -> Any:
        if (kind, key) not in cache:
            cache[(kind, key)] = look()
        return cache[(kind, key)]

    return Vocabulary(tags=lambda word: once("tag", word, lambda: _tag_exists(word)),
                      tag_names=lambda: once("tags", "", _tag_names),
                      names=lambda text: once("names", text, lambda: _names(text)),
                      is_city=lambda word: once("city", word, lambda: _city_exists(word)),
                      today=today_in(get_settings().account_timezone))


def _tag_exists(word: str) -> bool:
    import sqlalchemy as sa

    from db.filters import compile_filter
    from db.models import Contact
    from db.session import unit_of_work
    from domain.filters import parse as parse_filter

    condition = compile_filter(parse_filter({"field": "tags", "op": "has", "value": word}))
    with unit_of_work() as uow:
        return uow.session.scalar(sa.select(Contact.id).where(condition).limit(1)) is not None


def _city_exists(word: str) -> bool:
    import sqlalchemy as sa

    from db.filters import compile_filter
    from db.models import Contact
    from db.session import unit_of_work
    from domain.filters import parse as parse_filter

    condition = compile_filter(parse_filter({"field": "city", "op": "eq", "value": word.strip()}))
    with unit_of_work() as uow:
        return uow.session.scalar(sa.select(Contact.id).where(condition).limit(1)) is not None


def _tag_names() -> list[str]:
    """Every tag in use (at most the 2,000 most recent contacts are read: enough to correct a typo)."""
    import sqlalchemy as sa

    from db.models import Contact
    from db.session import unit_of_work

    with unit_of_work() as uow:
        rows = uow.session.scalars(sa.select(Contact.tags).order_by(Contact.id.desc()).limit(2000))
        return sorted({str(t).lower() for tags in rows for t in (tags or [])})


def _names(text: str) -> frozenset[str]:
    """What `text` names in the account: "contact" (exactly one person or several of that name), "campaign"."""
    from db.session import unit_of_work
    from tools.campaigns.lookup import CampaignNotFound, find_campaign
    from tools.contacts.lookup import resolve_contact

    kinds: set[str] = set()
    with unit_of_work() as uow:
        match = resolve_contact(uow.session, text)
        if match.contact is not None or (match.candidates and not match.error):
            kinds.add("contact")
        try:
            find_campaign(uow.session, text)
            kinds.add("campaign")
        except CampaignNotFound as exc:
            if "campaigns match" in str(exc):  # several: it still names campaigns
                kinds.add("campaign")
    return frozenset(kinds)


def _help() -> str:
    from settings import get_settings

    return help_text(get_settings())


def _summary_lines(messages: list[BaseMessage]) -> list[str]:
    lines: list[str] = []
    for m in reversed(messages):
        if isinstance(m, HumanMessage):
            break
        if isinstance(m, ToolMessage):
            lines.append(str(m.content).split("\nDATA", 1)[0].strip())
    return list(reversed(lines))


_REFERS_BACK = re.compile(r"\b(?:them|they|those|these|ones|same|results|that list|this list|that audience|it|this|that)\b",
                          re.I)


def _previous_call(said: list[str], vocab: Vocabulary, depth: int = 4) -> Call | None:
    """The first call of the user's message before the last one, read again from the user's own words (itself
    maybe a follow-up: "how many roofers in austin" -> "what about dallas" -> "and houston?")."""
    if len(said) < 2 or depth == 0:
        return None
    earlier = _previous_audience(said[:-1], vocab) if _REFERS_BACK.search(said[-2]) else None
    got = understand(said[-2], replace(vocab, last_filter=earlier))
    if what_about_form(said[-2]):
        again = what_about(said[-2], _previous_call(said[:-1], vocab, depth - 1), vocab)
        if again:
            return again[0]
    return got.calls[0] if got.calls else None


def _previous_audience(said: list[str], vocab: Vocabulary, depth: int = 3) -> dict[str, Any] | None:
    """The audience (filter) of the user's message before the last one, read again from the user's own words (never
    from a tool's output or a model's earlier call, so data cannot steer it); it may itself refer back ("show
    roofers" -> "those in texas" -> "export them"). None when that message named no audience."""
    if len(said) < 2 or depth == 0:
        return None
    before = said[-2]
    earlier = _previous_audience(said[:-1], vocab, depth - 1) if _REFERS_BACK.search(before) else None
    got = understand(before, replace(vocab, last_filter=earlier))
    return next((c.args["filter"] for c in got.calls if isinstance(c.args.get("filter"), dict)), None)


def _asked_again(text: str, messages: list[BaseMessage], vocab: Vocabulary) -> list[Call] | None:
    """"what about dallas?" after "how many roofers in austin": the same count for Dallas (agent.offline.followups)."""
    if not what_about_form(text):
        return None
    said = [str(m.content) for m in messages if isinstance(m, HumanMessage)]
    return what_about(text, _previous_call(said, vocab), vocab)  # None: said as not understood


def respond(messages: list[BaseMessage], tool_names: list[str], vocab: Vocabulary | None = None) -> AIMessage:
    """The offline model's next message for this conversation. "them", "those", "the same people" stand for the
    audience of the user's previous message, when it had one."""
    last = messages[-1] if messages else None
    if isinstance(last, ToolMessage):
        return AIMessage(content="\n".join(_summary_lines(messages)) or "Done.")
    text = str(last.content) if isinstance(last, HumanMessage) else ""
    vocab = vocab or _vocabulary()
    if _REFERS_BACK.search(text):
        said = [str(m.content) for m in messages if isinstance(m, HumanMessage)]
        vocab = replace(vocab, last_filter=_previous_audience(said, vocab))
    again = _asked_again(text, messages, vocab)  # "and plumbers?" after a count is that count for plumbers
    got = Understanding(calls=again) if again else understand(text, vocab, help_text=_help())
    if not got.calls:
        note = f" {OFFLINE_NOTE}" if got.kind == "unknown" else ""
        return AIMessage(content=got.reply + note)
    calls = [c for c in got.calls if not tool_names or c.name in tool_names]
    if not calls:
        return AIMessage(content=f"I understood that as `{got.calls[0].name}`, but that capability is not available "
                                 f"in this build yet. {OFFLINE_NOTE}")
    return AIMessage(content="", tool_calls=[{"name": c.name, "args": c.args, "id": f"call_{uuid.uuid4().hex[:16]}",
                                              "type": "tool_call"} for c in calls])


class OfflineChatModel(BaseChatModel):
    """Deterministic stand-in for a chat model; supports bind_tools and token streaming."""

    tool_names: list[str] = []
    # its calls come from the user's own messages alone: the last, and for "them" the one before it, parsed again
    # from its text (tool output is only summarised back, never parsed into
    # calls), so text planted in data cannot steer it: the graph skips the lasting-taint card for its calls
    reads_only_user_words: ClassVar[bool] = True

    @property
    def _llm_type(self) -> str:
        return "mkt-offline"

    def bind_tools(self, tools: Any, *, tool_choice: Any = None, **kwargs: Any) -> OfflineChatModel:
        names = [convert_to_openai_tool(t)["function"]["name"] for t in tools]
        return self.model_copy(update={"tool_names": names})

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=respond(messages, self.tool_names))])

    def _stream(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        msg = respond(messages, self.tool_names)
        if msg.tool_calls:
            chunks = [{"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i}
                      for i, c in enumerate(msg.tool_calls)]
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=chunks))
            return
        words = str(msg.content).split(" ")
        for i, word in enumerate(words):
            token = word if i == len(words) - 1 else word + " "
            if run_manager:
                run_manager.on_llm_new_token(token)
            yield ChatGenerationChunk(message=AIMessageChunk(content=token))
