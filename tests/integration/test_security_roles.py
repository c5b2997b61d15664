"""The role x tool table (issue 11, issue 24), written out here by hand: it is NOT derived from the registry or from
`domain.roles.can`, so a wrong permission on a tool, or a wrong permission set on a role, fails a row.

Every tool the chat agent can call is called by every role straight through its wiring (bypassing the agent's own
role check), so the tools layer's `require` is what is tested, on a small world of real rows:
- "no": the call raises PermissionDenied and nothing in the database changed;
- "yes": the call succeeds with real arguments, and its answer says what it did (a literal fragment per tool).

A tool in the registry without a row (or a row without a tool) fails `test_every_tool_has_a_row`, naming it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from agent.tools.catalogue import all_specs, get
from db.models import Base, Campaign, Contact, ConversationMessage, EnrichmentJob, Import, utcnow
from domain.roles import PermissionDenied, Role
from settings import get_settings
from tests.factories import create_contact, create_user
from tests.integration.campaign_support import configure
from tools.api_keys import create_api_key
from tools.campaigns.drafting import draft_campaign
from tools.demo import SAMPLE_AD, SAMPLE_CAMPAIGN, load_sample_data
from tools.users import Actor

# The table. Change a row only when the product's rule changes (README "Roles").
TABLE = """
tool                     admin  marketer  reviewer
ad_report                yes    yes       no
bulk_approve_enrichment  yes    yes       yes
bulk_update              yes    yes       no
cancel_sequence          yes    yes       no
campaign_in_doubt        yes    yes       no
campaign_report          yes    yes       no
campaign_status          yes    yes       no
cancel_campaign          yes    yes       no
check_again_in_doubt     yes    yes       no
contact_history          yes    yes       yes
count_contacts           yes    yes       yes
draft_ads                yes    yes       no
draft_campaign           yes    yes       no
draft_sequence           yes    yes       no
enrich_contacts          yes    yes       no
enrichment_progress      yes    yes       yes
erase_contact            yes    yes       no
export_contacts          yes    yes       yes
import_contacts          yes    yes       no
import_errors            yes    yes       yes
list_imports             yes    yes       yes
launch_campaign          yes    yes       no
launch_sequence          yes    yes       no
list_ad_campaigns        yes    yes       no
list_api_keys            yes    no        no
list_bookings            yes    yes       yes
list_campaigns           yes    yes       no
list_conversations       yes    yes       no
list_email_templates     yes    yes       no
list_sequences           yes    yes       no
list_users               yes    no        no
load_sample_data         yes    yes       no
merge_contacts           yes    yes       no
next_review_item         yes    yes       yes
open_campaign            yes    yes       no
open_contact             yes    yes       yes
open_conversation        yes    yes       no
opt_in                   yes    yes       no
opt_out                  yes    yes       no
pause_campaign           yes    yes       no
pause_sequence           yes    yes       no
preview_campaign         yes    yes       no
preview_sequence         yes    yes       no
query_contacts           yes    yes       yes
record_ad_metrics        yes    yes       no
remove_from_sequence     yes    yes       no
remove_sample_data       yes    yes       no
reply_to_conversation    yes    yes       no
resend_anyway_in_doubt   yes    yes       no
resume_campaign          yes    yes       no
resume_sequence          yes    yes       no
review_enrichment        yes    yes       yes
revoke_api_key           yes    no        no
save_email_template      yes    yes       no
send_test                yes    yes       no
sequence_status          yes    yes       no
set_brand                yes    no        no
set_sender               yes    no        no
show_sender              yes    yes       no
show_analytics           yes    yes       no
show_brand               yes    yes       no
update_contact           yes    yes       no
use_email_template       yes    yes       no
"""


def _parse(table: str) -> dict[str, dict[str, bool]]:
    lines = [line.split() for line in table.strip().splitlines()]
    roles = lines[0][1:]
    return {tool: {role: cell == "yes" for role, cell in zip(roles, cells, strict=True)} for tool, *cells in lines[1:]}


ALLOWED = _parse(TABLE)
JANE = "jane@acmeroofing.example"  # a sample contact (tools.demo)
UPLOAD = "matrix.csv"
MATRIX = {"field": "tags", "op": "has", "value": "matrix"}  # two contacts of our own (sample contacts get no sends)

# Real arguments per tool, and a fragment its answer must contain when the call is allowed ({names} are filled from
# the world's ids). Kept beside the table so a new row needs both.
CALLS: dict[str, tuple[dict[str, Any], str]] = {
    "ad_report": ({"ref": SAMPLE_AD}, f"Ad '{SAMPLE_AD}' (facebook, active)"),
    "bulk_approve_enrichment": ({"min_confidence": 0.9}, "Approved enrichment for 1 contact"),
    "bulk_update": ({"filter": {"field": "tags", "op": "has", "value": "plumber"}, "add_tags": ["matrix"]}, "Changed 2 contacts"),
    "campaign_report": ({"ref": SAMPLE_CAMPAIGN}, f"{SAMPLE_CAMPAIGN} (sms, completed): audience 6"),
    "campaign_in_doubt": ({"ref": "Matrix running"}, "Campaign 'Matrix running': 0 sends in doubt"),
    "check_again_in_doubt": ({"ref": "Matrix running"}, "'Matrix running' has no send left for review"),
    "resend_anyway_in_doubt": ({"ref": "Matrix running"}, "'Matrix running' has no send left for review"),
    "campaign_status": ({"ref": "Matrix running"}, "Campaign 'Matrix running' is running"),
    "cancel_campaign": ({"ref": "Matrix running"}, "Campaign 'Matrix running' is cancelled"),
    "contact_history": ({"ref": JANE}, "History of Jane Doe"),
    "count_contacts": ({"filter": {"field": "tags", "op": "has", "value": "roofer"}}, "8 contacts match"),
    "draft_ads": ({"platform": "facebook", "brief": "free roof checks before storm season"}, "Drafted facebook ads"),
    "draft_campaign": ({"name": "Matrix new", "channel": "email", "subject": "Hi", "body_text": "Hi {first_name|there}"},
                       "Drafted email campaign 'Matrix new'"),
    "enrich_contacts": ({"filter": MATRIX}, "Queued enrichment for 2 contacts"),
    "merge_contacts": ({"source": "m1@example.com", "target": "m2@example.com"}, "Merged contact #"),
    "enrichment_progress": ({}, "Enrichment: in_review 1."),
    "erase_contact": ({"contact": "m2@example.com"}, "Erased contact #"),
    "export_contacts": ({"filter": {"field": "tags", "op": "has", "value": "plumber"}}, "Exported 2 contacts to contacts-"),
    "import_contacts": ({"file": UPLOAD}, "Imported 1 rows from matrix.csv"),
    "import_errors": ({"import_id": "{import_id}"}, "Import #{import_id} (completed): 0 problems"),
    "list_imports": ({"import_id": "{import_id}"}, "Import #{import_id} (old.csv): completed."),
    "launch_campaign": ({"ref": "Matrix draft"}, "Launched campaign #{draft_id}"),
    "list_api_keys": ({}, '"name": "Matrix key"'),
    "list_users": ({}, '"email": "owner@example.com", "role": "admin"'),
    "list_ad_campaigns": ({}, "1 ad campaign, newest first"),
    "list_bookings": ({"when": "all"}, "1 booking (all)"),
    "list_campaigns": ({}, "4 campaigns, newest first"),
    "list_conversations": ({"status": "all"}, "3 conversations, newest first"),
    "open_campaign": ({"campaign": "Matrix draft"}, "Campaign 'Matrix draft' (#{draft_id}): draft"),
    "open_contact": ({"contact": JANE}, "Contact card of Jane Doe"),
    "open_conversation": ({"conversation": JANE}, "Conversation with Jane Doe on sms (open, 1 message)"),
    "load_sample_data": ({}, "Sample data is already loaded"),
    "next_review_item": ({}, "Review #{job_id}: Jane"),
    "opt_in": ({"channel": "email", "address": JANE}, f"Opted back in {JANE} on email"),
    "opt_out": ({"channel": "email", "address": JANE}, f"Opted out {JANE} on email: 1 contact marked"),
    "pause_campaign": ({"ref": "Matrix running"}, "Campaign 'Matrix running' is paused"),
    "preview_campaign": ({"ref": "Matrix draft"}, "Preview of 'Matrix draft': Audience 2"),
    "query_contacts": ({"filter": {"field": "tags", "op": "has", "value": "plumber"}}, "Found 2 contacts"),
    "record_ad_metrics": ({"ref": SAMPLE_AD, "day": "2026-11-28", "spend": "$120.50", "impressions": 3400,
                           "clicks": 80}, "spend $120.50"),
    "remove_sample_data": ({}, "Removed sample data: 16 contacts"),
    "reply_to_conversation": ({"contact_ref": JANE, "channel": "sms", "text": "See you Monday at 9."},
                              "the reply to Jane Doe on sms (Chatwoot conversation 77) was recorded"),
    "resume_campaign": ({"ref": "Matrix paused"}, "Campaign 'Matrix paused' is running"),
    # follow-up sequences (world_sequences): "Matrix seq draft", "Matrix seq running", "Matrix seq paused"
    "draft_sequence": ({"name": "Matrix seq new", "filter": MATRIX, "steps": [{"channel": "sms", "body_text": "Hi"}]},
                       "Drafted (nothing is sent until you launch it). Sequence 'Matrix seq new'"),
    "preview_sequence": ({"ref": "Matrix seq draft"}, "Preview. Sequence 'Matrix seq draft'"),
    "launch_sequence": ({"ref": "Matrix seq draft"}, "Launched sequence 'Matrix seq draft'"),
    "sequence_status": ({"ref": "Matrix seq running"}, "Sequence 'Matrix seq running' is running: 2 enrolled"),
    "list_sequences": ({}, "3 sequences"),
    "pause_sequence": ({"ref": "Matrix seq running"}, "Sequence 'Matrix seq running' is paused"),
    "resume_sequence": ({"ref": "Matrix seq paused"}, "Sequence 'Matrix seq paused' is running"),
    "cancel_sequence": ({"ref": "Matrix seq running"}, "Sequence 'Matrix seq running' is cancelled"),
    "remove_from_sequence": ({"ref": "Matrix seq running", "contact": "m1@example.com"}, "Removed contact #"),
    "review_enrichment": ({"job_id": "{job_id}"}, "Enrichment #{job_id} approved"),
    "revoke_api_key": ({"ref": "Matrix key"}, "Revoked API key 'Matrix key'"),
    "send_test": ({"ref": "Matrix draft", "to": "me@example.com"}, "Test queued to me@example.com"),
    "set_sender": ({"postal_address": "Matrix Inc, 1 Main St, Austin TX 78701"}, "Saved. Email sender: "),
    "show_sender": ({}, "Email sender: "),
    "list_email_templates": ({}, "3 email templates."),
    "use_email_template": ({"template": "offer", "ref": "Matrix draft"}, "The starter template 'offer' is now"),
    "save_email_template": ({"ref": "Matrix draft", "name": "Matrix tpl"},
                            "Saved campaign Matrix draft's email as template 'Matrix tpl'"),
    "set_brand": ({"accent_color": "#e11d48"}, "Saved. Email brand: "),
    "show_brand": ({}, "Email brand: "),
    "show_analytics": ({"start": date(2026, 1, 1), "end": date(2026, 12, 31)}, "2026-01-01 to 2026-12-31 (UTC)"),
    "update_contact": ({"ref": JANE, "changes": {"city": "Round Rock"}}, f"Updated contact {JANE}"),
}


def world(session) -> dict[str, int]:
    """Sample data (contacts, a past SMS campaign, an ad), three campaigns of our own, an enrichment job waiting for
    review, an import, an API key, a user and an upload. Committed; returns the ids the calls name."""
    admin = Actor.system("owner@example.com")
    load_sample_data(session, admin)
    create_user(session, email="owner@example.com", role="admin")
    ids = {}
    for n in (1, 2):
        create_contact(session, email=f"m{n}@example.com", tags=["matrix"], attributes={})
    for name, status in (("Matrix draft", "draft"), ("Matrix running", "running"), ("Matrix paused", "paused")):
        view = draft_campaign(session, admin, name=name, channel="email", filter=MATRIX,
                              subject="Spring", body_text="Hi {first_name|there}")
        session.execute(sa.update(Campaign).where(Campaign.id == view.id).values(status=status))
        ids[name.split()[1] + "_id"] = view.id
    jane = create_contact(session, email="jane.review@example.com", first_name="Jane", tags=[], attributes={})
    jane_sample = session.scalar(sa.select(Contact).where(Contact.email == JANE))
    session.add(ConversationMessage(contact_id=jane_sample.id, channel="sms", direction="inbound", body="hi",
                                    chatwoot_conversation_id=77, occurred_at=utcnow()))
    job = EnrichmentJob(contact_id=jane.id, status="in_review", suggestions=[{
        "field": "job_title", "value": "Owner", "source_url": "https://acme.example/about",
        "quote": "Jane Doe, owner of Acme Roofing", "confidence": 0.95, "verified": True}], decisions={})
    imp = Import(filename="old.csv", mapping={}, status="completed")
    session.add_all([job, imp])
    session.flush()
    create_api_key(session, admin, name="Matrix key", scopes="contacts:read")
    world_sequences(session, admin)
    folder = Path(get_settings().var_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / UPLOAD).write_text("email,first_name\nmatrix@example.com,Matrix\n")
    session.commit()
    return ids | {"job_id": job.id, "import_id": imp.id}


def world_sequences(session, admin: Actor) -> None:
    """Three one-step SMS sequences to the matrix contacts: a draft, a running one (both enrolled), a paused one."""
    from tools.sequences import lifecycle

    for name in ("Matrix seq draft", "Matrix seq running", "Matrix seq paused"):
        lifecycle.draft_sequence(session, admin, name=name, filter=MATRIX,
                                 steps=[{"channel": "sms", "body_text": "Hi {first_name|there}"}])
        if name != "Matrix seq draft":
            lifecycle.launch_sequence(session, admin, name)
    lifecycle.pause_sequence(session, admin, "Matrix seq paused")


def counts(session) -> dict[str, int]:
    """Rows per table: a refused call must leave every count as it was."""
    session.expire_all()
    return {t.name: session.scalar(sa.select(sa.func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def _fill(value: Any, ids: dict[str, int]) -> Any:
    return int(value.format(**ids)) if isinstance(value, str) and value.startswith("{") else value


def test_every_tool_has_a_row():
    registered = {spec.name for spec in all_specs()}
    missing = sorted(registered - set(ALLOWED))
    assert not missing, f"tools without a row in the role table of {__file__}: {missing} (add a row and a call)"
    stale = sorted(set(ALLOWED) - registered)
    assert not stale, f"rows for tools no longer in the registry: {stale}"
    assert set(CALLS) == set(ALLOWED), sorted(set(CALLS) ^ set(ALLOWED))
    assert {role for row in ALLOWED.values() for role in row} == {r.value for r in Role}


def test_the_table_is_what_the_roles_describe():
    """domain/roles.py in a few words: admin tools are the admin's alone, a marketer does everything else, the admin
    does everything (the reviewer's rows are checked one by one above)."""
    assert all(row["admin"] for row in ALLOWED.values())
    assert sorted(t for t, row in ALLOWED.items() if not row["marketer"]) == ["list_api_keys", "list_users",
                                                                              "revoke_api_key", "set_brand",
                                                                              "set_sender"]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("tool", sorted(ALLOWED))
def test_each_role_gets_exactly_its_row(session, monkeypatch, tool, role):
    spec = get(tool)
    assert spec is not None, f"{tool} is in the table but not in the registry"
    configure(monkeypatch)  # the sender's postal address and the rest a send needs (sandbox providers)
    ids = world(session)
    raw, expected = CALLS[tool]
    args = spec.args(**{k: _fill(v, ids) for k, v in raw.items()})
    actor = Actor(email=f"{role}@example.com", role=role)
    if not ALLOWED[tool][role.value]:
        before = counts(session)
        with pytest.raises(PermissionDenied):
            spec.run(session, actor, args)
        session.rollback()
        assert counts(session) == before, f"{role} was refused {tool} but the database changed"
        return
    out = spec.run(session, actor, args)
    session.commit()
    fragment = expected.format(**ids)
    assert fragment in out.text, f"{role} calling {tool}: expected {fragment!r} in the answer, got {out.text!r}"
