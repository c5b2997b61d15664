"""Build the companion endpoint: as its own FastAPI app, or mounted into Chainlit's server ahead of its
catch-all GET route (STACK.md: a later GET route would be shadowed by the SPA)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

import workers.actors  # noqa: F401  (declares every actor: what the routes call enqueues jobs by name)
from webhooks.api import router as api_router
from webhooks.api_docs import docs_router
from webhooks.calcom import router as calcom_router
from webhooks.chatwoot import router as chatwoot_router
from webhooks.health import router as health_router
from webhooks.metrics import router as metrics_router
from webhooks.providers import router as providers_router


def routers() -> list[APIRouter]:
    """Every router of the companion endpoint. New areas (providers, n8n API) add theirs here."""
    return [health_router, metrics_router, chatwoot_router, calcom_router, api_router, providers_router]


def create_app() -> FastAPI:
    """The companion endpoint on its own (`mkt api`), with OpenAPI at /api/openapi.json."""
    app = FastAPI(title="mkt companion endpoint", openapi_url=None, docs_url=None, redoc_url=None)
    for router in [*routers(), docs_router(routers())]:  # one schema builder for both ways (api_docs.py)
        app.include_router(router)
    request_context(app)
    return app


def mount_on(app: FastAPI) -> None:
    """Add our routes to an existing app (Chainlit's), placed before every route it already has."""
    if getattr(app.state, "mkt_mounted", False):
        return
    before = len(app.router.routes)
    for router in [*routers(), docs_router(routers())]:  # Chainlit keeps /openapi.json: ours is /api/openapi.json
        app.include_router(router)
    added = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[0:0] = added
    request_context(app)
    app.state.mkt_mounted = True


def request_context(app: FastAPI) -> None:
    """Request ids in logs and responses, one log line and the /metrics counters per request (ops/http.py);
    inside it, the body-size guard (webhooks/guard.py)."""
    from ops.http import install
    from webhooks import guard

    guard.install(app)
    install(app)
