"""`mkt eval chat`: score the conversation corpus (tests/conversations/*.yaml) on the offline model, or on any
OpenAI-compatible server with --base-url/--model, and print right / clarified / not understood / WRONG per
capability. Nothing is executed: each utterance gets the model's first answer only (agent/core/chat_eval.py).
Exit 0 when the bar of issue 15 is met (0 WRONG, >= 90% right or clarified, every capability >= 80%), else 1."""

from __future__ import annotations

import argparse
import asyncio
import os


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure how well the chat understands (the conversation corpus)")
    what = p.add_subparsers(dest="eval_what", metavar="WHAT", required=True)
    c = what.add_parser("chat", help="score the conversation corpus on the offline model or an OpenAI-compatible server")
    c.add_argument("--base-url", metavar="URL", help="an OpenAI-compatible server, e.g. http://localhost:11434/v1 "
                   "(default: the offline model; OPENAI_BASE_URL is not read, so the figure is always what you ask)")
    c.add_argument("--model", metavar="M", help="the model name on that server (default: MKT's OPENAI_MODEL)")
    c.add_argument("--api-key", metavar="KEY", help="default: the OPENAI_API_KEY environment variable")
    c.add_argument("--corpus", metavar="DIR", help="a folder of *.yaml cases (default: tests/conversations)")
    c.add_argument("--show", action="store_true", help="list every WRONG and not-understood answer")
    c.add_argument("--concurrency", type=int, default=4, help="requests at a time to the server (default 4)")
    c.set_defaults(handler=eval_chat)


def _model(args: argparse.Namespace):
    if not args.base_url:
        from agent.offline.model import OfflineChatModel

        return OfflineChatModel(), "offline model"
    from integrations.llm import chat_model
    from settings import get_settings

    name = args.model or get_settings().openai_model
    key = args.api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"
    return chat_model(api_key=key, model=name, base_url=args.base_url, streaming=False), f"{name} at {args.base_url}"


def eval_chat(args: argparse.Namespace) -> int:
    from agent.core.chat_eval import CORPUS_DIR, load_corpus, score
    from cli.commands_run import ensure_schema
    from settings import get_settings

    ensure_schema(get_settings())
    cases = load_corpus(args.corpus or CORPUS_DIR)
    if not cases:
        print(f"no cases in {args.corpus or CORPUS_DIR}")
        return 1
    model, label = _model(args)
    report = asyncio.run(score(cases, model, concurrency=max(1, args.concurrency)))
    print(f"{len(cases)} utterances on the {label}:\n")
    print(report.table())
    if args.show and report.details():
        print("\n" + report.details())
    pending = report.counts()["pending"]
    if pending:
        print(f"\n{pending} utterances name tools this build does not have (pending, left out of the figures).")
    verdict = "meets" if report.passed() else "does NOT meet"
    print(f"\nThe bar (0 WRONG, >= 90% right or clarified, every capability >= 80%): {verdict} it.")
    return 0 if report.passed() else 1
