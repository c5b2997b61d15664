"""The checks behind `mkt doctor`: configuration, database, schema revision, broker, a worker round trip, and
each configured provider's credentials by the cheapest authenticated call it has. Each check answers in one line
what is right or what is wrong and how to fix it; none of them writes anything but the queue's ping message.

Statuses: ok, warn (works, but not as a production deployment should), fail (broken), skip (not configured:
the sandbox or offline twin runs instead, which the line says)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import httpx

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
SENTDM_PROBE_ID = "00000000-0000-0000-0000-000000000000"


@dataclass
class Check:
    name: str
    status: str
    detail: str


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def check_configuration(settings: Any) -> list[Check]:
    """Values that load but would hurt in production."""
    out: list[Check] = []
    problems: list[str] = []
    if settings.log_format.lower() not in ("text", "json"):
        problems.append(f"MKT_LOG_FORMAT={settings.log_format!r} is neither text nor json")
    try:
        ZoneInfo(settings.account_timezone)
    except Exception:  # noqa: BLE001 - any lookup failure is a bad name
        problems.append(f"MKT_ACCOUNT_TIMEZONE={settings.account_timezone!r} is not a time zone name")
    if not settings.sandbox_email and not settings.sender_postal_address:
        problems.append("Postmark is on but MKT_SENDER_POSTAL_ADDRESS is empty (every email must carry it)")
    if problems:
        return [Check("configuration", FAIL, "; ".join(problems))]
    if not settings.is_sqlite and not settings.chainlit_auth_secret:
        out.append(Check("configuration", WARN, "CHAINLIT_AUTH_SECRET is not set: logins are signed with a secret "
                         "kept in MKT_VAR_DIR, which other replicas do not share"))
    if settings.redis_url and not getattr(settings, "unsubscribe_secret", ""):
        out.append(Check("configuration", WARN, "MKT_UNSUBSCRIBE_SECRET is not set: each machine generates its own, "
                         "so links signed by a worker may not verify on the app"))
    if settings.redis_url and settings.is_sqlite:
        out.append(Check("configuration", WARN, "Redis workers on the embedded SQLite file: use PostgreSQL "
                         "(MKT_DATABASE_URL) when workers run as separate processes"))
    if getattr(settings, "langsmith_tracing", False):
        from ops.observability import LANGSMITH_SENDS

        out.append(Check("configuration", WARN, f"MKT_LANGSMITH_TRACING is on: LangSmith receives {LANGSMITH_SENDS}"))
    if not settings.is_sqlite and not settings.metrics_token:
        out.append(Check("configuration", WARN, "MKT_METRICS_TOKEN is empty: /metrics answers anyone who reaches "
                         "the app; block it at the proxy or set a token"))
    return out or [Check("configuration", OK, "; ".join(settings.mode_lines()))]


def check_database(settings: Any) -> list[Check]:
    import sqlalchemy as sa
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from db import migrate
    from db.session import describe_url, get_engine

    where = describe_url(settings.effective_database_url)
    try:
        with get_engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:  # noqa: BLE001 - reported as one line
        return [Check("database", FAIL, f"cannot connect to {where}: {_first_line(exc)}. Check MKT_DATABASE_URL "
                      "and that the server runs")]
    heads = set(ScriptDirectory.from_config(migrate.alembic_config()).get_heads())
    checks = [Check("database", OK, f"connected to {where}")]
    if current == heads:
        checks.append(Check("schema", OK, f"at the latest revision {', '.join(sorted(heads))}"))
    elif not current:
        checks.append(Check("schema", FAIL, "empty database: run `mkt db upgrade`"))
    else:
        checks.append(Check("schema", FAIL, f"at {', '.join(sorted(current))}, latest is {', '.join(sorted(heads))}:"
                            " run `mkt db upgrade`"))
    return checks


def check_broker(settings: Any, *, wait_seconds: float = 5.0) -> list[Check]:
    """Reach Redis, then send `system.ping` and wait for a worker to consume it."""
    if not settings.redis_url:
        return [Check("broker", OK, "in-process queue (no MKT_REDIS_URL)"),
                Check("worker", SKIP, "the in-process worker runs inside `mkt serve`")]
    from workers.broker import ping

    try:
        ping()
    except Exception as exc:  # noqa: BLE001
        return [Check("broker", FAIL, f"cannot reach Redis: {_first_line(exc)}. Check MKT_REDIS_URL"),
                Check("worker", SKIP, "no broker")]
    checks = [Check("broker", OK, "Redis answers")]
    if wait_seconds <= 0:
        return [*checks, Check("worker", SKIP, "round trip not asked for")]
    return [*checks, _round_trip(wait_seconds)]


def _round_trip(wait_seconds: float) -> Check:
    from ops.jobs import stats
    from workers.actors import system_ping

    token = f"doctor-{uuid.uuid4().hex[:12]}"
    system_ping.send(token)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if stats.has_pong(token):
            return Check("worker", OK, "a worker consumed system.ping")
        time.sleep(0.1)
    return Check("worker", WARN, f"no worker consumed system.ping within {wait_seconds:g} s: start `mkt worker` "
                 "(or check its logs)")


# --- providers ------------------------------------------------------------------------------------------------

@dataclass
class Probe:
    name: str
    configured: Callable[[Any], bool]
    request: Callable[[Any], tuple[str, str, dict[str, str]]]  # method, url, headers
    off: str  # what runs when it is not configured


def _openai(s: Any) -> tuple[str, str, dict[str, str]]:
    base = (s.openai_base_url or "https://api.openai.com/v1").rstrip("/")
    return "GET", f"{base}/models", {"Authorization": f"Bearer {s.openai_api_key}"}


def _postmark(s: Any) -> tuple[str, str, dict[str, str]]:
    return ("GET", f"{s.postmark_api_url.rstrip('/')}/messages/outbound?count=1&offset=0",
            {"X-Postmark-Server-Token": s.postmark_server_token, "Accept": "application/json"})


def _sentdm(s: Any) -> tuple[str, str, dict[str, str]]:
    # No account endpoint is documented; reading an id that cannot exist is authenticated and costs nothing.
    return "GET", f"{s.sentdm_api_url.rstrip('/')}/v3/messages/{SENTDM_PROBE_ID}", {"x-api-key": s.sentdm_api_key}


def _firecrawl(s: Any) -> tuple[str, str, dict[str, str]]:
    return ("GET", f"{s.firecrawl_api_url.rstrip('/')}/v2/team/credit-usage",
            {"Authorization": f"Bearer {s.firecrawl_api_key}"})


def _chatwoot(s: Any) -> tuple[str, str, dict[str, str]]:
    return "GET", f"{s.chatwoot_api_url.rstrip('/')}/api/v1/profile", {"api_access_token": s.chatwoot_api_token}


PROBES = [
    Probe("openai", lambda s: bool(s.openai_api_key), _openai, "offline model (no OPENAI_API_KEY)"),
    Probe("postmark", lambda s: bool(s.postmark_server_token), _postmark, "email SANDBOX (no POSTMARK_SERVER_TOKEN)"),
    Probe("sentdm", lambda s: bool(s.sentdm_api_key), _sentdm, "SMS SANDBOX (no SENTDM_API_KEY)"),
    Probe("firecrawl", lambda s: bool(s.firecrawl_api_key), _firecrawl, "built-in fetcher (no FIRECRAWL_API_KEY)"),
    Probe("chatwoot", lambda s: bool(s.chatwoot_api_url and s.chatwoot_api_token), _chatwoot,
          "replies recorded only (no CHATWOOT_API_URL/CHATWOOT_API_TOKEN)"),
]


def check_provider(probe: Probe, settings: Any, client: httpx.Client) -> Check:
    if not probe.configured(settings):
        return Check(probe.name, SKIP, probe.off)
    method, url, headers = probe.request(settings)
    host = httpx.URL(url).host
    try:
        resp = client.request(method, url, headers=headers)
    except httpx.HTTPError as exc:
        return Check(probe.name, FAIL, f"cannot reach {host}: {type(exc).__name__}")
    if resp.status_code in (401, 403):
        return Check(probe.name, FAIL, f"{host} refused the credentials (HTTP {resp.status_code}): check the key")
    if resp.status_code == 429:
        return Check(probe.name, WARN, f"{host} is rate limiting (HTTP 429); the key was not verified")
    if resp.status_code >= 500:
        return Check(probe.name, WARN, f"{host} answered HTTP {resp.status_code}; the key was not verified")
    return Check(probe.name, OK, f"{host} accepted the credentials (HTTP {resp.status_code})")


def check_providers(settings: Any, *, timeout: float = 5.0) -> list[Check]:
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        return [check_provider(probe, settings, client) for probe in PROBES]


def run_checks(*, wait_seconds: float = 5.0, providers: bool = True) -> list[Check]:
    """Every check, in order. A configuration that does not load stops here with one line."""
    from settings import get_settings, reset_settings

    reset_settings()
    try:
        settings = get_settings()
    except Exception as exc:  # noqa: BLE001 - pydantic's message, first error only
        errors = getattr(exc, "errors", lambda: [])()
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        return [Check("configuration", FAIL, f"{where}: {first.get('msg', _first_line(exc))}")]
    checks = check_configuration(settings)
    checks += check_database(settings)
    checks += check_broker(settings, wait_seconds=wait_seconds)
    if providers:
        checks += check_providers(settings)
    return checks
