"""GET /metrics: the platform's Prometheus metrics (ops/metrics.py). When MKT_METRICS_TOKEN is set, the request
must carry `Authorization: Bearer <token>`; otherwise it is open, and the proxy should keep it internal
(docs/deploy.md). The figures are counts only: no contact, address or message text."""

from __future__ import annotations

import asyncio
import hmac

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from settings import get_settings

router = APIRouter(tags=["operations"])


def _authorised(request: Request) -> bool:
    token = get_settings().metrics_token
    if not token:
        return True
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    if not _authorised(request):
        return PlainTextResponse("metrics need a bearer token\n", status_code=401,
                                 headers={"WWW-Authenticate": "Bearer"})
    from ops.metrics import render

    body = await asyncio.to_thread(render)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
