"""Operations: redacted structured logs with request and job ids, /metrics, and the checks of `mkt doctor`."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import time
import uuid

import dramatiq
import pytest
from fastapi.testclient import TestClient

from ops.logging import ContextFilter, JsonFormatter, KeyValueFormatter, job_id_var, secret_values
from settings import ROOT, Settings, reset_settings
from tests.factories import create_contact
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.postmark import FakePostmark
from tests.fakes.server import serve_app


@pytest.fixture
def env(monkeypatch):
    """Set environment variables for settings; the cached settings are forgotten before and after."""
    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        reset_settings()

    yield set_env
    monkeypatch.undo()
    reset_settings()


def _capture(fmt: logging.Formatter, secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(fmt)
    handler.addFilter(ContextFilter(secrets))
    logger = logging.getLogger(f"test.ops.{uuid.uuid4().hex[:6]}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    return logger, out


def test_secrets_of_the_settings_and_url_passwords_never_reach_a_log_line():
    settings = Settings(openai_api_key="sk-live-abcdef123456", postmark_server_token="pm-token-98765",
                        database_url="postgresql+psycopg://mkt:db-pass-4321@db:5432/mkt",
                        redis_url="redis://:redis-pw-777@redis:6379/0", metrics_token="metrics-tok-55")
    secrets = secret_values(settings)
    for value in ("sk-live-abcdef123456", "pm-token-98765", "db-pass-4321", "redis-pw-777", "metrics-tok-55"):
        assert value in secrets
    logger, out = _capture(KeyValueFormatter(), secrets)
    logger.info("calling with key %s and url %s", "sk-live-abcdef123456", settings.database_url)
    logger.info("header Authorization: Bearer abcdefghijklmnopqrstuvwxyz and password=hunter2hunter2")
    try:
        raise RuntimeError("token pm-token-98765 refused")
    except RuntimeError:
        logger.exception("provider failed")
    text = out.getvalue()
    for value in secrets + ["abcdefghijklmnopqrstuvwxyz", "hunter2hunter2"]:
        assert value not in text
    assert "***" in text and "provider failed" in text and "RuntimeError" in text


def test_json_lines_carry_the_job_id_and_extra_fields():
    logger, out = _capture(JsonFormatter(), [])
    token = job_id_var.set("job-123")
    try:
        logger.info("job ok", extra={"actor": "campaigns.send", "duration_ms": 3.5})
    finally:
        job_id_var.reset(token)
    logger.info("outside")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["job_id"] == "job-123" and first["actor"] == "campaigns.send" and first["level"] == "info"
    assert "job_id" not in second and second["msg"] == "outside"


def _app_client() -> TestClient:
    from webhooks.app import create_app

    return TestClient(create_app())


def test_requests_get_an_id_echoed_back_and_are_counted(db, env):
    env(MKT_METRICS_TOKEN="")
    client = _app_client()
    given = client.get("/healthz", headers={"X-Request-Id": "req-abcdef12"})
    assert given.headers["x-request-id"] == "req-abcdef12"
    bogus = client.get("/healthz", headers={"X-Request-Id": "bad id\nwith newline"})
    assert bogus.headers["x-request-id"] != "bad id\nwith newline" and len(bogus.headers["x-request-id"]) == 32
    text = client.get("/metrics").text
    line = next(m for m in text.splitlines() if m.startswith('mkt_http_requests_total{method="GET",route="/healthz"'))
    assert float(line.rsplit(" ", 1)[1]) >= 2


def test_metrics_need_the_bearer_token_when_one_is_set(db, env):
    env(MKT_METRICS_TOKEN="scrape-secret-1")
    client = _app_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-1"})
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/plain")


def test_metrics_show_sends_by_channel_and_status_and_the_queue_depth(session, env):
    from db.models import Campaign, MarketingActivity
    from ops import metrics
    from workers.broker import broker

    env(MKT_METRICS_TOKEN="")
    campaign = Campaign(name="spring", channel="sms")
    session.add(campaign)
    session.flush()
    for i, status in enumerate(["sent", "sent", "failed"]):
        contact = create_contact(session, phone=f"+1415555010{i}")
        session.add(MarketingActivity(campaign_id=campaign.id, contact_id=contact.id, channel="sms", status=status))
    session.commit()
    queue = f"opsq{uuid.uuid4().hex[:6]}"

    @dramatiq.actor(actor_name=f"test.idle_{queue}", queue_name=queue, max_retries=0)
    def idle() -> None:
        return None

    idle.send()
    idle.send()
    metrics.collector.invalidate()
    text = _app_client().get("/metrics").text
    assert 'mkt_sends{channel="sms",status="sent"} 2.0' in text
    assert 'mkt_sends{channel="sms",status="failed"} 1.0' in text
    assert f'mkt_queue_depth{{queue="{queue}"}} 2.0' in text
    assert 'mkt_scrape_error{source="database"} 0.0' in text
    broker.flush(queue)


def test_jobs_are_counted_by_outcome_across_processes(db):
    from ops.jobs import stats
    from workers.broker import broker

    queue = f"opsj{uuid.uuid4().hex[:6]}"
    name = f"test.flaky_{queue}"

    @dramatiq.actor(actor_name=name, queue_name=queue, max_retries=0)
    def flaky(fail: bool) -> None:
        if fail:
            raise ValueError("scripted")

    worker = dramatiq.Worker(broker, queues={queue}, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        flaky.send(False)
        flaky.send(False)
        flaky.send(True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sum(n for (a, _), n in stats.counts()[0].items() if a == name) < 3:
            time.sleep(0.05)
    finally:
        worker.stop()
    counts, seconds = stats.counts()
    assert counts[(name, "ok")] == 2 and counts[(name, "failed")] == 1
    assert seconds[name] >= 0


def test_doctor_reports_database_schema_and_broker(db):
    from ops.doctor import FAIL, OK, run_checks

    checks = {c.name: c for c in run_checks(wait_seconds=0, providers=False)}
    assert checks["database"].status == OK and checks["schema"].status == OK, checks
    assert checks["broker"].status == OK
    assert not [c for c in checks.values() if c.status == FAIL], checks


def test_doctor_round_trip_proves_a_worker_consumes_the_queue(db):
    from ops.doctor import OK, WARN, _round_trip
    from workers.broker import broker

    assert _round_trip(0.3).status == WARN  # nobody consumes the default queue yet
    broker.flush("default")
    worker = dramatiq.Worker(broker, queues={"default"}, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        check = _round_trip(10)
    finally:
        worker.stop()
    assert check.status == OK, check


def test_doctor_checks_provider_credentials_with_a_cheap_authenticated_call(env):
    from ops.doctor import FAIL, OK, PROBES, check_providers

    openai, postmark = FakeOpenAI(lambda _body: Reply(content="hi")), FakePostmark()
    with serve_app(openai.app()) as openai_url, serve_app(postmark.app()) as postmark_url:
        env(OPENAI_API_KEY=openai.api_key, OPENAI_BASE_URL=f"{openai_url}/v1", POSTMARK_SERVER_TOKEN=postmark.token,
            MKT_POSTMARK_API_URL=postmark_url)
        from settings import get_settings

        good = {c.name: c for c in check_providers(get_settings())}
        env(OPENAI_API_KEY="sk-wrong-key", POSTMARK_SERVER_TOKEN="wrong-token")
        bad = {c.name: c for c in check_providers(get_settings())}
    assert good["openai"].status == OK and good["postmark"].status == OK, good
    assert bad["openai"].status == FAIL and "refused the credentials (HTTP 401)" in bad["openai"].detail
    assert bad["postmark"].status == FAIL
    assert {c.name for c in good.values()} == {p.name for p in PROBES}
    assert good["sentdm"].status == "skip" and "SANDBOX" in good["sentdm"].detail
    assert postmark.delivered == []  # the check sends nothing


def test_mkt_doctor_says_what_is_wrong_in_one_line_and_exits_1(tmp_path):
    empty = tmp_path / "empty.db"
    env = {"PATH": "/usr/bin:/bin", "MKT_VAR_DIR": str(tmp_path), "MKT_DATABASE_URL": f"sqlite:///{empty}",
           "MKT_REDIS_URL": ""}
    run = subprocess.run([sys.executable, "-m", "cli.main", "doctor", "--wait", "0", "--no-providers"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, run.stdout + run.stderr
    schema = next(line for line in run.stdout.splitlines() if " schema " in line)
    assert schema.startswith("fail") and "run `mkt db upgrade`" in schema
    assert "Traceback" not in run.stderr


def test_dramatiqs_discarded_result_warning_is_dropped_below_debug():
    logger, out = _capture(KeyValueFormatter(), [])
    noisy = logging.getLogger("dramatiq.worker.WorkerThread")
    handler = logger.handlers[0]
    noisy.addHandler(handler)
    try:
        noisy.warning("Actor 'analytics.refresh' returned a value that is not None, and you haven't added ...")
        noisy.warning("Failed to process message x with unhandled exception.")
    finally:
        noisy.removeHandler(handler)
    text = out.getvalue()
    assert "returned a value" not in text and "Failed to process message" in text


def test_request_lines_name_the_route_template_not_path_parameters(db, caplog):
    caplog.set_level(logging.INFO, logger="mkt.http")
    client = _app_client()
    client.get("/api/v1/contacts/424242?token=query-secret")
    client.get("/no/such/page")
    lines = [r for r in caplog.records if r.name == "mkt.http"]
    matched = next(r for r in lines if getattr(r, "route", "") == "/api/v1/contacts/{contact_id}")
    assert matched.status == 401 and not hasattr(matched, "path")
    assert "424242" not in str(vars(matched)) and "query-secret" not in caplog.text
    unmatched = next(r for r in lines if getattr(r, "route", "") == "unmatched")
    assert unmatched.path == "/no/such/page" and unmatched.status == 404
