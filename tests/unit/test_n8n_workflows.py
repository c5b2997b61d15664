"""The example n8n workflows under docs/n8n/ are importable JSON whose mkt calls match our OpenAPI."""

import json
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "n8n"
WORKFLOWS = sorted(DOCS.glob("*.json"))


def _schema_paths() -> dict[str, set[str]]:
    from fastapi import FastAPI

    from webhooks.api import router

    app = FastAPI()
    app.include_router(router)
    return {path: {m.upper() for m in ops} for path, ops in app.openapi()["paths"].items()}


def test_there_are_the_three_documented_workflows():
    assert {p.name for p in WORKFLOWS} == {"scraper-to-import.json", "new-contact-enrich.json", "reply-to-slack.json"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_a_workflow_is_well_formed_and_its_connections_point_at_real_nodes(path):
    flow = json.loads(path.read_text())
    names = [n["name"] for n in flow["nodes"]]
    assert flow["name"] and len(names) == len(set(names))
    for node in flow["nodes"]:
        assert node["type"].startswith("n8n-nodes-base.") and isinstance(node["typeVersion"], int | float)
    for source, outputs in flow["connections"].items():
        assert source in names
        for branch in outputs["main"]:
            assert all(link["node"] in names for link in branch)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_mkt_call_is_a_route_of_our_api_with_the_key_credential(path):
    routes = _schema_paths()
    calls = [n for n in json.loads(path.read_text())["nodes"]
             if n["type"] == "n8n-nodes-base.httpRequest" and "MKT_URL" in n["parameters"]["url"]]
    for node in calls:
        url = node["parameters"]["url"].split("}}", 1)[1]
        template = re.sub(r"\{\{.*?\}\}", "{contact_id}", url).split("?")[0]
        assert node["parameters"]["method"] in routes[template], template
        assert node["parameters"]["genericAuthType"] == "httpHeaderAuth"
        assert "httpHeaderAuth" in node["credentials"]
    assert calls or "slack" in path.name
