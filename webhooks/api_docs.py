"""OpenAPI and docs at /api/openapi.json and /api/docs when our routes are mounted into Chainlit's app
(which serves its own /openapi.json). The schema describes only the companion endpoint's routes, which the
caller passes in (webhooks/app.py: `docs_router(routers())`)."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

TITLE = "mkt companion endpoint"


def docs_router(routers: list[APIRouter]) -> APIRouter:
    """A router serving the OpenAPI schema of `routers` (built on first request) and its Swagger page."""
    router = APIRouter(include_in_schema=False)

    @cache
    def schema() -> dict[str, Any]:
        app = FastAPI(title=TITLE, openapi_url="/api/openapi.json")
        for item in routers:
            app.include_router(item)
        return app.openapi()

    @router.get("/api/openapi.json")
    async def openapi_json() -> JSONResponse:
        return JSONResponse(schema())

    @router.get("/api/docs")
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title=f"{TITLE} - docs")

    return router
