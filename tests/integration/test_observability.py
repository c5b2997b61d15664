"""Optional Sentry and OpenTelemetry (off unless configured, redacted like the logs), LangSmith off unless enabled,
process metrics and the job duration histogram in /metrics. Sentry and OpenTelemetry run in a subprocess each (they
install process-wide hooks) against local fakes of their ingest endpoints."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import zlib

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from settings import ROOT, Settings
from tests.fakes.server import serve_app

SECRET = "sk-live-abcdef1234567890"


class Ingest:
    """A local stand-in for Sentry's envelope endpoint and an OTLP/HTTP collector: keeps every body it receives."""

    def __init__(self) -> None:
        self.bodies: dict[str, list[bytes]] = {"sentry": [], "otlp": []}

    def app(self) -> Starlette:
        async def health(_request: Request) -> Response:
            return Response("ok")

        async def envelope(request: Request) -> Response:
            self.bodies["sentry"].append(_inflate(await request.body(), request.headers.get("content-encoding")))
            return JSONResponse({"id": "0" * 32})

        async def traces(request: Request) -> Response:
            self.bodies["otlp"].append(_inflate(await request.body(), request.headers.get("content-encoding")))
            return Response(b"", media_type="application/x-protobuf")

        return Starlette(routes=[Route("/__health", health), Route("/api/{project}/envelope/", envelope, methods=["POST"]),
                                 Route("/v1/traces", traces, methods=["POST"])])


def _inflate(body: bytes, coding: str | None) -> bytes:
    if coding == "gzip":
        return gzip.decompress(body)
    if coding == "deflate":
        return zlib.decompress(body)
    if coding == "br":
        import brotli

        return brotli.decompress(body)
    return body


@pytest.fixture
def ingest():
    fake = Ingest()
    with serve_app(fake.app()) as base:
        yield fake, base


def _run(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": SECRET, **env}
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=full, capture_output=True, text=True,
                          timeout=120)


SENTRY_SCRIPT = f"""
import logging, sentry_sdk
from ops import observability
from ops.logging import configure
configure()
assert observability.configure() == ["Errors: Sentry (redacted, no personal data)"]
logging.getLogger("mkt.test").error("provider refused key %s", "{SECRET}",
                                    extra={{"url": "https://api.example.com/v1?api_key=ak-9f8e7d6c5b&q=roofers"}})
try:
    raise RuntimeError("token {SECRET} refused by https://user:pw-7788@api.example.com/x")
except RuntimeError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(10)
"""


def test_sentry_receives_errors_with_every_secret_redacted(ingest):
    fake, base = ingest
    port = base.rsplit(":", 1)[1]
    done = _run(SENTRY_SCRIPT, MKT_SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/42")
    assert done.returncode == 0, done.stderr
    sent = b"\n".join(fake.bodies["sentry"]).decode()
    assert "provider refused key ***" in sent and "RuntimeError" in sent and "q=roofers" in sent
    for secret in (SECRET, "ak-9f8e7d6c5b", "pw-7788"):
        assert secret not in sent


def test_sentry_is_off_without_a_dsn(ingest):
    done = _run("from ops import observability; import sentry_sdk; print(observability.configure(), "
                "sentry_sdk.get_client().is_active())", MKT_SENTRY_DSN="")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] False"


OTEL_SCRIPT = f"""
import dramatiq
from fastapi.testclient import TestClient
from ops import observability
from ops.jobs import JobContext
observability.configure()
job = JobContext()
message = dramatiq.Message(queue_name="default", actor_name="enrichment.run", args=(7,), kwargs={{}}, options={{}})
job.before_process_message(None, message)
job.after_process_message(None, message, exception=RuntimeError("provider said api_key={SECRET}"))
from webhooks.app import create_app
TestClient(create_app()).get("/healthz")
observability.flush()
"""


def test_opentelemetry_sends_redacted_spans_of_jobs_and_requests(ingest):
    fake, base = ingest
    done = _run(OTEL_SCRIPT, MKT_OTEL_ENDPOINT=base)
    assert done.returncode == 0, done.stderr
    sent = b"".join(fake.bodies["otlp"])
    assert b"job enrichment.run" in sent and b"mkt.outcome" in sent and b"failed" in sent
    assert b"GET /healthz" in sent and b"http.route" in sent
    assert b"RuntimeError: provider said api_key=***" in sent
    assert SECRET.encode() not in sent


def test_langsmith_stays_off_unless_enabled(monkeypatch):
    from langsmith.utils import tracing_is_enabled

    from ops import observability

    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    monkeypatch.setenv("LANGCHAIN_TRACING_V2", "true")
    assert observability.configure(Settings()) == []
    assert os.environ["LANGSMITH_TRACING"] == os.environ["LANGCHAIN_TRACING_V2"] == "false"
    assert not tracing_is_enabled()
    lines = observability.configure(Settings(langsmith_tracing=True))
    assert lines[0].startswith("LangSmith tracing: ON") and "contact" in lines[0] and "emails" in lines[0]
    assert os.environ["LANGSMITH_TRACING"] == "true"
    observability.configure(Settings())  # off again for the rest of the run
    assert os.environ["LANGSMITH_TRACING"] == "false"


def test_metrics_show_process_figures_and_a_job_duration_histogram(db):
    from ops import metrics
    from ops.jobs import stats

    stats.record("test.histogram", "ok", 0.3)
    stats.record("test.histogram", "failed", 42.0)
    metrics.collector.invalidate()
    text = metrics.render().decode()
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "python_info",
                 "python_gc_collections_total"):
        assert f"\n{name}" in text, name
    lines = dict(line.rsplit(" ", 1) for line in text.splitlines() if 'actor="test.histogram"' in line)
    assert float(lines['mkt_job_duration_seconds_bucket{actor="test.histogram",le="0.25"}']) == 0
    assert float(lines['mkt_job_duration_seconds_bucket{actor="test.histogram",le="0.5"}']) == 1
    assert float(lines['mkt_job_duration_seconds_bucket{actor="test.histogram",le="30.0"}']) == 1
    assert float(lines['mkt_job_duration_seconds_bucket{actor="test.histogram",le="60.0"}']) == 2
    assert float(lines['mkt_job_duration_seconds_count{actor="test.histogram"}']) == 2
    assert float(lines['mkt_job_duration_seconds_sum{actor="test.histogram"}']) == pytest.approx(42.3)


def test_doctor_warns_when_langsmith_tracing_is_on():
    from ops.doctor import WARN, check_configuration

    checks = check_configuration(Settings(langsmith_tracing=True))
    assert any(c.status == WARN and "LangSmith receives every prompt" in c.detail for c in checks), checks
    assert not any("LangSmith" in c.detail for c in check_configuration(Settings()))
