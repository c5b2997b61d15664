"""Private files: secrets are created 0600 from the first byte (even under umask 0 and with chmod doing nothing,
there is no window at 0644), the var directory and its sub-directories are 0700, databases and secrets of an older
install are locked down at start, and the export folder is private."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cli.commands_run import auth_secret
from ops.files import lock_down, private_dir, secret_file
from settings import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def test_a_secret_file_is_born_0600_and_written_whole(tmp_path, open_umask, monkeypatch):
    monkeypatch.setattr(Path, "chmod", lambda self, m, **kw: None)  # no chmod to fix a wide mode afterwards
    monkeypatch.setattr(os, "chmod", lambda *a, **kw: None)
    value = secret_file(tmp_path / "var" / "some_secret", lambda: "s3cret")
    assert value == "s3cret" and mode(tmp_path / "var" / "some_secret") == 0o600
    assert secret_file(tmp_path / "var" / "some_secret", lambda: "other") == "s3cret"  # kept, not remade
    assert [p.name for p in (tmp_path / "var").iterdir()] == ["some_secret"]  # no temporary file left


def test_the_auth_secret_and_its_var_directory_are_private(tmp_path, open_umask):
    var = tmp_path / "var"
    secret = auth_secret(Settings(var_dir=var, chainlit_auth_secret=""))
    assert len(secret) > 40 and mode(var / "auth_secret") == 0o600 and mode(var) == 0o700


def test_an_older_install_is_locked_down_at_start(tmp_path):
    var = tmp_path / "var"
    (var / "exports").mkdir(parents=True)
    (var / "exports").chmod(0o755)
    var.chmod(0o755)
    for name in ("mkt.db", "mkt.db-wal", "chainlit.db", "agent_checkpoints.sqlite", "unsubscribe_secret"):
        (var / name).write_text("x")
        (var / name).chmod(0o644)
    old = os.umask(0o022)
    try:
        lock_down(var)
        assert os.umask(0o022) == 0o077  # files made from here on are the server's user's only
    finally:
        os.umask(old)
    assert mode(var) == 0o700 and mode(var / "exports") == 0o700
    assert all(mode(var / n) == 0o600 for n in ("mkt.db", "mkt.db-wal", "chainlit.db", "agent_checkpoints.sqlite",
                                                 "unsubscribe_secret"))


def test_the_exports_folder_is_private(db, tmp_path, monkeypatch):
    from agent.core.context import actor_from
    from agent.core.execute import run_tool
    from agent.tools import catalogue
    from settings import get_settings

    monkeypatch.setenv("MKT_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        out = run_tool(catalogue.get("export_contacts"), actor_from("admin@example.com", "admin"), {})
        assert "Exported" in out.text, out.text
        assert mode(tmp_path / "var" / "exports") == 0o700 and mode(private_dir(tmp_path / "var" / "exports")) == 0o700
    finally:
        get_settings.cache_clear()
