"""The self-subscribing n8n workflow (docs/n8n/subscribe-hooks.json) played against the real API: its
POST /api/v1/hooks request, as n8n sends it (the key from the Header Auth credential), creates the hook; its
"remember hook" code (run under Node.js) keeps the secret and hands the previous hook to its DELETE request; its
"verify signature" code accepts an event we deliver over real HTTP and refuses a tampered or unsigned one."""

import base64
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from db.session import unit_of_work
from domain.roles import Role
from tests.integration.companion import env_setter
from tests.integration.n8n_code import CodeNodeError, run_code
from tests.integration.outbound_support import record_sends, serving_receiver
from tools import outbound
from tools.api_keys import create_api_key
from tools.users import Actor
from webhooks.app import create_app
from workers import outbound as outbound_worker

WORKFLOW = json.loads((Path(__file__).resolve().parents[2] / "docs" / "n8n" / "subscribe-hooks.json").read_text())
NODES = {n["name"]: n for n in WORKFLOW["nodes"]}


@pytest.fixture
def receiver(db, monkeypatch):
    with serving_receiver(next(env_setter(monkeypatch))) as rec:
        yield rec


@pytest.fixture
def client(receiver):
    with TestClient(create_app(), raise_server_exceptions=True) as c:
        yield c


@pytest.fixture
def api_key(db):
    with unit_of_work() as uow:
        return create_api_key(uow.session, Actor("admin@example.com", Role.ADMIN), name="n8n",
                              scopes="hooks:write").key


def resolve(text: str, values: dict[str, str]) -> str:
    text = text[1:] if text.startswith("=") else text
    return re.sub(r"\{\{\s*(.*?)\s*\}\}", lambda m: values[m.group(1)], text)


def send(client, node_name: str, key: str, values: dict[str, str]):
    """What n8n's HTTP Request node sends: method, URL (MKT_URL is this app), JSON body, the Header Auth key."""
    params = NODES[node_name]["parameters"]
    values = {"$env.MKT_URL": "", **values}
    body = json.loads(resolve(params["jsonBody"], values)) if params.get("sendBody") else None
    return client.request(params["method"], resolve(params["url"], values), json=body, headers={"X-Api-Key": key})


def activate(client, key, receiver, static):
    """One activation of the workflow: subscribe, remember, drop the previous hook. Returns the new hook."""
    made = send(client, "POST /api/v1/hooks", key, {"$env.WEBHOOK_URL.replace(/\\/$/, '')": receiver.base})
    assert made.status_code == 201, made.text
    run = run_code(NODES["remember hook"]["parameters"]["jsCode"], [{"json": made.json()}], static=static)
    for item in run.result:
        assert send(client, "DELETE /api/v1/hooks/{id}", key, {"$json.id": str(item["json"]["id"])}).status_code == 204
    return made.json(), run.static


def as_n8n_item(got: dict) -> dict:
    """What the Webhook node (Raw Body on) hands to the next node."""
    return {"json": {"headers": got["headers"], "params": {}, "query": {}, "body": json.loads(got["body"])},
            "binary": {"data": {"data": base64.b64encode(got["body"]).decode(), "mimeType": "application/json"}}}


def test_activating_twice_leaves_one_hook_whose_events_the_workflow_verifies(client, api_key, receiver,
                                                                             monkeypatch):
    record_sends(monkeypatch)
    first, static = activate(client, api_key, receiver, {})
    assert static["mktHook"] == {"id": first["id"], "secret": first["secret"]}
    second, static = activate(client, api_key, receiver, static)
    listed = client.get("/api/v1/hooks", headers={"X-Api-Key": api_key}).json()["items"]
    assert [h["id"] for h in listed] == [second["id"]] and static["mktHook"]["secret"] == second["secret"]
    assert listed[0]["target_url"] == f"{receiver.base}/webhook/{NODES['mkt event']['parameters']['path']}"

    with unit_of_work() as uow:
        [delivery_id] = outbound.emit(uow.session, "reply.received", {"contact": {"id": 7}, "body": "Interested!"})
    assert outbound_worker.deliver(delivery_id) == "delivered"
    [got] = receiver.received
    assert got["path"] == "mkt-events"
    verify = NODES["verify signature"]["parameters"]["jsCode"]
    event = run_code(verify, [as_n8n_item(got)], static=static).result["json"]
    assert event["type"] == "reply.received" and event["data"]["body"] == "Interested!"

    tampered = {**got, "body": got["body"].replace(b"Interested!", b"Unsubscribe")}
    with pytest.raises(CodeNodeError, match="bad or stale mkt signature"):
        run_code(verify, [as_n8n_item(tampered)], static=static)
    with pytest.raises(CodeNodeError, match="bad or stale mkt signature"):
        run_code(verify, [as_n8n_item(got)], static={"mktHook": {"id": 1, "secret": first["secret"]}})
    unsigned = {**got, "headers": {k: v for k, v in got["headers"].items() if k != "webhook-signature"}}
    with pytest.raises(CodeNodeError, match="bad or stale mkt signature"):
        run_code(verify, [as_n8n_item(unsigned)], static=static)


def test_the_verify_code_takes_an_admin_subscriptions_secret_from_the_environment(receiver, monkeypatch):
    record_sends(monkeypatch)
    with unit_of_work() as uow:
        _, secret = outbound.add_subscription(uow.session, Actor("admin@example.com", Role.ADMIN), receiver.url)
        [delivery_id] = outbound.emit(uow.session, "contact.created", {"id": 7, "email": "ana@example.com"})
    assert outbound_worker.deliver(delivery_id) == "delivered"
    [got] = receiver.received
    verify = NODES["verify signature"]["parameters"]["jsCode"]
    event = run_code(verify, [as_n8n_item(got)], env={"MKT_OUTBOUND_SECRET": secret}).result["json"]
    assert event["type"] == "contact.created" and event["data"]["email"] == "ana@example.com"
    with pytest.raises(CodeNodeError):
        run_code(verify, [as_n8n_item(got)], env={})
