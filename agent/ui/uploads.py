"""Uploaded files live under var/uploads with a random prefix; the import tool reads only from there."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from settings import get_settings


def keep(source: str | Path, name: str) -> Path:
    """Copy `source` into var/uploads under a safe, unique name; returns the stored path."""
    from ops.files import private_dir

    folder = private_dir(Path(get_settings().var_dir) / "uploads")
    safe = "".join(ch for ch in Path(str(name)).name if ch.isalnum() or ch in "._-")[:80] or "upload.csv"
    target = folder / f"{uuid.uuid4().hex[:8]}-{safe}"
    shutil.copyfile(source, target)
    return target
