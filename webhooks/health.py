"""GET /healthz (the process is up) and GET /readyz (database and broker reachable)."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from db.session import get_engine

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _check_database() -> str:
    with get_engine().connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    return "ok"


def _check_broker() -> str:
    from workers.broker import ping

    return ping()


@router.get("/readyz")
async def readyz() -> JSONResponse:
    checks: dict[str, str] = {}
    ok = True
    for name, fn in (("database", _check_database), ("broker", _check_broker)):
        try:
            checks[name] = await asyncio.to_thread(fn)
        except Exception as exc:  # noqa: BLE001 - report any failure as not ready
            ok = False
            checks[name] = f"unreachable: {type(exc).__name__}"
    return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)
