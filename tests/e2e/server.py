"""Start the real server (`mkt serve`) as a subprocess and talk to it like a browser would."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin password 123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def login(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> httpx.Response:
        return httpx.post(f"{self.base}/login", data={"username": email, "password": password}, timeout=10)


@contextmanager
def running_server(tmp_path: Path, *, with_worker: bool = False, **env: str) -> Iterator[Server]:
    """`mkt serve` on a free port until the block ends. `with_worker`: with Redis configured, also a `mkt worker`
    (as deployed: the server runs no worker of its own then), for tests whose jobs must run (a CSV import);
    on SQLite the server's in-process worker runs them anyway."""
    port = free_port()
    log_path = tmp_path / f"server-{port}.log"
    full_env = {**os.environ, "MKT_ADMIN_EMAIL": ADMIN_EMAIL, "MKT_ADMIN_PASSWORD": ADMIN_PASSWORD, **env}
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--port", str(port)], cwd=ROOT,
                                env=full_env, stdout=log, stderr=subprocess.STDOUT)
        worker = (subprocess.Popen([sys.executable, "-m", "cli.main", "worker", "-p", "1", "-t", "2"], cwd=ROOT,
                                   env=full_env, stdout=log, stderr=subprocess.STDOUT)
                  if with_worker and full_env.get("MKT_REDIS_URL") else None)
    server = Server(f"http://127.0.0.1:{port}", proc, log_path)
    try:
        deadline = time.monotonic() + 150  # a loaded CI machine starts it slowly
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{server.log()}")
            try:
                if httpx.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            raise RuntimeError(f"server did not become healthy:\n{server.log()}")
        yield server
    finally:
        for child in filter(None, (proc, worker)):
            child.terminate()
        for child in filter(None, (proc, worker)):
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


@dataclass
class ChatSession:
    """A Chainlit websocket session driven by python-socketio (STACK.md, headless E2E)."""

    server: Server
    cookie: str
    events: list[tuple[str, Any]] = field(default_factory=list)
    ask_answer: Any = None

    def messages(self) -> list[str]:
        out = []
        for name, data in self.events:
            if name in ("new_message", "update_message") and isinstance(data, dict) and data.get("output"):
                out.append(data["output"])
        return out

    async def run(self, texts: list[str], wait_for: int, timeout: float = 30) -> list[str]:
        import socketio

        sio = socketio.AsyncClient()

        @sio.on("*")
        async def on_any(name, data=None):
            self.events.append((name, data))

        @sio.on("ask")
        async def on_ask(data):
            self.events.append(("ask", data))
            return self.ask_answer(data) if self.ask_answer else None

        await sio.connect(self.server.base, socketio_path="/ws/socket.io", transports=["websocket"],
                          headers={"cookie": self.cookie},
                          auth={"sessionId": str(uuid.uuid4()), "clientType": "webapp", "threadId": str(uuid.uuid4())})
        try:
            await sio.emit("connection_successful")
            for text in texts:
                await sio.emit("client_message", {"message": {
                    "id": str(uuid.uuid4()), "threadId": "", "name": "user", "type": "user_message", "output": text,
                    "createdAt": "2026-01-01T00:00:00Z"}, "fileReferences": None})
            deadline = asyncio.get_running_loop().time() + timeout
            while len(self.messages()) < wait_for and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.1)
        finally:
            await sio.disconnect()
        return self.messages()


def open_chat(server: Server, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> ChatSession:
    resp = server.login(email, password)
    resp.raise_for_status()
    return ChatSession(server, f"access_token={resp.cookies['access_token']}")
