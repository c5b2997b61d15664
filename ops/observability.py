"""Optional error reporting (Sentry) and tracing (OpenTelemetry), both off unless configured, and LangSmith kept
off unless explicitly enabled.

- Sentry (MKT_SENTRY_DSN): unhandled errors and ERROR log lines, without personal data (send_default_pii off, no
  request bodies) and with every string of the event (messages, exception values, breadcrumbs, extra data, local
  variables) redacted as the logs are (ops.logging.redact: the settings' secrets, bearer tokens, key=... pairs,
  URL passwords), in `before_send` and `before_breadcrumb`, the last hooks before anything leaves the process.
- OpenTelemetry (MKT_OTEL_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT): one span per HTTP request (route template,
  method, status) and per job (actor, outcome, retries), sent over OTLP/HTTP through `RedactingExporter`, which
  redacts the span's name, attributes, events and status text the same way.
- LangSmith: LangChain switches tracing on by itself when LANGSMITH_TRACING or LANGCHAIN_TRACING_V2 is true in
  the environment, and would then send every prompt and answer of the chat model (contact names, emails, phone
  numbers, imported rows, scraped page text) to LangSmith. Unless MKT_LANGSMITH_TRACING=true, `configure` forces
  those variables to false before any model runs; when enabled, it says so in the log at start.

`configure()` is idempotent; cli/main.py calls it for every command, ops/worker_boot.py in worker processes."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from ops.logging import redact, redact_value, secret_values

log = logging.getLogger("mkt.observability")
LANGCHAIN_SWITCHES = ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGCHAIN_TRACING", "LANGSMITH_TRACING_V2")
LANGSMITH_SENDS = ("every prompt and answer of the chat model, with the tool calls and their results: contact "
                   "names, emails, phone numbers, imported rows and scraped page text")
_state: dict[str, Any] = {}


def configure(settings: Any | None = None) -> list[str]:
    """Apply the settings; returns one line per hook that is on (for the start-up banner and `mkt doctor`)."""
    if settings is None:
        from settings import get_settings

        settings = get_settings()
    lines = [_langsmith(settings)]
    if settings.sentry_dsn and _state.get("sentry") != settings.sentry_dsn:
        _sentry(settings)
        _state["sentry"] = settings.sentry_dsn
    if settings.sentry_dsn:
        lines.append("Errors: Sentry (redacted, no personal data)")
    if settings.otel_endpoint and _state.get("otel") != settings.otel_endpoint:
        _tracing(settings)
        _state["otel"] = settings.otel_endpoint
    if settings.otel_endpoint:
        lines.append(f"Traces: OpenTelemetry to {settings.otel_endpoint} (redacted)")
    return [line for line in lines if line]


def _langsmith(settings: Any) -> str:
    if not settings.langsmith_tracing:
        for name in LANGCHAIN_SWITCHES:
            if os.environ.get(name, "").lower() not in ("", "false", "0"):
                log.warning("%s is set but LangSmith tracing stays off (MKT_LANGSMITH_TRACING=true enables it)", name)
            os.environ[name] = "false"
        return ""
    os.environ["LANGSMITH_TRACING"] = "true"
    log.warning("LangSmith tracing is on (MKT_LANGSMITH_TRACING): it receives %s", LANGSMITH_SENDS)
    return "LangSmith tracing: ON - sends " + LANGSMITH_SENDS


# --- Sentry ------------------------------------------------------------------------------------------------------

def scrub(event: dict[str, Any], secrets: Sequence[str]) -> dict[str, Any]:
    """The event with every string redacted (values under secret-looking keys replaced whole)."""
    return redact_value("", event, list(secrets)) if isinstance(event, dict) else event


def _sentry(settings: Any) -> None:
    import sentry_sdk
    from sentry_sdk.utils import BadDsn, Dsn

    from ops.version import version

    secrets = secret_values(settings)
    try:
        Dsn(settings.sentry_dsn)
    except BadDsn as exc:
        raise ValueError(f"MKT_SENTRY_DSN is not a Sentry DSN: {exc}") from None
    sentry_sdk.init(
        dsn=settings.sentry_dsn, release=f"mkt@{version()}", send_default_pii=False, max_request_body_size="never",
        include_local_variables=False, traces_sample_rate=0.0,
        before_send=lambda event, _hint: scrub(event, secrets),
        before_breadcrumb=lambda crumb, _hint: scrub(crumb, secrets),
    )


# --- OpenTelemetry ------------------------------------------------------------------------------------------------

class RedactingExporter:
    """A SpanExporter that redacts every span like a log line, then hands it to the real exporter."""

    def __init__(self, inner: Any, secrets: Sequence[str]) -> None:
        self.inner = inner
        self.secrets = list(secrets)

    def export(self, spans: Sequence[Any]) -> Any:
        return self.inner.export([self._redacted(span) for span in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.inner.force_flush(timeout_millis)

    def _redacted(self, span: Any) -> Any:
        from opentelemetry.sdk.trace import Event, ReadableSpan
        from opentelemetry.trace import Status

        def attrs(values: Any) -> dict[str, Any]:
            return {k: (redact_value(k, v, self.secrets) if isinstance(v, str) else v) for k, v in (values or {}).items()}

        status = span.status
        if status is not None and status.description:
            status = Status(status.status_code, redact(status.description, self.secrets))
        return ReadableSpan(
            name=redact(span.name, self.secrets), context=span.context, parent=span.parent, resource=span.resource,
            attributes=attrs(span.attributes), links=span.links, kind=span.kind, status=status,
            start_time=span.start_time, end_time=span.end_time, instrumentation_scope=span.instrumentation_scope,
            events=[Event(e.name, attrs(e.attributes), e.timestamp) for e in span.events],
        )


def _tracing(settings: Any, exporter: Any = None) -> Any:
    """Install a tracer provider sending to the collector (or to `exporter`, for tests); returns the provider."""
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_endpoint.rstrip("/")
        exporter = OTLPSpanExporter(endpoint=endpoint if endpoint.endswith("/v1/traces") else endpoint + "/v1/traces")
    provider = TracerProvider(resource=Resource.create({"service.name": "mkt"}))
    provider.add_span_processor(BatchSpanProcessor(RedactingExporter(exporter, secret_values(settings))))
    trace.set_tracer_provider(provider)
    _state["provider"] = provider
    return provider


def tracer() -> Any:
    """Our tracer: a no-op until `configure` installed a provider."""
    from opentelemetry import trace

    return trace.get_tracer("mkt")


def flush() -> None:
    """Send the spans still buffered (tests; a process about to exit)."""
    provider = _state.get("provider")
    if provider is not None:
        provider.force_flush()
