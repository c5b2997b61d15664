"""Schemathesis against our OpenAPI (every route of the companion endpoint, through the ASGI app): whatever it
generates, with a valid all-scopes key, nothing answers 5xx. 25 examples per operation keep it to seconds."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from db.session import unit_of_work
from domain.roles import Role
from settings import reset_settings
from tools.api_keys import create_api_key
from tools.users import Actor
from webhooks.app import create_app

schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app())


@pytest.fixture
def api_key(db, monkeypatch):
    monkeypatch.setenv("MKT_CHATWOOT_WEBHOOK_SECRET", "s")
    monkeypatch.setenv("MKT_CALCOM_WEBHOOK_SECRET", "s")
    reset_settings()
    with unit_of_work() as uow:
        key = create_api_key(uow.session, Actor("admin@example.com", Role.ADMIN), name="fuzz", scopes="all").key
    yield key
    reset_settings()


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx(case, api_key):
    case.call_and_validate(headers={"X-Api-Key": api_key}, checks=[not_a_server_error])
