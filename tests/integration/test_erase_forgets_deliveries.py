"""Erasing a contact also deletes the outbound deliveries (the n8n event log) whose payload names them, delivered
or pending: the log keeps no copy of a forgotten person, and nothing queued sends them out afterwards. Other
people's deliveries stay, and the erase's own contact.deleted (the id only) is what is left about them."""

from __future__ import annotations

import sqlalchemy as sa

from db.models import Contact, OutboundDelivery, OutboundSubscription
from db.session import unit_of_work
from domain.roles import Role
from tests.factories import create_contact
from tests.integration.outbound_support import deliveries
from tools import outbound
from tools.contacts.erase import erase_contact, plan_erase
from tools.users import Actor
from webhooks.api_events import PAYLOADS

ADMIN = Actor("admin@example.com", Role.ADMIN)


def _ref(contact) -> dict:
    return {"id": contact.id, "email": contact.email, "phone": contact.phone, "first_name": contact.first_name,
            "last_name": contact.last_name, "company": None}


def _payloads(contact) -> dict[str, dict]:
    """One payload of each event that names a person, shaped as webhooks/api_events.PAYLOADS publishes them."""
    return {
        "contact.created": _ref(contact),
        "contact.updated": {**_ref(contact), "changed": ["phone"], "source": "chatwoot"},
        "contact.opted_out": {"contact": _ref(contact), "channel": "sms"},
        "reply.received": {"contact": _ref(contact), "channel": "sms", "body": "call me on Friday",
                           "campaign_id": None, "message_id": 7, "chatwoot_conversation_id": None,
                           "occurred_at": "2026-12-01T10:00:00+00:00"},
        "booking.created": {"booking_id": 3, "calcom_uid": f"uid-{contact.id}", "title": "Roof check",
                            "status": "accepted", "start_at": None, "end_at": None, "contact_id": contact.id,
                            "attendee_email": contact.email},
        "enrichment.approved": {"contact_id": contact.id, "job_id": 1, "field": "company", "value": "Acme",
                                "source_url": "https://acme.test", "edited": False,
                                "reviewed_by": "reviewer@example.com", "approved_at": "2026-12-01T10:00:00+00:00"},
    }


def test_every_event_says_whether_and_where_it_names_a_person():
    assert set(outbound.CONTACT_PATH) | set(outbound.NAMES_NOBODY) == set(outbound.EVENTS)
    assert not set(outbound.CONTACT_PATH) & set(outbound.NAMES_NOBODY)
    for event, path in outbound.CONTACT_PATH.items():  # the path exists in the published payload model
        model = PAYLOADS[event][0]
        for step in path[:-1]:
            model = model.model_fields[step].annotation
        assert path[-1] in model.model_fields, (event, path)


def test_an_erase_deletes_the_deliveries_that_name_the_person_and_keeps_the_others(db):
    with unit_of_work() as uow:
        uow.session.add(OutboundSubscription(url="https://n8n.example.com/webhook/a", events=[],
                                             secret=outbound.new_secret()))  # every event; never sent here
        jane = create_contact(uow.session, email="jane@acme.com", phone="+15125550100", first_name="Jane",
                              last_name="Doe", tags=[], attributes={})
        bob = create_contact(uow.session, email="bob@roe.com", phone="+15125550111", first_name="Bob",
                             last_name="Roe", tags=[], attributes={})
        for contact in (jane, bob):
            for event, payload in _payloads(contact).items():
                outbound.emit(uow.session, event, payload)
        jane_id, bob_id = jane.id, bob.id
    with unit_of_work() as uow:  # one of Jane's already delivered: it goes too
        first = uow.session.scalar(sa.select(OutboundDelivery).order_by(OutboundDelivery.id).limit(1))
        first.status = "delivered"
    with unit_of_work() as uow:
        assert plan_erase(uow.session, ADMIN, jane_id).deleted.get("outbound_deliveries") == 6
    with unit_of_work() as uow:
        erase_contact(uow.session, ADMIN, jane_id)
    left = [(row.event, row.payload) for row in deliveries()]
    assert [event for event, _ in left] == [*_payloads(bob), "contact.deleted"]
    with unit_of_work() as uow:
        assert [payload for _, payload in left[:-1]] == list(_payloads(uow.session.get(Contact, bob_id)).values())
    assert left[-1][1]["contact_id"] == jane_id and "jane" not in str(left).lower()
