"""`mkt chat`: the same agent in the terminal. Tables as text, approvals as y/n.
`mkt chat --once "..."` answers one message and exits: 0 when it went well, 1 when a tool failed, was refused
or cancelled, or the message was not understood. `--json` prints the turn as one JSON object instead: the tool calls
(name, arguments), their results (status, summary, counts), the answer, and any approval left pending."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid

from tools.users import Actor


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="talk to the agent in the terminal (or answer one message with --once)")
    p.add_argument("--once", metavar="MESSAGE", help="answer this one message and exit")
    p.add_argument("--user", metavar="EMAIL", help="act as this user (their role applies); default: admin")
    p.add_argument("--thread", metavar="ID", help="continue a conversation (a pending approval is asked again)")
    p.add_argument("--yes", action="store_true", help="approve what the message asks without prompting")
    p.add_argument("--json", action="store_true", help="with --once: print the turn as JSON (tool calls, results, "
                   "answer); an approval is not asked but left pending in the thread unless --yes")
    p.set_defaults(handler=chat)


def _actor(email: str | None) -> Actor:
    if not email:
        return Actor(email="cli", role="admin")  # type: ignore[arg-type]
    import sqlalchemy as sa

    from agent.core.context import actor_from
    from db.models import User
    from db.session import unit_of_work

    with unit_of_work() as uow:
        user = uow.session.scalar(sa.select(User).where(User.email == email.strip().lower(), User.is_active.is_(True)))
        if user is None:
            raise ValueError(f"no active user {email}: add one with `mkt users add`")
        return actor_from(user.email, user.role, user.id)


def _ask(question: str, auto_yes: bool) -> str:
    if auto_yes:
        print(f"{question} y (--yes)")
        return "approve"
    print(question, end=" ", flush=True)
    line = sys.stdin.readline()
    return "approve" if line.strip().lower() in ("y", "yes") else "cancel"


def _show(result) -> bool:
    """Print a turn; True when something failed, was refused or cancelled."""
    from agent.core.render import already_said, display_markdown
    from agent.offline.model import NOT_UNDERSTOOD_PREFIX

    failed = False
    shown = []
    for display in result.displays:
        shown.append(display_markdown(display))
        print(shown[-1])
        if display.get("file"):
            print(f"file: {display['file']['path']}")
        print()
        failed = failed or bool(display.get("error"))
    if result.text and not already_said(result.text, "\n".join(shown)):
        print(result.text)
        failed = failed or result.text.startswith((NOT_UNDERSTOOD_PREFIX, "Error:"))
    return failed


def local_file(text: str, quiet: bool = False) -> str:
    """`import ./leads.csv` names a file on this machine: copy it into var/uploads (the only place the import
    tool reads) and name the copy instead."""
    import re
    from pathlib import Path

    from agent.ui.uploads import keep

    m = re.match(r"^(import (?:the )?(?:file |csv )?)(\S+)(.*)$", text, re.I)
    if not m or not Path(m.group(2)).expanduser().is_file():
        return text
    stored = keep(Path(m.group(2)).expanduser(), Path(m.group(2)).name)
    if not quiet:
        print(f"(copied {m.group(2)} to the uploads folder as {stored.name})")
    return f"{m.group(1)}{stored.name}{m.group(3)}"


async def _turn(agent, text: str | None, thread: str, actor: Actor, auto_yes: bool) -> bool:
    from agent.core.render import approval_markdown

    text = local_file(text) if text else text
    result = await agent.send(text, thread_id=thread, actor=actor) if text is not None else None
    failed = _show(result) if result else False
    approval = result.approval if result else await agent.pending(thread)
    while approval:
        print(approval_markdown(approval))
        decision = await asyncio.to_thread(_ask, "Approve? [y/N]", auto_yes)
        result = await agent.decide(decision, thread_id=thread, actor=actor)
        failed = _show(result) or failed
        approval = result.approval
    return failed


async def _json_turn(agent, text: str, thread: str, actor: Actor, auto_yes: bool) -> int:
    """One message, printed as one JSON object; exit 1 when something failed or was not understood."""
    from agent.offline.model import NOT_UNDERSTOOD_PREFIX

    result = await agent.send(local_file(text, quiet=True), thread_id=thread, actor=actor)
    calls, results = list(result.tool_calls), list(result.tool_results)
    while result.approval and auto_yes:
        result = await agent.decide("approve", thread_id=thread, actor=actor)
        calls += result.tool_calls
        results += result.tool_results
    failed = any(r["status"] != "ok" for r in results) or result.text.startswith((NOT_UNDERSTOOD_PREFIX, "Error:"))
    out = {"message": text, "thread": thread, "tool_calls": calls, "results": results, "answer": result.text,
           "approval": result.approval, "ok": not failed}
    print(json.dumps(out, default=str, ensure_ascii=False))
    return 1 if failed else 0


async def _loop(args: argparse.Namespace, actor: Actor) -> int:
    from agent.core.runner import open_agent
    from agent.offline.help import help_text
    from settings import get_settings

    thread = args.thread or f"cli-{uuid.uuid4()}"
    async with open_agent() as agent:
        if args.thread:
            await _turn(agent, None, thread, actor, args.yes)
        if args.once is not None and args.once.strip().lower() in ("help", "?", "/help"):
            text = help_text(get_settings())
            print(json.dumps({"message": args.once, "thread": thread, "tool_calls": [], "results": [],
                              "answer": text, "approval": None, "ok": True}) if args.json else text)
            return 0
        if args.once is not None and args.json:
            return await _json_turn(agent, args.once, thread, actor, args.yes)
        if args.once is not None:
            return 1 if await _turn(agent, args.once, thread, actor, args.yes) else 0
        print(f"mkt chat (thread {thread}); 'help' for examples, Ctrl-D to leave.")
        while True:
            text = await asyncio.to_thread(input, "> ") if sys.stdin.isatty() else sys.stdin.readline()
            if not text:
                return 0
            if text.strip().lower() in ("help", "?"):
                print(help_text(get_settings()))
            elif text.strip():
                await _turn(agent, text.strip(), thread, actor, args.yes)


def chat(args: argparse.Namespace) -> int:
    from cli.commands_run import ensure_schema
    from settings import get_settings

    ensure_schema(get_settings())
    actor = _actor(args.user)
    try:
        return asyncio.run(_loop(args, actor))
    except EOFError:
        return 0
