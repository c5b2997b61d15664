"""`mkt eval chat`: score the conversation corpus (tests/conversations/*.yaml) on the offline model, or on any
OpenAI-compatible server with --base-url/--model, and print right / clarified / not understood / WRONG per
capability. Nothing is executed: each utterance gets the model's first answer only (agent/core/chat_eval.py).
Exit 0 when the bar of issue 15 is met (0 WRONG, >= 90% right or clarified, every capability >= 80%), else 1.

The corpus is written for the sample data (its names, tags and campaigns), so by default it is scored in a scratch
SQLite database with the sample data loaded, never against the account's own; --own-data scores the configured
database as it is (names the corpus expects may then be missing)."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


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
    c.add_argument("--own-data", action="store_true", help="score against the configured database as it is "
                   "(default: a scratch database with the sample data, which the corpus is written for)")
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


@contextmanager
def _sample_database() -> Iterator[None]:
    """A throw-away SQLite database with the sample data loaded, used as the app's database meanwhile."""
    from db import migrate
    from db.session import dispose_engine, unit_of_work
    from settings import reset_settings
    from tools.demo import load_sample_data
    from tools.users import Actor

    saved = os.environ.get("MKT_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="mkt-eval-") as tmp:
        url = os.environ["MKT_DATABASE_URL"] = f"sqlite:///{tmp}/eval.db"
        reset_settings()
        try:
            migrate.upgrade()
            with unit_of_work() as uow:
                load_sample_data(uow.session, Actor.system("eval"))
            yield
        finally:
            dispose_engine(url)
            if saved is None:
                os.environ.pop("MKT_DATABASE_URL", None)
            else:
                os.environ["MKT_DATABASE_URL"] = saved
            reset_settings()


def eval_chat(args: argparse.Namespace) -> int:
    if args.own_data:
        from cli.commands_run import ensure_schema
        from settings import get_settings

        ensure_schema(get_settings())
        return _eval(args, "your own data")
    with _sample_database():
        return _eval(args, "the sample data, in a scratch database")


def _eval(args: argparse.Namespace, data: str) -> int:
    from agent.core.chat_eval import CORPUS_DIR, load_corpus, score

    cases = load_corpus(args.corpus or CORPUS_DIR)
    if not cases:
        print(f"no cases in {args.corpus or CORPUS_DIR}")
        return 1
    model, label = _model(args)
    report = asyncio.run(score(cases, model, concurrency=max(1, args.concurrency)))
    print(f"{len(cases)} utterances on the {label}, against {data}:\n")
    print(report.table())
    if args.show and report.details():
        print("\n" + report.details())
    pending = report.counts()["pending"]
    if pending:
        print(f"\n{pending} utterances name tools this build does not have (pending, left out of the figures).")
    verdict = "meets" if report.passed() else "does NOT meet"
    print(f"\nThe bar (0 WRONG, >= 90% right or clarified, every capability >= 80%): {verdict} it.")
    return 0 if report.passed() else 1
