"""Schemathesis against our OpenAPI (every route of the companion endpoint, through the ASGI app): whatever it
generates, with a valid all-scopes key, nothing answers 5xx. The typed n8n API (/api/v1, hooks included) must
also answer only the status codes, content types, headers and bodies its schema declares, for valid and invalid
input alike. 25 examples per operation keep it to seconds."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    ensure_resource_availability,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)
from schemathesis.generation import GenerationMode

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


TYPED = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
         response_schema_conformance]


@schema.include(path_regex="^/api/v1/").parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_typed_api_answers_what_its_schema_says(case, api_key):
    case.call_and_validate(headers={"X-Api-Key": api_key}, checks=TYPED)


def test_the_typed_run_covers_every_api_operation_in_both_generation_modes():
    typed = schema.include(path_regex="^/api/v1/")
    operations = {(op.ok().method.upper(), op.ok().path) for op in typed.get_all_operations()}
    assert {("POST", "/api/v1/contacts"), ("GET", "/api/v1/contacts"), ("POST", "/api/v1/hooks"),
            ("GET", "/api/v1/hooks"), ("DELETE", "/api/v1/hooks/{hook_id}"), ("GET", "/api/v1/events")} <= operations
    assert set(schema.config.generation.modes) == {GenerationMode.POSITIVE, GenerationMode.NEGATIVE}


class Workflow(schema.include(path_regex="^/api/v1/").as_state_machine()):
    """Chains operations along the schema's links (createHook -> deleteHook, listContacts -> getContact) with the
    same typed checks, and the stateful ones: a deleted hook is gone (use_after_free), a created one is usable."""

    key = ""

    def get_call_kwargs(self, case):
        return {"headers": {"X-Api-Key": self.key}}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(response, checks=[*TYPED, use_after_free, ensure_resource_availability],
                               transport_kwargs=kwargs)


def test_linked_operations_chain_as_the_schema_says(api_key, monkeypatch):
    monkeypatch.setenv("MKT_OUTBOUND_ALLOW_LOOPBACK", "true")  # generated target URLs need not resolve publicly
    reset_settings()
    assert schema.include(path_regex="^/api/v1/").statistic.transitions.total >= 2
    monkeypatch.setattr(Workflow, "key", api_key)
    Workflow.run(settings=settings(max_examples=15, stateful_step_count=4, deadline=None,
                                   suppress_health_check=list(HealthCheck)))
