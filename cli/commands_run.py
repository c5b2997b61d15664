"""`mkt serve` (chat + companion endpoint + in-process worker) and `mkt worker` (queue consumers)."""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
from pathlib import Path

from settings import ROOT, Settings, get_settings


def register(sub: argparse._SubParsersAction) -> None:
    serve_p = sub.add_parser("serve", help="serve the chat and the companion endpoint (and, without Redis, a worker)")
    serve_p.add_argument("--host", default=None, help="address to listen on (default MKT_HOST or 127.0.0.1)")
    serve_p.add_argument("--port", type=int, default=None, help="port (default MKT_PORT or 8000)")
    serve_p.set_defaults(handler=serve)
    worker_p = sub.add_parser("worker", help="consume the Redis queue (sends, enrichment, webhooks)")
    worker_p.add_argument("--processes", "-p", type=int, default=1)
    worker_p.add_argument("--threads", "-t", type=int, default=8)
    worker_p.set_defaults(handler=worker)


def auth_secret(settings: Settings) -> str:
    """CHAINLIT_AUTH_SECRET, or one generated once and kept in var/auth_secret."""
    if settings.chainlit_auth_secret:
        return settings.chainlit_auth_secret
    from ops.files import secret_file

    return secret_file(Path(settings.var_dir) / "auth_secret", lambda: secrets.token_urlsafe(48))


def ensure_schema(settings: Settings) -> None:
    """Embedded SQLite migrates itself; PostgreSQL must already be at the latest revision."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from db import migrate
    from db.session import get_engine

    if settings.is_sqlite:
        migrate.upgrade()
        return
    heads = set(ScriptDirectory.from_config(migrate.alembic_config()).get_heads())
    with get_engine().connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current != heads:
        raise ValueError("the database schema is not up to date: run `mkt db upgrade` first")


def bootstrap_admin(settings: Settings) -> None:
    from db.session import unit_of_work
    from tools.users import ensure_admin

    with unit_of_work() as uow:
        generated = ensure_admin(uow.session, settings.admin_email, settings.admin_password)
    if generated:
        email, password = generated
        print("=" * 72, flush=True)
        print(f"First admin created: {email}\nOne-time password (shown once, keep it): {password}", flush=True)
        print("Add more users with: mkt users add EMAIL --role marketer", flush=True)
        print("=" * 72, flush=True)


def app_root(settings: Settings) -> Path:
    """Chainlit's app root (app.py, chainlit.md, .chainlit/, public/; Chainlit writes .files/ in it): the checkout
    or image itself, else (an installed wheel) the packaged copy refreshed into MKT_VAR_DIR/chainlit/ (setup.py)."""
    if (ROOT / "app.py").is_file() and (ROOT / ".chainlit").is_dir():
        return ROOT
    packaged = Path(__file__).resolve().parent / "chainlit_site"
    if not (packaged / "app.py").is_file():
        raise ValueError(f"the Chainlit site is missing from this installation ({packaged}): reinstall mkt")
    target = Path(settings.var_dir) / "chainlit"
    for item in packaged.iterdir():
        if item.is_dir():
            shutil.copytree(item, target / item.name, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(item, target / item.name)
    return target


def chat_files_dir(settings: Settings) -> Path:
    """Where Chainlit keeps this process's chat uploads until the chat reads them. Chainlit's own default,
    `<app root>/.files`, is shared by every server started from one checkout or install, and each server deletes it
    whole when it stops, so another server's next upload failed with a 500. One folder per process under var/;
    folders of processes that are gone are removed."""
    base = Path(settings.var_dir) / "chat-files"
    base.mkdir(parents=True, exist_ok=True)
    for old in base.iterdir():
        if old.name.isdigit() and int(old.name) != os.getpid() and not _alive(int(old.name)):
            shutil.rmtree(old, ignore_errors=True)
    mine = base / str(os.getpid())
    mine.mkdir(exist_ok=True)
    return mine


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def prepare(settings: Settings) -> None:
    """Everything `serve` checks before it listens: one clear error for each thing that is wrong."""
    from ops.files import lock_down
    from workers.broker import ping

    lock_down(settings.var_dir)  # var/ 0700, databases and secrets 0600, umask 077 from here on
    ensure_schema(settings)
    bootstrap_admin(settings)
    ping()


def serve(args: argparse.Namespace) -> int:
    settings = get_settings()
    prepare(settings)
    os.environ["CHAINLIT_HOST"] = args.host or settings.host
    os.environ["CHAINLIT_PORT"] = str(args.port or settings.port)
    root = app_root(settings)
    os.environ["CHAINLIT_APP_ROOT"] = str(root)
    os.environ["CHAINLIT_AUTH_SECRET"] = auth_secret(settings)
    os.environ["MKT_VAR_DIR"] = str(settings.var_dir)  # absolute: the chdir below must not move it
    os.chdir(root)
    import chainlit.config as chainlit_config
    import chainlit.server as chainlit_server
    from chainlit.cli import run_chainlit
    from chainlit.config import config

    config.run.headless = True
    chainlit_config.FILES_DIRECTORY = chainlit_server.FILES_DIRECTORY = chat_files_dir(settings)
    from ops import observability

    for line in [*settings.mode_lines(), *observability.configure(settings)]:
        print(f"  {line}", flush=True)
    print(f"Serving on http://{os.environ['CHAINLIT_HOST']}:{os.environ['CHAINLIT_PORT']}", flush=True)
    run_chainlit(str(root / "app.py"))
    return 0


def worker(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.redis_url:
        raise ValueError("no MKT_REDIS_URL: `mkt serve` runs its own in-process worker; set MKT_REDIS_URL "
                         "to run separate worker processes")
    from ops.files import PRIVATE_UMASK
    from workers.broker import ping

    ping()
    os.umask(PRIVATE_UMASK)  # the workers write exports and reports for the server's user only
    argv = [sys.executable, "-m", "dramatiq", "workers.actors", "ops.worker_boot", "-p", str(args.processes),
            "-t", str(args.threads), "--worker-shutdown-timeout", str(settings.worker_shutdown_seconds * 1000)]
    os.environ["MKT_VAR_DIR"] = str(settings.var_dir)  # the worker processes use the var/ this command resolved
    os.environ["MKT_RUN_SCHEDULER"] = "1"
    # consumers idle-poll every 100 ms (dramatiq's default: up to 1 s), so a batch deferred to its rate-limit slot
    # (workers/campaigns.py) is handed to a thread within ~0.1 s of its due time
    os.environ.setdefault("dramatiq_worker_timeout", "100")
    os.execv(sys.executable, argv)  # noqa: S606 - replace this process with the dramatiq CLI
    return 0  # pragma: no cover
