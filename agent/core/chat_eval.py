"""The conversation scorer: runs the corpus of what marketers type (tests/conversations/*.yaml) through the agent's
model and classifies each answer as right / clarified / not understood / WRONG, with a table per capability.

Each utterance goes to the model exactly as the agent's graph sends it (the system prompt, every registered tool,
the user's message) and the model's first answer is scored: its tool calls (names in order, and the key arguments
the corpus names), or its reply. Nothing runs: no tool is executed, so scoring changes nothing.

Corpus files map a capability to a list of cases `[say, expect, args]`: `expect` is a tool name (args: the key
arguments; a filter is compared as a set of conditions, text case- and accent-blind; `period: last week` stands for
the start/end dates of that period, and a filter leaf `{field: replied, during: last week}` for that field's dates
within it), or `clarify` (a question back is right; any call is WRONG), `reply` (greetings,
thanks, help: any answer without a call is right), or `not_understood` (saying so, or asking, is right; any call is
WRONG). A case whose tool is not registered in this build is "pending" and left out of the figures."""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from domain.folding import fold

CORPUS_DIR = Path(__file__).resolve().parents[2] / "tests" / "conversations"
OUTCOMES = ("right", "clarified", "not understood", "WRONG")
_NOT_UNDERSTOOD = re.compile(r"i didn'?t understand|i don'?t understand|not sure what you mean|i can'?t help with|"
                             r"i'?m not able to|not a field, tag or command", re.I)


@dataclass(frozen=True)
class Case:
    capability: str
    say: str
    expect: str  # a tool name, or clarify / reply / not_understood
    args: dict[str, Any] = field(default_factory=dict)
    more: tuple[tuple[str, dict[str, Any]], ...] = ()  # further expected calls, in order


@dataclass
class Scored:
    case: Case
    outcome: str  # one of OUTCOMES, or "pending"
    calls: list[dict[str, Any]]
    text: str
    why: str = ""


