"""Outbound webhooks connect to the address that was checked: a name that answers a public address to the check
and an internal one a moment later (DNS rebinding) never gets the POST to the internal service."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tools.outbound import PreparedDelivery, post

NAME = "hooks.rebind.test"


def internal_service(hits: list[str]) -> tuple[uvicorn.Server, int]:
    async def hook(request: Request) -> Response:
        hits.append(request.headers.get("x-mkt-event", ""))
        return Response("ok")

    with socket.socket() as s:
        s.bind(("127.0.0.2", 0))
        port = s.getsockname()[1]
    app = Starlette(routes=[Route("/hook", hook, methods=["POST", "GET"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.2", port=port, log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.2:{port}/hook", timeout=0.5)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    hits.clear()
    return server, port


def test_a_name_rebound_to_an_internal_address_after_the_check_gets_nothing(monkeypatch, db):
    hits: list[str] = []
    server, port = internal_service(hits)
    real = socket.getaddrinfo
    answers = iter(["8.8.8.8"])  # the first answer (the check) is public; every later one is internal

    def rebinding(host, port_, *args, **kwargs):
        if host == NAME:
            address = next(answers, "127.0.0.2")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port_ or 80))]
        return real(host, port_, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setenv("MKT_OUTBOUND_ALLOW_LOOPBACK", "false")
    from settings import get_settings

    get_settings.cache_clear()
    try:
        status, error = post(PreparedDelivery(1, f"http://{NAME}:{port}/hook", "secret", "contact.created", b"{}", 0))
    finally:
        server.should_exit = True
        get_settings.cache_clear()
    assert hits == [], "the POST reached the internal address the name was rebound to"
    assert status is None and error and ("not a public" in error or "refused" in error), error
