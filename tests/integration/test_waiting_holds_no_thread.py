"""Waiting never holds a thread (issue 17, item 2): a batch that must wait for its rate-limit slot is deferred in the
queue with its due time, so with a single worker thread an email campaign launched after an SMS campaign whose
batches wait on a slow SMS limit goes out at once instead of after every SMS; neither provider sees a request over
its limit. Event-ordered, not timed: the Postmark fake records how many SMS had arrived when the email came."""

import sqlalchemy as sa

from db.models import MarketingActivity
from db.session import unit_of_work
from tests.fakes.postmark import FakePostmark
from tests.fakes.sentdm import FakeSentDm
from tests.integration.campaign_support import MARKETER, drain, fakes, people, running_worker
from tools.campaigns import drafting
from tools.campaigns import lifecycle as tc

SMS = 6


def launch(channel: str, name: str) -> int:
    content = {"subject": "Hi", "body_text": "Hello {first_name|}"} if channel == "email" else {
        "body_text": "Hi {first_name|there}, 20% off today."}
    with unit_of_work() as uow:
        view = drafting.draft_campaign(uow.session, MARKETER, name=name, channel=channel, filter=None,
                                       send_rules={"cap_24h": 0, "cap_7d": 0}, **content)
        tc.launch_campaign(uow.session, MARKETER, view.id)
    return view.id


def test_an_email_campaign_is_not_stuck_behind_sms_batches_waiting_on_their_limit(db, monkeypatch):
    sentdm = FakeSentDm(rate_per_second=2, burst=2)
    postmark = FakePostmark(rate_per_second=100, observe=lambda: len(sentdm.delivered))
    with fakes(monkeypatch, postmark=postmark, sentdm=sentdm, MKT_SMS_RATE_PER_SECOND="2", MKT_SMS_BATCH_SIZE="3",
               MKT_EMAIL_RATE_PER_SECOND="100"):
        people(SMS)
        sms_id = launch("sms", "Slow SMS")  # two batches of 3 at 2/s: 2.5 s of slots
        email_id = launch("email", "Mail")
        with running_worker(threads=1):
            drain()
    with unit_of_work() as uow:
        statuses = set(uow.session.scalars(sa.select(MarketingActivity.status).where(
            MarketingActivity.campaign_id.in_((sms_id, email_id)))))
    assert statuses == {"sent"} and len(sentdm.delivered) == SMS and len(postmark.delivered) == SMS
    sms_before_email = postmark.log[0]["seen"]
    assert sms_before_email < SMS // 2, (
        f"the email went out only after {sms_before_email} SMS: the worker thread waited on the SMS limit")
    assert (sentdm.over_limit, postmark.over_limit) == (0, 0)
