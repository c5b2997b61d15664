"""Private files: the var directory and what lives in it (SQLite database, secrets, uploads, exports) are readable
by the server's own user only. Secret files are created with mode 0600 from the first byte (never 0644 then
chmod), written whole before they appear under their name (a racing process reads all of it or creates its own
first and wins), so no other user and no half-written secret is ever seen."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

PRIVATE_UMASK = 0o077
_PRIVATE_NAMES = ("*.db", "*.db-wal", "*.db-shm", "*.sqlite", "*.sqlite-wal", "*.sqlite-shm", "*secret*")


def private_dir(path: str | Path) -> Path:
    """Create `path` (and parents) if needed; the directory itself ends up mode 0700."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(folder.stat().st_mode) != 0o700:
        folder.chmod(0o700)
    return folder


def secret_file(path: str | Path, make: Callable[[], str] = lambda: secrets.token_urlsafe(48)) -> str:
    """The secret kept in `path`, created once (mode 0600, atomically) with `make()` when missing."""
    path = Path(path)
    if not path.exists():
        private_dir(path.parent)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(make())
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):  # another process made it first: theirs is kept
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def lock_down(var_dir: str | Path) -> None:
    """At start: the var directory 0700, its sub-directories 0700, databases and secrets 0600 (older installs
    made them world-readable); from here on the process creates files for its own user only."""
    os.umask(PRIVATE_UMASK)
    root = private_dir(var_dir)
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            private_dir(child)
    for pattern in _PRIVATE_NAMES:
        for item in root.glob(pattern):
            if item.is_file() and stat.S_IMODE(item.stat().st_mode) & 0o077:
                item.chmod(0o600)
