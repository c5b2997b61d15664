"""OpenAPI and docs at /api/openapi.json and /api/docs when our routes are mounted into Chainlit's app
(which serves its own /openapi.json). The schema describes only the companion endpoint's routes."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

TITLE = "mkt companion endpoint"
router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    from webhooks.app import routers

    app = FastAPI(title=TITLE, openapi_url="/api/openapi.json")
    for item in routers():
        app.include_router(item)
    return app.openapi()


@router.get("/api/openapi.json")
async def openapi_json() -> JSONResponse:
    return JSONResponse(schema())


@router.get("/api/docs")
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/api/openapi.json", title=f"{TITLE} - docs")
