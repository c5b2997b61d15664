"""Shared helpers of the enrichment tests: actors, a contact at the test site, queue-and-run."""

from __future__ import annotations

import sqlalchemy as sa

from db import jobs
from db.models import EnrichmentJob
from db.session import unit_of_work
from domain.roles import Role
from integrations.errors import PermanentError
from integrations.fetcher import Fetcher
from tests.factories import create_contact
from tools.enrichment.review import request_enrichment
from tools.users import Actor
from workers.enrichment import run_job

MARKETER = Actor("marketer@example.com", Role.MARKETER)
REVIEWER = Actor("reviewer@example.com", Role.REVIEWER)


def hold_messages(monkeypatch) -> list[tuple]:
    """Messages are recorded instead of sent (these tests run the jobs in their own thread): (actor name, *args)."""
    held: list[tuple] = []
    monkeypatch.setattr(jobs, "send", lambda name, *args: held.append((name, *args)))
    return held


def names(mapping: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in mapping:
            raise PermanentError(f"cannot resolve {host}")
        return mapping[host]
    return resolve


def site_fetcher() -> Fetcher:
    """A fetcher that may reach loopback and resolves acme.test to it."""
    return Fetcher(allow_loopback=True, resolver=names({"acme.test": ["127.0.0.1"]}), timeout=5)


def add_contact(website: str | None, *, email: str = "jane@acme.test", first: str = "Jane", last: str = "Doe",
                **extra) -> int:
    with unit_of_work() as uow:
        fields = {"tags": [], "attributes": {}} | extra
        contact = create_contact(uow.session, email=email, first_name=first, last_name=last, website=website,
                                 **fields)
        return contact.id


def queue(contact_ids: list[int], *, force: bool = False, actor: Actor = MARKETER) -> list[int]:
    with unit_of_work() as uow:
        request_enrichment(uow.session, actor, contact_ids=contact_ids, force=force)
    with unit_of_work() as uow:
        return list(uow.session.scalars(sa.select(EnrichmentJob.id).where(
            EnrichmentJob.contact_id.in_(contact_ids), EnrichmentJob.status == "pending").order_by(EnrichmentJob.id)))


def enrich(contact_id: int, fetcher: Fetcher | None = None, **kw) -> EnrichmentJob:
    """Queue one contact, run its job in this thread, return the job row as it ended."""
    (job_id,) = queue([contact_id], force=True)
    run_job(job_id, fetcher=fetcher, **kw)
    return job(job_id)


def job(job_id: int) -> EnrichmentJob:
    with unit_of_work() as uow:
        return uow.session.get(EnrichmentJob, job_id)
