"""Attacks from outside against the real server (`mkt serve` in a subprocess, its public URL https): oversized
bodies sent chunked with no length or credentials (the server's peak memory is read from /proc around each
request), Chainlit's own routes included; headers, cookies and origins of every answer."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import clean_tables
from tests.e2e.server import running_server

pytestmark = pytest.mark.slow
MiB = 1 << 20
SENT_MB = 300
PEAK_GROWTH_BOUND_KB = 120 * 1024
PUBLIC_URL = "https://mkt.example.test"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    clean_tables()
    env = {"MKT_SENTDM_WEBHOOK_SECRET": "whsec_" + uuid.uuid4().hex, "MKT_LOG_LEVEL": "INFO",
           "MKT_PUBLIC_URL": PUBLIC_URL,
           "CHAINLIT_AUTH_SECRET": "attack-secret-" + uuid.uuid4().hex}
    with running_server(tmp_path_factory.mktemp("attacks"), **env) as srv:
        yield srv


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def send_chunked(base: str, path: str, megabytes: int, ctype: str) -> tuple[int, bytes]:
    """POST `megabytes` MB chunked (no Content-Length, no credentials); returns (bytes the server took before it
    stopped reading, the start of its answer)."""
    url = urlsplit(base)
    sock = socket.create_connection((url.hostname, url.port), timeout=30)
    head = (f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: {ctype}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b"%x\r\n" % MiB + b"[" * MiB + b"\r\n"
    taken = 0
    try:
        sock.sendall(head)
        for _ in range(megabytes):
            sock.sendall(chunk)
            taken += MiB
        sock.sendall(b"0\r\n\r\n")
    except OSError:  # the server answered and closed while we were still sending
        pass
    answer = b""
    try:
        answer = sock.recv(4096)
    except OSError:
        pass
    finally:
        sock.close()
    return taken, answer


@pytest.mark.parametrize("path,ctype", [("/webhooks/sentdm", "application/json"),
                                        ("/project/action", "application/json"),
                                        ("/login", "application/x-www-form-urlencoded")])
def test_a_huge_chunked_body_is_refused_while_it_arrives_and_memory_stays_flat(server, path, ctype):
    before = peak_rss_kb(server.process.pid)
    taken, answer = send_chunked(server.base, path, SENT_MB, ctype)
    grew = peak_rss_kb(server.process.pid) - before
    assert grew < PEAK_GROWTH_BOUND_KB, f"{path}: the server's peak memory grew by {grew // 1024} MB"
    assert taken < SENT_MB * MiB // 2, f"{path}: the server read {taken // MiB} MB before answering: {answer[:300]}"
    assert not answer or answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert httpx.get(server.base + "/healthz", timeout=10).status_code == 200


def test_an_upload_without_a_valid_login_is_refused_before_its_body_is_read(server):
    before = peak_rss_kb(server.process.pid)
    taken, answer = send_chunked(server.base, "/project/file", SENT_MB, "multipart/form-data; boundary=x")
    assert taken < SENT_MB * MiB // 2 and (not answer or answer.startswith(b"HTTP/1.1 401")), (taken, answer[:200])
    assert peak_rss_kb(server.process.pid) - before < PEAK_GROWTH_BOUND_KB


def test_a_declared_length_over_the_limit_is_refused_before_a_byte_is_read(server):
    url = urlsplit(server.base)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(f"POST /project/action HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {10**12}\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize("method,path", [("GET", "/"), ("GET", "/healthz"), ("GET", "/api/v1/contacts"),
                                         ("POST", "/webhooks/sentdm"), ("GET", "/user"), ("GET", "/unsubscribe/x"),
                                         ("POST", "/login")])
def test_every_page_and_api_answer_carries_the_security_headers(server, method, path):
    response = httpx.request(method, server.base + path, timeout=10)
    h = response.headers
    csp = h.get("content-security-policy", "")
    assert "img-src 'self' data: blob:;" in csp and "frame-ancestors 'none'" in csp, (path, csp)
    assert h.get("x-frame-options") == "DENY" and h.get("x-content-type-options") == "nosniff"
    assert h.get("referrer-policy") == "no-referrer"
    assert h.get("strict-transport-security", "").startswith("max-age="), "the public URL is https: HSTS"


def test_cors_answers_only_the_public_url(server):
    evil = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    preflight = httpx.options(server.base + "/project/action", headers=evil, timeout=10)
    assert preflight.headers.get("access-control-allow-origin") != "https://evil.example"
    simple = httpx.get(server.base + "/user", headers={"Origin": "https://evil.example"}, timeout=10)
    assert "access-control-allow-origin" not in simple.headers
    ours = httpx.options(server.base + "/project/action", headers={**evil, "Origin": PUBLIC_URL}, timeout=10)
    assert ours.headers.get("access-control-allow-origin") == PUBLIC_URL
    assert ours.headers.get("access-control-allow-credentials") == "true"


def test_the_login_cookie_is_secure_behind_an_https_public_url(server):
    login = server.login()
    assert login.status_code == 200
    cookie = login.headers["set-cookie"].lower()
    assert "access_token=" in cookie and "; secure" in cookie and "httponly" in cookie


def test_a_chat_socket_from_another_origin_is_refused(server):
    import asyncio

    import socketio

    token = server.login().cookies["access_token"]

    async def connect(origin: str | None) -> None:
        sio = socketio.AsyncClient()
        headers = {"cookie": f"access_token={token}", **({"Origin": origin} if origin else {})}
        try:
            await sio.connect(server.base, socketio_path="/ws/socket.io", transports=["websocket"], headers=headers,
                              auth={"sessionId": str(uuid.uuid4()), "clientType": "webapp",
                                    "threadId": str(uuid.uuid4())})
        finally:
            await sio.disconnect()

    asyncio.run(connect(None))
    asyncio.run(connect(PUBLIC_URL))
    with pytest.raises(socketio.exceptions.ConnectionError):
        asyncio.run(connect("https://evil.example"))


def test_logout_revokes_the_token_on_every_route_and_the_socket(server):
    import asyncio

    import socketio

    token = server.login().cookies["access_token"]
    cookie = {"cookie": f"access_token={token}"}
    other = server.login().cookies["access_token"]  # another session of the same user stays valid
    assert other != token, "two logins (even in one second) get two tokens"
    assert httpx.get(server.base + "/user", headers=cookie, timeout=10).status_code == 200
    assert httpx.post(server.base + "/logout", headers=cookie, timeout=10).status_code == 200
    assert httpx.get(server.base + "/user", headers=cookie, timeout=10).status_code == 401
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(server.base + "/user", headers=bearer, timeout=10).status_code == 401
    assert httpx.post(server.base + "/auth/jwt", headers=bearer, timeout=10).status_code == 401  # no new token
    assert httpx.get(server.base + "/user", headers={"cookie": f"access_token={other}"}, timeout=10).status_code == 200

    async def connect() -> None:
        sio = socketio.AsyncClient()
        try:
            await sio.connect(server.base, socketio_path="/ws/socket.io", transports=["websocket"], headers=cookie,
                              auth={"sessionId": str(uuid.uuid4()), "clientType": "webapp",
                                    "threadId": str(uuid.uuid4())})
        finally:
            await sio.disconnect()

    with pytest.raises(socketio.exceptions.ConnectionError):
        asyncio.run(connect())


# the throttling tests come last: they block this client address for a while


def test_repeated_wrong_passwords_are_throttled_per_account_with_429_and_retry_after(server):
    statuses = []
    while len(statuses) < 15 and 429 not in statuses:  # each failure past 5 doubles the block: 1 s, 2 s, 4 s ...
        response = server.login(email="victim@example.com", password="guess")
        statuses.append(response.status_code)
    assert statuses[:6] == [401] * 6 and statuses[-1] == 429, statuses
    assert int(response.headers["retry-after"]) >= 1
    assert server.login().status_code == 200, "another account from the same address still logs in"
    import time

    deadline = time.monotonic() + 30  # wait for the server to write both audit lines (it flushes on its own time)
    while not ("login failed" in server.log() and "login throttled" in server.log()) and time.monotonic() < deadline:
        time.sleep(0.1)
    log = server.log()
    assert "login failed" in log and "login throttled" in log


def _until_blocked_for(server, seconds: int) -> httpx.Response:
    """Guess across accounts until the address is blocked for `seconds`. A shorter block is waited out (the server
    says how long): the next failure doubles it. Bounded by attempts and time, not by how fast the server answers."""
    import time

    deadline, seen = time.monotonic() + 180, []
    for i in range(400):
        response = server.login(email=f"user{i}@example.com", password="guess")
        seen.append(response.status_code)
        if response.status_code == 429:
            wait = int(response.headers["retry-after"])
            if wait >= seconds:
                return response
            time.sleep(wait)
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"never blocked for {seconds} s; statuses seen: {seen[-30:]}")


def test_guessing_across_accounts_is_throttled_per_client_address(server):
    _until_blocked_for(server, 4)  # each failure past 20 doubles the address's block
    refused = server.login()  # even the right password waits while the address is blocked
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
