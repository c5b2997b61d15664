"""The agent's tool registry: each tool declares its arguments, the Permission it needs, whether it needs an
Approve, and whether its output carries third-party text (contacts, CSV cells, web pages).

A tool runs in a worker thread inside its own `unit_of_work()` (commit at the edge) and returns a `ToolOutput`:
`text` goes back to the model as data, `display` (plain JSON) is what the chat renders (table, chart, buttons)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from domain.roles import Permission
from tools.users import Actor

Run = Callable[[Session, Actor, Any], "ToolOutput"]
Summarise = Callable[[Session, Actor, Any], dict[str, Any]]


@dataclass
class ToolOutput:
    """What one tool call produced: `text` for the model (data, never instructions), `display` for people."""

    text: str
    display: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    args: type[BaseModel]
    permission: Permission
    run: Run
    summarise: Summarise | None = None  # set: the call waits for Approve, showing this summary
    untrusted_output: bool = False  # output holds contact/CSV/web text: no write may follow it in the same turn
    read_only: bool = False  # changes nothing (a search, a count, a report): allowed after untrusted output
    needs_approval_when: Callable[[Any], bool] | None = None  # None: always when summarise is set

    def needs_approval(self, args: Any) -> bool:
        if self.summarise is None:
            return False
        return True if self.needs_approval_when is None else self.needs_approval_when(args)

    def schema(self) -> dict[str, Any]:
        """The OpenAI function schema the model sees."""
        params = self.args.model_json_schema()
        params.pop("title", None)
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": params}}


_REGISTRY: dict[str, ToolSpec] = {}


def register(spec: ToolSpec) -> ToolSpec:
    _REGISTRY[spec.name] = spec
    return spec


def registered() -> dict[str, ToolSpec]:
    """The tools registered so far, by name (agent/tools/catalogue.py imports every area: use its get/all_specs)."""
    return _REGISTRY
