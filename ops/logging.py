"""Structured logs: one line per record, `key=value` (MKT_LOG_FORMAT=text) or one JSON object (json), each carrying
the request id (HTTP) or job id (Dramatiq) of the work it belongs to.

Secrets never reach a log line: every value of a setting whose name says key, token, secret or password, and the
password of every configured URL, is replaced by `***` in the final message, whatever logger wrote it. Message
bodies (SMS text, email bodies, chat text) are not logged at INFO by our code; the test
tests/integration/test_logging_ops.py scans the logs of a run for both.

`configure()` is idempotent: `mkt serve` and `mkt` commands call it from cli/main.py, worker processes from
ops/worker_boot.py (imported by `mkt worker`)."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

request_id_var: ContextVar[str | None] = ContextVar("mkt_request_id", default=None)
job_id_var: ContextVar[str | None] = ContextVar("mkt_job_id", default=None)

_SECRET_NAME = re.compile(r"(key|token|secret|password)$")
_PATTERNS = [
    re.compile(r"(?i)(authorization:\s*bearer\s+)[^\s'\"]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{12,}"),
    re.compile(r"(?i)((?:api[_-]?key|token|secret|password)\s*[=:]\s*['\"]?)[^\s'\",}&]+"),
    re.compile(r"(?i)(://[^:/@\s]+:)[^@\s]+(@)"),
]
_DISCARDED_RESULT = "returned a value that is not None"  # Dramatiq, when an actor returns without a results backend
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id", "job_id"}


def secret_values(settings: Any | None = None) -> list[str]:
    """The values that must never be logged, longest first (so a secret containing another is masked whole)."""
    if settings is None:
        from settings import get_settings

        settings = get_settings()
    found: set[str] = set()
    for name in type(settings).model_fields:
        value = getattr(settings, name, None)
        if not isinstance(value, str) or not value:
            continue
        if _SECRET_NAME.search(name) and len(value) >= 6:
            found.add(value)
        elif "://" in value:
            password = urlsplit(value).password
            if password and len(password) >= 4:
                found.add(password)
    return sorted(found, key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    for value in secrets:
        if value in text:
            text = text.replace(value, "***")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "***" + (m.group(2) if m.re.groups > 1 else ""), text)
    return text


def redact_value(name: str, value: Any, secrets: list[str]) -> Any:
    """A structured field redacted like a message: whole when its name says key/token/secret/password, else every
    string inside it (dicts, lists and tuples are walked)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if _SECRET_NAME.search(str(name).lower()):
        return "***"
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [redact_value("", v, secrets) for v in value]
    return redact(str(value), secrets)


class ContextFilter(logging.Filter):
    """Stamp every record with the current request and job ids, and redact its message."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "dramatiq.worker.WorkerThread" and _DISCARDED_RESULT in str(record.msg):
            return logging.getLogger().isEnabledFor(logging.DEBUG)  # every periodic job would warn: noise
        record.request_id = getattr(record, "request_id", None) or request_id_var.get()
        record.job_id = getattr(record, "job_id", None) or job_id_var.get()
        message = redact(record.getMessage(), self.secrets)
        for key, value in list(vars(record).items()):  # the extra= fields reach the line too
            if key not in _STANDARD and not key.startswith("_"):
                setattr(record, key, redact_value(key, value, self.secrets))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        record.msg, record.args = message, ()
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    for key in ("request_id", "job_id"):
        if getattr(record, key, None):
            out[key] = getattr(record, key)
    for key, value in vars(record).items():
        if key not in _STANDARD and key not in out and not key.startswith("_"):
            out[key] = value
    if record.exc_text:
        out["exc"] = record.exc_text
    return out


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), default=str, ensure_ascii=False)


def _kv(value: Any) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (not text or re.search(r'[\s="]', text)) else text


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        exc = fields.pop("exc", None)
        line = " ".join(f"{k}={_kv(v)}" for k, v in fields.items())
        return line + ("\n" + exc if exc else "")


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of each record (it may be replaced after set-up)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _quiet_uvicorn() -> None:
    """Let uvicorn's loggers go through our handlers (Chainlit configures uvicorn with its own dict)."""
    try:
        from uvicorn.config import LOGGING_CONFIG
    except ImportError:  # pragma: no cover
        return
    LOGGING_CONFIG["handlers"] = {}
    for cfg in LOGGING_CONFIG.get("loggers", {}).values():
        cfg["handlers"] = []
        cfg["propagate"] = True
    LOGGING_CONFIG.setdefault("loggers", {}).setdefault("uvicorn.access", {})["level"] = "WARNING"


def configure(fmt: str | None = None, level: str | None = None, stream: Any = None) -> None:
    """Install our formatter and filter on the root logger's handlers (adding one on stderr if it has none)."""
    from settings import get_settings

    try:
        settings: Any = get_settings()
    except Exception:  # noqa: BLE001 - a broken environment is reported by the command (and `mkt doctor`)
        settings = None
    fmt = (fmt or getattr(settings, "log_format", "") or "text").lower()
    root = logging.getLogger()
    root.setLevel((level or getattr(settings, "log_level", "") or "INFO").upper())
    ours = [h for h in root.handlers if type(h) in (logging.StreamHandler, logging.FileHandler, StderrHandler)]
    if not ours:  # leave other handlers (pytest's capture, say) as they are, and add ours
        ours = [logging.StreamHandler(stream) if stream is not None else StderrHandler()]
        root.addHandler(ours[0])
    context = ContextFilter(secret_values(settings) if settings is not None else [])
    for handler in ours:
        handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
        for old in [f for f in handler.filters if isinstance(f, ContextFilter)]:
            handler.removeFilter(old)
        handler.addFilter(context)
    for noisy in ("alembic", "httpx", "httpcore", "urllib3", "engineio", "socketio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    _quiet_uvicorn()
