"""Running one tool call: validate the arguments, check the role, run it in its own unit of work (commit at
the edge), and turn any failure into a short text the model can read."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

import workers.actors  # noqa: F401  (declares every actor: the tools enqueue jobs by name)
from agent.tools.registry import ToolOutput, ToolSpec
from db.session import unit_of_work
from domain.roles import PermissionDenied, can
from tools.users import Actor

log = logging.getLogger(__name__)


def refusal(spec: ToolSpec, actor: Actor) -> str | None:
    """Why `actor` may not call `spec`, or None."""
    if can(actor.role, spec.permission):
        return None
    return (f"Refused: your role ({actor.role}) does not allow {spec.name}; it needs the "
            f"'{spec.permission.value}' permission. Ask an admin or a marketer.")


def parse_args(spec: ToolSpec, raw: dict[str, Any]) -> Any:
    return spec.args.model_validate(raw or {})


def _explain(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = [f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()[:5]]
        return "Error: invalid arguments: " + "; ".join(parts)
    if isinstance(exc, PermissionDenied):
        return f"Refused: {exc}"
    if isinstance(exc, LookupError | ValueError | PermissionError):
        return f"Error: {exc}"
    log.exception("tool failed")
    return f"Error: the tool failed ({type(exc).__name__}: {exc}). Nothing was changed."


def run_tool(spec: ToolSpec, actor: Actor, raw_args: dict[str, Any]) -> ToolOutput:
    """Run one call; never raises: errors come back as text (and nothing of a failed call is committed)."""
    why = refusal(spec, actor)
    if why:
        return ToolOutput(why, {"kind": "text", "markdown": why, "error": True})
    try:
        args = parse_args(spec, raw_args)
        with unit_of_work() as uow:
            return spec.run(uow.session, actor, args)
    except Exception as exc:  # noqa: BLE001 - the model reads the error and the turn goes on
        text = _explain(exc)
        return ToolOutput(text, {"kind": "text", "markdown": text, "error": True})


def summarise(spec: ToolSpec, actor: Actor, raw_args: dict[str, Any]) -> dict[str, Any]:
    """The approval summary (read-only: the unit of work is rolled back)."""
    args = parse_args(spec, raw_args)
    with unit_of_work() as uow:
        try:
            return spec.summarise(uow.session, actor, args)  # type: ignore[misc]
        finally:
            uow.session.rollback()
