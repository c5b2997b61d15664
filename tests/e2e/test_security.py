"""No one gets in without credentials, against the real server (`mkt serve`): the chat websocket, Chainlit's HTTP
endpoints (actions, files, threads, user), every route of the companion endpoint (API, webhooks, /metrics); and
the server's logs of the whole run hold none of the secrets it was given or saw.

The companion-endpoint matrix walks `webhooks.app.routers()`, so a route added later is covered at once: only
the routes in PUBLIC may answer without credentials."""

from __future__ import annotations

import asyncio
import re
import time
import uuid

import httpx
import jwt
import pytest

from tests.conftest import clean_tables
from tests.e2e.server import ADMIN_PASSWORD, open_chat, running_server
from tests.faults_support import wait_until

pytestmark = pytest.mark.slow

PUBLIC = {"/healthz", "/readyz", "/api/openapi.json", "/api/docs"}
SECRETS = {
    "CHAINLIT_AUTH_SECRET": "chainlit-secret-" + uuid.uuid4().hex,
    "MKT_METRICS_TOKEN": "metrics-token-" + uuid.uuid4().hex[:16],
    "POSTMARK_SERVER_TOKEN": "postmark-token-" + uuid.uuid4().hex[:16],
    "SENTDM_API_KEY": "sentdm-key-" + uuid.uuid4().hex[:16],
    "FIRECRAWL_API_KEY": "fc-key-" + uuid.uuid4().hex[:16],
    "CHATWOOT_API_TOKEN": "chatwoot-token-" + uuid.uuid4().hex[:16],
    "MKT_CHATWOOT_WEBHOOK_SECRET": "chatwoot-hook-" + uuid.uuid4().hex[:16],
    "MKT_CHATWOOT_WEBHOOK_TOKEN": "chatwoot-url-" + uuid.uuid4().hex[:16],
    "MKT_CALCOM_WEBHOOK_SECRET": "calcom-hook-" + uuid.uuid4().hex[:16],
    "MKT_POSTMARK_WEBHOOK_PASSWORD": "pm-hook-" + uuid.uuid4().hex[:16],
    "MKT_SENTDM_WEBHOOK_SECRET": "whsec_" + uuid.uuid4().hex,
    "MKT_UNSUBSCRIBE_SECRET": "unsub-" + uuid.uuid4().hex[:16],
}
CHAT_BODY = "Body-Marker-" + uuid.uuid4().hex[:8]
# Chainlit endpoints that must refuse a request without a valid login (method, path)
CHAINLIT_PRIVATE = [
    ("GET", "/user"),
    ("POST", "/project/threads"),
    ("GET", "/project/thread/00000000-0000-0000-0000-000000000000"),
    ("PUT", "/project/thread"),
    ("DELETE", "/project/thread"),
    ("POST", "/project/action"),
    ("POST", "/project/file"),
    ("GET", "/project/file/abc"),
    ("PUT", "/project/element"),
    ("PUT", "/feedback"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    clean_tables()
    env = {**SECRETS, "MKT_SENDER_POSTAL_ADDRESS": "1 Main St, Springfield", "MKT_POSTMARK_API_URL": "http://127.0.0.1:9",
           "MKT_SENTDM_API_URL": "http://127.0.0.1:9", "CHATWOOT_API_URL": "http://127.0.0.1:9",
           "FIRECRAWL_API_URL": "http://127.0.0.1:9", "MKT_LOG_FORMAT": "json", "MKT_LOG_LEVEL": "INFO"}
    with running_server(tmp_path_factory.mktemp("security"), **env) as srv:
        yield srv


def forged_cookie(secret: str) -> str:
    token = jwt.encode({"identifier": "admin@example.com", "metadata": {"role": "admin"}, "display_name": "x",
                        "exp": int(time.time()) + 3600}, secret, algorithm="HS256")
    return f"access_token={token}"


def _request(server, method: str, path: str, **kw) -> httpx.Response:
    kw.setdefault("timeout", 10)
    if method in ("POST", "PUT", "PATCH", "DELETE") and "content" not in kw and "files" not in kw:
        kw["json"] = {}
    return httpx.request(method, server.base + path, **kw)


@pytest.mark.parametrize("method,path", CHAINLIT_PRIVATE)
def test_chainlit_endpoints_refuse_requests_without_a_valid_login(server, method, path):
    assert _request(server, method, path).status_code in (401, 403), "no cookie"
    forged = _request(server, method, path, headers={"cookie": forged_cookie("not-the-secret-" * 3)})
    assert forged.status_code in (401, 403), "a token signed with another secret"


def test_a_valid_login_gets_through_where_a_forged_one_does_not(server):
    login = server.login()
    assert login.status_code == 200
    cookie = f"access_token={login.cookies['access_token']}"
    assert _request(server, "GET", "/user", headers={"cookie": cookie}).status_code == 200
    assert _request(server, "GET", "/user", headers={"cookie": forged_cookie("x" * 40)}).status_code == 401


def test_the_chat_websocket_refuses_missing_and_forged_logins(server):
    import socketio

    async def connect(headers: dict[str, str]) -> None:
        sio = socketio.AsyncClient()
        try:
            await sio.connect(server.base, socketio_path="/ws/socket.io", transports=["websocket"], headers=headers,
                              auth={"sessionId": str(uuid.uuid4()), "clientType": "webapp",
                                    "threadId": str(uuid.uuid4())})
        finally:
            await sio.disconnect()

    for headers in ({}, {"cookie": forged_cookie("not-the-secret-" * 3)}):
        with pytest.raises(socketio.exceptions.ConnectionError):
            asyncio.run(connect(headers))


def _companion_routes() -> list[tuple[str, str]]:
    from webhooks.app import routers

    out = []
    for router in routers():
        for route in router.routes:
            for method in sorted(getattr(route, "methods", None) or []):
                if method != "HEAD":
                    out.append((method, route.path))
    return out


def test_every_companion_route_refuses_a_request_without_credentials(server):
    routes = _companion_routes()
    assert any(p.startswith("/api/v1") for _, p in routes) and ("GET", "/metrics") in routes
    checked = []
    for method, template in routes:
        if template in PUBLIC:
            continue
        path = re.sub(r"\{[^}]+\}", "1", template)
        resp = _request(server, method, path)
        assert resp.status_code in (401, 403, 404), f"{method} {path} answered {resp.status_code}: {resp.text[:200]}"
        assert resp.status_code != 404 or "{" in template, f"{method} {path}: 404 on a route that exists"
        checked.append(template)
    assert len(checked) >= 5, checked


def test_api_keys_wrong_revoked_or_lacking_the_scope_are_refused(server):
    from db.session import unit_of_work
    from domain.roles import Role
    from tools.api_keys import create_api_key, revoke_api_key
    from tools.users import Actor

    admin = Actor(email="admin@example.com", role=Role.ADMIN)
    with unit_of_work() as uow:
        reader = create_api_key(uow.session, admin, name="reader", scopes="contacts:read").key
        revoked = create_api_key(uow.session, admin, name="old", scopes="all")
        revoke_api_key(uow.session, admin, revoked.view.id)
    api = server.base + "/api/v1/contacts"
    assert httpx.get(api, headers={"X-Api-Key": reader}, timeout=10).status_code == 200
    assert httpx.get(api, headers={"Authorization": f"Bearer {reader}"}, timeout=10).status_code == 200
    assert httpx.post(api, headers={"X-Api-Key": reader}, json={"email": "a@example.com"}, timeout=10).status_code == 403
    assert httpx.get(api, headers={"X-Api-Key": revoked.key}, timeout=10).status_code == 401
    assert httpx.get(api, headers={"X-Api-Key": reader + "x"}, timeout=10).status_code == 401
    assert httpx.get(api, headers={"X-Api-Key": "mkt_000000000000.guess"}, timeout=10).status_code == 401
    SEEN_KEYS.extend([reader, revoked.key])


SEEN_KEYS: list[str] = []


def test_metrics_need_their_token_on_the_real_server(server):
    assert httpx.get(server.base + "/metrics", timeout=10).status_code == 401
    ok = httpx.get(server.base + "/metrics", headers={"Authorization": f"Bearer {SECRETS['MKT_METRICS_TOKEN']}"},
                   timeout=10)
    assert ok.status_code == 200 and "mkt_http_requests_total" in ok.text


def test_the_logs_of_the_run_hold_no_secret_and_no_message_body(server):
    chat = open_chat(server)
    messages = asyncio.run(chat.run([CHAT_BODY], wait_for=2))
    assert messages, "the chat answered nothing"
    assert server.login(password="wrong password " + SECRETS["MKT_METRICS_TOKEN"]).status_code == 401
    last = f"flush-{uuid.uuid4().hex}"  # the last request's id: its line is written after every earlier one
    httpx.get(server.base + "/api/v1/contacts", headers={"Authorization": "Bearer mkt_0123456789ab.topsecretguess",
                                                         "X-Request-Id": last}, timeout=10)
    wait_until(f"the server log to hold the line of request {last}", lambda: last in server.log(), 60)
    log = server.log()
    assert '"request_id"' in log, "request lines carry a request id"
    leaked = [name for name, value in SECRETS.items() if value in log]
    assert not leaked, f"secrets in the server log: {leaked}"
    assert ADMIN_PASSWORD not in log
    assert chat.cookie.split("=", 1)[1] not in log, "the session token is in the log"
    assert "topsecretguess" not in log
    for key in SEEN_KEYS:
        assert key.split(".", 1)[1] not in log, "an API key's secret part is in the log"
    assert CHAT_BODY not in log, "the chat message body is logged at INFO"
