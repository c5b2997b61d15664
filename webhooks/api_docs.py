"""OpenAPI and docs at /api/openapi.json and /api/docs when our routes are mounted into Chainlit's app
(which serves its own /openapi.json), and on the companion endpoint's own app. The schema describes only the
companion endpoint's routes, which the caller passes in (webhooks/app.py: `docs_router(routers())`), plus the
outbound events in its OpenAPI 3.1 `webhooks` section (webhooks/api_events.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

TITLE = "mkt companion endpoint"
DESCRIPTION = ("Provider webhooks and the n8n API (/api/v1: API key in X-Api-Key or Authorization: Bearer). "
               "Automation tools subscribe to outbound events with POST /api/v1/hooks; each delivery is signed "
               "in the Standard Webhooks format (https://www.standardwebhooks.com).")


def openapi_document(routers: list[APIRouter]) -> dict[str, Any]:
    """The OpenAPI document of `routers`, with the outbound events and the components of raw-body requests."""
    from webhooks.api_events import events_router, tidy
    from webhooks.api_schema import add_components

    app = FastAPI(title=TITLE, description=DESCRIPTION, version="1", openapi_url="/api/openapi.json",
                  webhooks=events_router())
    for item in routers:
        app.include_router(item)
    return tidy(add_components(app.openapi()))


def docs_router(routers: list[APIRouter]) -> APIRouter:
    """A router serving the OpenAPI schema of `routers` (built on first request) and its Swagger page."""
    router = APIRouter(include_in_schema=False)

    @cache
    def schema() -> dict[str, Any]:
        return openapi_document(routers)

    @router.get("/api/openapi.json")
    async def openapi_json() -> JSONResponse:
        return JSONResponse(schema())

    @router.get("/api/docs")
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title=f"{TITLE} - docs")

    return router
