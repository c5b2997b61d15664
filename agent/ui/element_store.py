"""Where Chainlit keeps a thread's elements (charts, tables, files) so they come back when the thread is reopened.

By default on the local disk under the var directory (`var/elements/`), read back through `/elements/<key>` with a
signed, expiring link (like an S3 presigned URL: only the thread's owner is ever given one). When
MKT_ELEMENTS_S3_BUCKET is set, an S3-compatible bucket instead (Chainlit's S3 client; boto3 must be installed;
MKT_ELEMENTS_S3_ENDPOINT for MinIO, R2 and the like; credentials from the usual AWS_* variables)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chainlit.data.storage_clients.base import BaseStorageClient
from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse

from settings import Settings, get_settings

PREFIX = "/elements/"
LINK_SECONDS = 24 * 3600


def _secret(root: Path) -> bytes:
    path = root / ".link-secret"
    if not path.exists():
        root.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def _sign(secret: bytes, key: str, expires: int) -> str:
    return hmac.new(secret, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()


def _safe_path(root: Path, key: str) -> Path:
    """The file of `key` inside `root`; refuses keys that climb out of it."""
    path = (root / key).resolve()
    if root.resolve() not in path.parents:
        raise ValueError(f"bad element key {key!r}")
    return path


class LocalStorageClient(BaseStorageClient):
    """Chainlit element storage in a local folder, read back with signed links served by `router`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.secret = _secret(self.root)

    async def upload_file(self, object_key: str, data: bytes | str, mime: str = "application/octet-stream",
                          overwrite: bool = True, content_disposition: str | None = None) -> dict[str, Any]:
        path = _safe_path(self.root, object_key)
        if path.exists() and not overwrite:
            return {"object_key": object_key, "url": await self.get_read_url(object_key)}
        body = data.encode() if isinstance(data, str) else data
        await asyncio.to_thread(self._write, path, body, mime)
        return {"object_key": object_key, "url": await self.get_read_url(object_key)}

    @staticmethod
    def _write(path: Path, body: bytes, mime: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        path.with_name(path.name + ".mime").write_text(mime or "application/octet-stream")

    async def delete_file(self, object_key: str) -> bool:
        path = _safe_path(self.root, object_key)
        for p in (path, path.with_name(path.name + ".mime")):
            p.unlink(missing_ok=True)
        return True

    async def get_read_url(self, object_key: str) -> str:
        expires = int(time.time()) + LINK_SECONDS
        return f"{PREFIX}{quote(object_key)}?expires={expires}&sig={_sign(self.secret, object_key, expires)}"

    async def close(self) -> None:
        return None

    def open(self, key: str, expires: int, sig: str) -> tuple[Path, str]:
        """The file and its type for a signed link; raises PermissionError (bad or expired) or FileNotFoundError."""
        if expires < time.time() or not hmac.compare_digest(sig, _sign(self.secret, key, expires)):
            raise PermissionError("this link is not valid (or has expired): reopen the conversation")
        path = _safe_path(self.root, key)
        if not path.is_file():
            raise FileNotFoundError(key)
        mime = path.with_name(path.name + ".mime")
        return path, mime.read_text() if mime.exists() else "application/octet-stream"


def local_root(settings: Settings) -> Path:
    return Path(settings.var_dir) / "elements"


def storage_client(settings: Settings | None = None) -> BaseStorageClient:
    """The configured element storage: an S3-compatible bucket when MKT_ELEMENTS_S3_BUCKET is set, else local."""
    settings = settings or get_settings()
    if settings.elements_s3_bucket:
        try:
            from chainlit.data.storage_clients.s3 import S3StorageClient
        except ImportError as exc:
            raise RuntimeError("MKT_ELEMENTS_S3_BUCKET is set but boto3 is not installed (pip install boto3)") from exc
        extra = {"endpoint_url": settings.elements_s3_endpoint} if settings.elements_s3_endpoint else {}
        return S3StorageClient(bucket=settings.elements_s3_bucket, **extra)
    return LocalStorageClient(local_root(settings))


def router(settings: Settings | None = None) -> APIRouter:
    """GET /elements/<key>?expires=&sig=: a stored element, for whoever holds a valid signed link."""
    api = APIRouter()

    @api.get(PREFIX + "{key:path}", include_in_schema=False)
    def element(key: str, expires: int, sig: str) -> FileResponse:
        store = LocalStorageClient(local_root(settings or get_settings()))
        try:
            path, mime = store.open(key, expires, sig)
        except PermissionError as exc:
            raise HTTPException(403, str(exc)) from None
        except (FileNotFoundError, ValueError):
            raise HTTPException(404, "no such element") from None
        return FileResponse(path, media_type=mime, headers={"Cache-Control": "private, max-age=3600"})

    return api


def mount(app: FastAPI) -> None:
    """Serve stored elements from `app` (Chainlit's), before its catch-all route."""
    if getattr(app.state, "mkt_elements", False):
        return
    before = len(app.router.routes)
    app.include_router(router())
    added = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[0:0] = added
    app.state.mkt_elements = True
