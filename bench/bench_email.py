"""HTML email rendering against the email campaign it is part of (issue 20). Goal: rendering 50,000 personalised
HTML emails costs less than 30% of the campaign's end-to-end time.

1. end to end: an email campaign of N recipients (50,000; --quick 5,000) written in Markdown (the 'offer' starter
   template, the brand's logo and accent colour) launched on PostgreSQL + Redis with two real dramatiq worker
   processes sending to the local Postmark fake over HTTP (bench/bench_campaigns.py's set-up), until every result
   is recorded.
2. rendering alone, in this process, one thread: tools.campaigns.messages.render_message for the same N contacts
   (subject, HTML and text twin, unsubscribe link signed per recipient), the campaign's compiled email cached as the
   workers do; and, as the baseline in the same run, the plain-text part alone (subject + text twin with footer).

Prints the ratio rendering / end to end. Run: `python -m bench email [--quick]` with MKT_BENCH_DATABASE_URL and
MKT_BENCH_REDIS_URL as for bench campaigns (a database mkt_bench_email is recreated)."""

from __future__ import annotations

import os
import time

import sqlalchemy as sa

from bench import bench_campaigns as bc

DB_NAME = "mkt_bench_email"


def _draft_and_launch() -> tuple[int, float]:
    import workers.actors  # noqa: F401  (declares every actor: launch enqueues campaigns.send_batch by name)
    from db.session import unit_of_work
    from domain.email_templates import STARTERS
    from domain.roles import Role
    from tools.campaigns.drafting import draft_campaign
    from tools.campaigns.lifecycle import launch_campaign
    from tools.users import Actor

    offer = STARTERS["offer"]
    actor = Actor("bench@example.com", Role.MARKETER)
    start = time.perf_counter()
    with unit_of_work() as uow:
        view = draft_campaign(uow.session, actor, name="Bench html", channel="email", filter=None,
                              subject=offer.subject, body_text=offer.body, send_rules={"cap_24h": 0, "cap_7d": 0})
        launch_campaign(uow.session, actor, view.id)
    return view.id, time.perf_counter() - start


def end_to_end(env: dict[str, str], n: int) -> tuple[int, float, int, int]:
    from tests.fakes.postmark import FakePostmark
    from tests.fakes.server import serve_app

    bc._fresh(n)
    fake = FakePostmark()
    with serve_app(fake.app()) as url:
        extra = {"POSTMARK_SERVER_TOKEN": fake.token, "MKT_POSTMARK_API_URL": url, "MKT_EMAIL_RATE_PER_SECOND": "0"}
        os.environ.update(extra)
        procs = bc._workers(env, extra)
        try:
            start = time.perf_counter()
            campaign_id, _ = _draft_and_launch()
            end = bc._wait_done(campaign_id, n, 900)
        finally:
            bc._stop(procs)
    html = sum(1 for m in fake.delivered if "<table" in (m.get("HtmlBody") or "") and m.get("TextBody"))
    return campaign_id, end - start, len(fake.delivered), html


def rendering(campaign_id: int) -> tuple[int, float, float, int]:
    """Seconds to render every recipient's email (HTML + text) and, the baseline, the text part alone."""
    from db.models import Campaign, Contact
    from db.session import unit_of_work
    from domain import campaigns as tpl
    from domain import email_render
    from tools.campaigns.messages import compiled_email, contact_values, render_message, unsubscribe_url

    with unit_of_work() as uow:
        campaign = uow.session.get(Campaign, campaign_id)
        contacts = list(uow.session.scalars(sa.select(Contact).order_by(Contact.id)))
        uow.session.expunge_all()
    start = time.perf_counter()
    size = 0
    for n, contact in enumerate(contacts, 1):
        size += len(render_message(campaign, contact, activity_id=n).html)
    full = time.perf_counter() - start
    compiled = compiled_email(campaign.body_text, campaign.subject, None)
    start = time.perf_counter()
    for n, contact in enumerate(contacts, 1):
        values = contact_values(contact) | {"unsubscribe_url": unsubscribe_url(n), "postal_address": "1 Main St"}
        tpl.render(campaign.subject, values)
        email_render.fill_text(compiled, values)
    text = time.perf_counter() - start
    return len(contacts), full, text, size // max(len(contacts), 1)


def main(flags: list[str]) -> None:
    quick = "--quick" in flags
    n = 5_000 if quick else 50_000
    bc.DB_NAME = DB_NAME
    env = bc._setup_env(quick)
    campaign_id, total, delivered, html = end_to_end(env, n)
    rendered, full, text, size = rendering(campaign_id)
    print("| measure | time | rate / result |\n| --- | --- | --- |")
    print(f"| email {n:,} in Markdown, end to end (launch + 2 workers + record) | {total:.1f} s | "
          f"{n / total:,.0f} msg/s; delivered {delivered:,}, with HtmlBody and TextBody {html:,} |")
    print(f"| rendering {rendered:,} personalised emails (HTML {size:,} bytes + text), 1 thread | {full:.1f} s | "
          f"{rendered / full:,.0f} emails/s |")
    print(f"| baseline: the text part alone (subject + text twin) | {text:.1f} s | {rendered / text:,.0f} emails/s |")
    print(f"| ratio rendering / end to end | {full / total:.2f} | goal < 0.30 |")
