"""A normal install serves: build the wheel from a copy of the sources, install it into a fresh virtualenv outside
the checkout, and run `mkt serve` from an empty working directory: /healthz answers, the admin logs in to the chat,
and every runtime file lands in ./var of that directory, none beside the installed code.

Fast on purpose (it runs in CI): the wheel builds without build isolation, and the fresh virtualenv reaches the
dependencies already installed in this one through a .pth line (a directory named by a .pth line is put on sys.path
but its own .pth files are not run, so this checkout's editable install stays out: `mkt`'s own code comes only from
the wheel, which the test checks)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import ADMIN_EMAIL, ADMIN_PASSWORD, Server, free_port, open_chat

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
LEFT_OUT = shutil.ignore_patterns(".venv", ".git", "var", ".files", "tests", "bench", "docs", "build", "*.egg-info",
                                  "__pycache__", ".pytest_cache", ".ruff_cache", "mutants", "chainlit_site")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=LEFT_OUT)
    out = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(source)], check=True, capture_output=True, text=True, timeout=300)
    return next(out.glob("mkt-*.whl"))


def fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    home = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(home)
    site = next(home.glob("lib/python*/site-packages"))
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(home / "bin" / "python"), "install", "--no-deps",
                    "-q", str(wheel)], check=True, capture_output=True, text=True, timeout=300)
    return home


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MKT_", "CHAINLIT_", "PYTHON", "VIRTUAL_ENV"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return {**env, **extra}


def test_wheel_carries_the_site_and_the_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("cli/chainlit_site/app.py", "cli/chainlit_site/chainlit.md", "cli/chainlit_site/.chainlit/config.toml",
                   "db/migrations/env.py", "db/migrations/script.py.mako", "settings.py", "workers/actors.py",
                   "db/migrations/versions/0001_initial_schema.py"):
        assert needed in names, f"{needed} is not in the wheel"
    assert not any(n.startswith(("tests/", "var/", "bench/")) for n in names)
    public = [p.relative_to(ROOT).as_posix() for p in (ROOT / "public").rglob("*") if p.is_file()]
    assert all(f"cli/chainlit_site/{p}" in names for p in public), "public/ assets (custom elements) are missing"


def test_installed_wheel_serves_healthz_and_chat_login(tmp_path: Path, wheel: Path) -> None:
    home = fresh_venv(tmp_path, wheel)
    work = tmp_path / "work"
    work.mkdir()
    python = str(home / "bin" / "python")
    where = subprocess.run([python, "-c", "import cli, settings; print(cli.__file__); print(settings.ROOT)"],
                           cwd=work, env=clean_env(), capture_output=True, text=True, check=True).stdout.split()
    assert all(Path(p).is_relative_to(home) for p in where), where  # our code comes from the wheel only
    version = subprocess.run([str(home / "bin" / "mkt"), "--version"], cwd=work, env=clean_env(),
                             capture_output=True, text=True, check=True).stdout
    assert version.strip() == "mkt 0.1.0"

    port = free_port()
    env = clean_env(MKT_ADMIN_EMAIL=ADMIN_EMAIL, MKT_ADMIN_PASSWORD=ADMIN_PASSWORD, MKT_LOG_FORMAT="json")
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([str(home / "bin" / "mkt"), "serve", "--port", str(port)], cwd=work, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 150
        while True:
            assert proc.poll() is None, f"server exited early:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"server did not become healthy:\n{log_path.read_text()}"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        server = Server(base, proc, log_path)
        assert server.login(password="wrong password").status_code == 401
        messages = asyncio.run(open_chat(server).run(["help"], wait_for=2))
        assert any("Things you can say" in m for m in messages), messages
        page = httpx.get(base, timeout=10)
        assert page.status_code == 200 and "<html" in page.text.lower()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    assert (work / "var" / "mkt.db").is_file() and (work / "var" / "auth_secret").is_file()
    assert (work / "var" / "chainlit" / ".chainlit" / "config.toml").is_file()
    site = next(home.glob("lib/python*/site-packages"))
    assert not (site / "var").exists() and not (site / ".files").exists()