def load_corpus(folder: Path | str = CORPUS_DIR) -> list[Case]:
    """Every case of every *.yaml file in `folder`, in file order."""
    cases: list[Case] = []
    for path in sorted(Path(folder).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for capability, items in data.items():
            for item in items:
                say, expect, *rest = item
                args = rest[0] if rest else {}
                more = tuple((c["call"], c.get("args", {})) for c in (rest[1] if len(rest) > 1 else []))
                cases.append(Case(str(capability), str(say), str(expect), args or {}, more))
    return cases


# --- comparing arguments ---------------------------------------------------------------------------------

def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(fold(value).strip().strip("\"'").split())
    if isinstance(value, list | tuple):
        return sorted((_norm(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def _conditions(node: Any) -> list[Any]:
    """A filter as a sorted list of normalised leaves (nested all flattened; in with one value = eq; since = after,
    as the filter help says)."""
    if node in (None, {}, []):
        return []
    if isinstance(node, list):
        node = {"all": node}
    if "all" in node:
        return sorted((c for item in node["all"] for c in _conditions(item)), key=repr)
    if "any" in node:
        return [("any", sorted(repr(_conditions(i)) for i in node["any"]))]
    if "not" in node:
        return [("not", repr(_conditions(node["not"])))]
    op, value = node.get("op"), _norm(node.get("value"))
    if op == "in" and isinstance(value, list) and len(value) == 1:
        op, value = "eq", value[0]
    if op == "since":
        op = "after"
    return [(node.get("field"), op, repr(value))]


def _arg_matches(key: str, expected: Any, actual: Any) -> bool:
    if key == "filter":
        return _conditions(expected) == _conditions(actual)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and _arg_matches(k, v, actual[k]) for k, v in expected.items())
    return _norm(expected) == _norm(actual)


def _during(node: Any, today: date) -> Any:
    """A corpus filter with each leaf `{field: F, during: PERIOD}` written out as the tool's conditions: F on or after
    the period's first day, and before the day after its last unless the period runs to today."""
    from agent.offline.dates import resolve_period

    if isinstance(node, list):
        return [_during(n, today) for n in node]
    if not isinstance(node, dict):
        return node
    if "during" in node:
        start, end = resolve_period(node["during"], today)
        leaves = [{"field": node["field"], "op": "after", "value": start.isoformat()}]
        if end < today:
            leaves.append({"field": node["field"], "op": "before", "value": (end + timedelta(days=1)).isoformat()})
        return {"all": leaves}
    return {k: _during(v, today) for k, v in node.items()}


def _expected_args(args: dict[str, Any], today: date) -> dict[str, Any]:
    if "filter" in args:
        args = {**args, "filter": _during(args["filter"], today)}
    if "period" not in args:
        return args
    from agent.offline.dates import resolve_period

    start, end = resolve_period(args["period"], today)
    rest = {k: v for k, v in args.items() if k != "period"}
    return {**rest, "start": start.isoformat(), "end": end.isoformat()}


def classify(case: Case, calls: list[dict[str, Any]], text: str, today: date) -> tuple[str, str]:
    """(outcome, why) for one answer."""
    asked = not calls and "?" in text and not _NOT_UNDERSTOOD.search(text)
    if case.expect in ("clarify", "not_understood", "reply"):
        if calls:
            return "WRONG", f"called {calls[0]['name']} instead of answering"
        if case.expect == "reply":
            return ("right", "") if text.strip() and not _NOT_UNDERSTOOD.search(text) else ("not understood", "")
        if case.expect == "clarify":
            return ("right", "") if asked else ("not understood", "no question asked")
        return "right", ""
    if not calls:
        return ("clarified", "") if asked else ("not understood", "")
    expected = [(case.expect, case.args), *case.more]
    for i, (name, args) in enumerate(expected):
        if i >= len(calls):
            return "WRONG", f"missing call {name}"
        if calls[i]["name"] != name:
            return "WRONG", f"called {calls[i]['name']} instead of {name}"
        for key, value in _expected_args(args, today).items():
            if key not in calls[i]["args"] or not _arg_matches(key, value, calls[i]["args"][key]):
                return "WRONG", f"{name}.{key} = {calls[i]['args'].get(key)!r}, expected {value!r}"
    return "right", ""


# --- running -------------------------------------------------------------------------------------------

async def _answer(bound: Any, system: str, text: str) -> tuple[list[dict[str, Any]], str]:
    from langchain_core.messages import HumanMessage, SystemMessage

    msg = await bound.ainvoke([SystemMessage(content=system), HumanMessage(content=text)])
    calls = [{"name": c["name"], "args": c["args"]} for c in getattr(msg, "tool_calls", []) or []]
    return calls, str(msg.content or "")


async def score(cases: list[Case], model: Any, *, concurrency: int = 4) -> Report:
    """Run every case through `model` (a chat model with bind_tools) and classify the answers."""
    from agent.core.prompts import system_prompt
    from agent.offline.dates import today_in
    from agent.tools import catalogue
    from settings import get_settings

    specs = catalogue.all_specs()
    names = {s.name for s in specs}
    bound = model.bind_tools([s.schema() for s in specs])
    system = system_prompt()
    today = today_in(get_settings().account_timezone)
    gate = asyncio.Semaphore(concurrency)

    async def one(case: Case) -> Scored:
        wanted = [case.expect, *(n for n, _ in case.more)]
        if any(w not in names and w not in ("clarify", "reply", "not_understood") for w in wanted):
            return Scored(case, "pending", [], "", "tool not in this build")
        async with gate:
            try:
                calls, text = await _answer(bound, system, case.say)
            except Exception as exc:  # noqa: BLE001 - a failing model is a not-understood answer, said why
                return Scored(case, "not understood", [], "", f"model failed: {type(exc).__name__}: {exc}"[:200])
        outcome, why = classify(case, calls, text, today)
        return Scored(case, outcome, calls, text, why)

    return Report(list(await asyncio.gather(*(one(c) for c in cases))))


@dataclass
class Report:
    results: list[Scored]

    def counts(self, capability: str | None = None) -> Counter[str]:
        return Counter(r.outcome for r in self.results if capability in (None, r.case.capability))

    def rate(self, capability: str | None = None) -> float:
        c = self.counts(capability)
        scored = sum(c[o] for o in OUTCOMES)
        return (c["right"] + c["clarified"]) / scored if scored else 1.0

    @property
    def capabilities(self) -> list[str]:
        return list(dict.fromkeys(r.case.capability for r in self.results))

    def problems(self, outcome: str = "WRONG") -> list[Scored]:
        return [r for r in self.results if r.outcome == outcome]

    def passed(self, overall: float = 0.9, each: float = 0.8) -> bool:
        """The bar of issue 15: no WRONG, right or clarified >= 90% overall and >= 80% per capability."""
        return not self.problems() and self.rate() >= overall and all(self.rate(c) >= each for c in self.capabilities)

    def table(self) -> str:
        head = f"| capability | cases | {' | '.join(OUTCOMES)} | pending | right or clarified |"
        lines = [head, "|" + " --- |" * (len(OUTCOMES) + 4)]
        groups: dict[str, Counter[str]] = defaultdict(Counter)
        for r in self.results:
            groups[r.case.capability][r.outcome] += 1
        for cap in self.capabilities:
            lines.append(self._row(cap, groups[cap], self.rate(cap)))
        lines.append(self._row("**all**", self.counts(), self.rate()))
        return "\n".join(lines)

    @staticmethod
    def _row(name: str, c: Counter[str], rate: float) -> str:
        cells = " | ".join(str(c[o]) for o in OUTCOMES)
        return f"| {name} | {sum(c.values())} | {cells} | {c['pending']} | {rate:.0%} |"

    def details(self, outcomes: tuple[str, ...] = ("WRONG", "not understood")) -> str:
        out = []
        for r in self.results:
            if r.outcome in outcomes:
                got = ", ".join(f"{c['name']}({c['args']})" for c in r.calls) or r.text[:100].replace("\n", " ")
                out.append(f"- {r.outcome}: [{r.case.capability}] {r.case.say!r} -> {got} {r.why}".rstrip())
        return "\n".join(out)
