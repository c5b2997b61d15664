"""ops/grafana/mkt-dashboard.json and ops/prometheus/alerts.yml: well-formed (a JSON schema of the parts Grafana and
Prometheus read) and naming only metrics that /metrics really serves."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml
from fastapi.testclient import TestClient

from settings import ROOT

DASHBOARD = json.loads((ROOT / "ops" / "grafana" / "mkt-dashboard.json").read_text())
ALERTS = yaml.safe_load((ROOT / "ops" / "prometheus" / "alerts.yml").read_text())
DATASOURCE = {"type": "object", "required": ["type", "uid"], "properties": {"type": {"const": "prometheus"}}}
DASHBOARD_SCHEMA = {
    "type": "object",
    "required": ["title", "uid", "schemaVersion", "panels", "templating", "time"],
    "properties": {
        "uid": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,40}$"},
        "schemaVersion": {"type": "integer", "minimum": 30},
        "time": {"type": "object", "required": ["from", "to"]},
        "templating": {"type": "object", "required": ["list"], "properties": {"list": {"type": "array", "items": {
            "type": "object", "required": ["name", "type"]}}}},
        "panels": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["id", "type", "title", "gridPos", "datasource", "targets"],
            "properties": {
                "id": {"type": "integer"},
                "type": {"enum": ["timeseries", "stat", "gauge", "table", "bargauge", "heatmap"]},
                "datasource": DATASOURCE,
                "gridPos": {"type": "object", "required": ["h", "w", "x", "y"], "properties": {
                    k: {"type": "integer", "minimum": 0, "maximum": 24 if k in ("w", "x") else 1000}
                    for k in ("h", "w", "x", "y")}},
                "targets": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["refId", "expr"],
                    "properties": {"expr": {"type": "string", "minLength": 3}, "datasource": DATASOURCE}}},
            }}},
    },
}
RULES_SCHEMA = {
    "type": "object", "required": ["groups"], "additionalProperties": False,
    "properties": {"groups": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["name", "rules"], "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "interval": {"type": "string"}, "rules": {
            "type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["alert", "expr", "for", "labels", "annotations"],
                "additionalProperties": False,
                "properties": {
                    "alert": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                    "expr": {"type": "string"},
                    "for": {"type": "string", "pattern": "^[0-9]+[smhd]$"},
                    "labels": {"type": "object", "required": ["severity"],
                               "properties": {"severity": {"enum": ["critical", "warning", "info"]}}},
                    "annotations": {"type": "object", "required": ["summary", "description"]},
                }}}}}}},
}
PROMQL_WORDS = {"sum", "by", "rate", "increase", "histogram_quantile", "max", "min", "avg", "count", "without",
                "label_values", "up", "and", "or", "unless", "on", "ignoring", "bool", "le", "job", "instance"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (label matchers, strings and range selectors removed)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)", "", expr)
    return {w for w in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr) if w not in PROMQL_WORDS and not w.isdigit()
            and not re.fullmatch(r"\d+[smhd]|e\d+", w)}


@pytest.fixture
def served(db) -> set[str]:
    """Every series name /metrics serves once a request and a job were counted."""
    from ops import metrics
    from ops.jobs import stats
    from webhooks.app import create_app

    TestClient(create_app()).get("/healthz")
    stats.record("test.dashboard", "ok", 0.2)
    metrics.collector.invalidate()
    text = metrics.render().decode()
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
    declared = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}  # gauges of no rows yet
    return names | declared | {"up"}  # up: Prometheus' own series of each target


def test_dashboard_matches_the_schema_and_its_panels_do_not_overlap():
    jsonschema.validate(DASHBOARD, DASHBOARD_SCHEMA)
    ids = [p["id"] for p in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    cells = set()
    for p in DASHBOARD["panels"]:
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24
        mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & mine, f"panel {p['title']!r} overlaps another"
        cells |= mine


def test_alert_rules_match_the_schema():
    jsonschema.validate(ALERTS, RULES_SCHEMA)
    names = [r["alert"] for g in ALERTS["groups"] for r in g["rules"]]
    assert len(names) == len(set(names))


def test_every_metric_the_dashboard_and_the_alerts_read_is_served(served):
    exprs = [t["expr"] for p in DASHBOARD["panels"] for t in p["targets"]]
    exprs += [v["query"] for v in DASHBOARD["templating"]["list"] if v["type"] == "query"]
    exprs += [r["expr"] for g in ALERTS["groups"] for r in g["rules"]]
    read = set().union(*(metric_names(e) for e in exprs))
    assert {"mkt_jobs_total", "mkt_job_duration_seconds_bucket", "process_resident_memory_bytes"} <= read
    assert read - served == set(), f"not served by /metrics: {sorted(read - served)}"
