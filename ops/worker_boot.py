"""Imported by `mkt worker` (as an extra module of the dramatiq CLI) in every worker process, after the broker
and the actors: switches the process to our structured logs and the optional Sentry / OpenTelemetry hooks (ops/observability.py). Nothing else happens at import."""

from ops import observability
from ops.logging import configure

configure()
observability.configure()
