"""The example n8n workflows under docs/n8n/ are importable JSON whose mkt calls match our OpenAPI: every URL is a
route with that method, every JSON body (its n8n expressions given sample values) validates against the route's
request schema, and the self-subscribing workflow asks for events the schema's `webhooks` section describes, at
the path of its own Webhook node. (tests/integration/test_n8n_hooks.py runs its requests and code for real.)"""

import json
import re
from pathlib import Path

import jsonschema
import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "n8n"
WORKFLOWS = sorted(DOCS.glob("*.json"))
VERIFY = (DOCS / "verify_signature.js").read_text()
# what each n8n expression used in a body or URL stands for (an expression not listed here fails the test)
N8N = "https://n8n.example.com"
SAMPLES = {"$env.MKT_URL": "https://mkt.example.com", "$env.WEBHOOK_URL.replace(/\\/$/, '')": N8N,
           "$json.id": "3", "$json.data.id ?? $json.data.contact.id": "7"}


@pytest.fixture(scope="module")
def document():
    from webhooks.api_docs import openapi_document
    from webhooks.app import routers

    return openapi_document(routers())


def flow(path: Path) -> dict:
    return json.loads(path.read_text())


def resolve(text: str) -> str:
    """An n8n parameter with its {{ expressions }} replaced by their sample values."""
    text = text[1:] if text.startswith("=") else text
    return re.sub(r"\{\{\s*(.*?)\s*\}\}", lambda m: SAMPLES[m.group(1)], text)


def mkt_calls(workflow: dict) -> list[dict]:
    return [n for n in workflow["nodes"]
            if n["type"] == "n8n-nodes-base.httpRequest" and "$env.MKT_URL" in n["parameters"]["url"]]


def operation(document: dict, method: str, url: str) -> dict:
    path = url.removeprefix(SAMPLES["$env.MKT_URL"]).split("?")[0]
    for template, item in document["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) and method.lower() in item:
            return item[method.lower()]
    raise AssertionError(f"{method} {path} is not an operation of our OpenAPI")


def test_there_are_the_four_documented_workflows():
    assert {p.name for p in WORKFLOWS} == {"scraper-to-import.json", "new-contact-enrich.json", "reply-to-slack.json",
                                           "subscribe-hooks.json"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_a_workflow_is_well_formed_and_its_connections_point_at_real_nodes(path):
    workflow = flow(path)
    names = [n["name"] for n in workflow["nodes"]]
    assert workflow["name"] and len(names) == len(set(names))
    for node in workflow["nodes"]:
        assert node["type"].startswith("n8n-nodes-base.") and isinstance(node["typeVersion"], int | float)
    for source, outputs in workflow["connections"].items():
        assert source in names
        for branch in outputs["main"]:
            assert all(link["node"] in names for link in branch)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_mkt_call_is_an_operation_of_our_api_with_a_valid_body_and_the_key_credential(path, document):
    calls = mkt_calls(flow(path))
    for node in calls:
        params = node["parameters"]
        op = operation(document, params["method"], resolve(params["url"]))
        assert params["genericAuthType"] == "httpHeaderAuth" and "httpHeaderAuth" in node["credentials"]
        written = params.get("sendBody") and params.get("specifyBody") == "json"
        if written and not re.fullmatch(r"=\{\{.*\}\}", params["jsonBody"].strip(), re.S):  # not an earlier node's output
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            body = json.loads(resolve(params["jsonBody"]))
            jsonschema.Draft202012Validator({**schema, "components": document["components"]}).validate(body)
    assert calls or "slack" in path.name


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_webhook_workflows_verify_the_standard_webhooks_signature_on_the_raw_body(path):
    nodes = flow(path)["nodes"]
    for hook in [n for n in nodes if n["type"] == "n8n-nodes-base.webhook"]:
        assert hook["parameters"]["options"]["rawBody"] is True
        [verify] = [n for n in nodes if n["name"] == "verify signature"]
        assert verify["parameters"]["jsCode"] == VERIFY


def test_the_subscribing_workflow_asks_for_described_events_at_its_own_webhook(document):
    workflow = flow(DOCS / "subscribe-hooks.json")
    nodes = {n["name"]: n for n in workflow["nodes"]}
    assert nodes["when activated"]["parameters"]["events"] == ["activate"]
    subscribe = nodes["POST /api/v1/hooks"]["parameters"]
    assert operation(document, "POST", resolve(subscribe["url"]))["operationId"] == "createHook"
    body = json.loads(resolve(subscribe["jsonBody"]))
    assert sorted(body["events"]) == sorted(document["webhooks"])  # a branch for every event we send, erase included
    webhook = nodes["mkt event"]["parameters"]
    assert body["target_url"] == f"{N8N}/webhook/{webhook['path']}"
    created = document["components"]["schemas"]["HookCreated"]["properties"]
    assert {"id", "secret"} <= set(created) and "hook.id" in nodes["remember hook"]["parameters"]["jsCode"]
    drop = nodes["DELETE /api/v1/hooks/{id}"]["parameters"]
    assert operation(document, "DELETE", resolve(drop["url"]))["operationId"] == "deleteHook"
    routes = nodes["by event"]["parameters"]["rules"]["values"]
    assert [r["outputKey"] for r in routes] == body["events"]
