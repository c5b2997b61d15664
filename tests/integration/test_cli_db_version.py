"""`mkt --version`, `mkt completion`, `mkt db current|downgrade`, and the var directory that follows the working
directory, run as a person would (a subprocess on a database of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from settings import ROOT, Settings


def _mkt(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env}, cwd=cwd)


def test_version_is_the_project_version():
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    out = _mkt("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"mkt {expected}"


def test_bash_completion_knows_commands_actions_and_options(tmp_path):
    out = _mkt("completion", "bash")
    assert out.returncode == 0
    script = tmp_path / "mkt.bash"
    script.write_text(out.stdout)

    def complete(*words: str) -> list[str]:
        line = " ".join(f'"{w}"' for w in words)
        run = subprocess.run(["bash", "-c", f'source "{script}"; COMP_WORDS=(mkt {line}); '
                              f"COMP_CWORD={len(words)}; _mkt_complete; printf '%s\\n' \"${{COMPREPLY[@]}}\""],
                             capture_output=True, text=True, check=True)
        return run.stdout.split()

    assert {"serve", "worker", "db", "contacts", "completion"} <= set(complete(""))
    assert complete("db", "") == ["upgrade", "check", "current", "downgrade"]
    assert complete("contacts", "import", "--po") == ["--policy"]
    assert "--version" in complete("--ver")


def test_db_current_then_downgrade_asks_then_undoes(tmp_path):
    env = {"MKT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    empty = _mkt("db", "current", **env)
    assert empty.returncode == 0 and "current: empty" in empty.stdout
    assert _mkt("db", "upgrade", **env).returncode == 0
    head = _mkt("db", "current", **env).stdout
    latest = head.split("latest: ")[1].split()[0]
    assert f"current: {latest}" in head and "(up to date)" in head

    asked = _mkt("db", "downgrade", "-1", **env)
    assert asked.returncode == 1 and f"would undo 1 migration: {latest}" in asked.stdout
    assert f"current: {latest}" in _mkt("db", "current", **env).stdout  # nothing done without --yes

    done = _mkt("db", "downgrade", "-1", "--yes", **env)
    assert done.returncode == 0, done.stderr
    after = _mkt("db", "current", **env).stdout
    assert f"current: {latest}" not in after and "run `mkt db upgrade`" in after
    assert _mkt("db", "upgrade", **env).returncode == 0
    assert "(up to date)" in _mkt("db", "current", **env).stdout


def test_var_dir_defaults_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("MKT_VAR_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert Settings().var_dir == tmp_path / "var"
    monkeypatch.setenv("MKT_VAR_DIR", "relative/place")
    assert Settings().var_dir == tmp_path / "relative" / "place"  # made absolute once: a later chdir cannot move it
