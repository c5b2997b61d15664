"""Things a person can get wrong at start give one clear line and exit code 2, not a traceback."""

import os
import subprocess
import sys


def _mkt(*args, **env):
    full = {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, timeout=60,
                          env=full)


def test_unreachable_database_is_one_clear_line():
    out = _mkt("db", "upgrade", MKT_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "cannot reach the database at postgresql+psycopg://nobody@127.0.0.1:1/none" in out.stderr
    assert "MKT_DATABASE_URL" in out.stderr


def test_redis_down_at_start_is_one_clear_line():
    out = _mkt("worker", MKT_REDIS_URL="redis://127.0.0.1:1/0")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in out.stderr


def test_worker_without_redis_explains_the_embedded_worker():
    out = _mkt("worker", MKT_REDIS_URL="")
    assert out.returncode == 2
    assert "in-process worker" in out.stderr


def test_help_lists_every_command():
    out = _mkt("--help")
    assert out.returncode == 0
    for command in ("serve", "worker", "db", "users"):
        assert command in out.stdout
