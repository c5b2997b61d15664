"""The extra= fields of a log record are redacted like its message, in both line formats."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest

from ops.logging import ContextFilter, JsonFormatter, KeyValueFormatter


def _capture(fmt: logging.Formatter, secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(fmt)
    handler.addFilter(ContextFilter(secrets))
    logger = logging.getLogger(f"test.redact.{uuid.uuid4().hex[:6]}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return logger, out


@pytest.mark.parametrize("fmt", [KeyValueFormatter(), JsonFormatter()])
def test_extra_fields_are_redacted(fmt):
    logger, out = _capture(fmt, ["sk-live-abcdef123456"])
    logger.info("fetch done", extra={
        "url": "https://api.example.com/v1/search?q=roofers&api_key=ak-9f8e7d6c5b&page=2",
        "api_token": "plain-token-value",  # the field's name says what it is
        "headers": {"Authorization": "Bearer abcdefghijklmnopqrstuvwxyz", "x-request": "r-1"},
        "attempts": [{"dsn": "postgresql://mkt:db-pass-4321@db/mkt"}, "sk-live-abcdef123456"],
        "status": 200, "retry": False,
    })
    text = out.getvalue()
    for secret in ("ak-9f8e7d6c5b", "plain-token-value", "abcdefghijklmnopqrstuvwxyz", "db-pass-4321",
                   "sk-live-abcdef123456"):
        assert secret not in text, text
    assert "q=roofers" in text and "page=2" in text and "r-1" in text and "200" in text  # the rest is kept
    if isinstance(fmt, JsonFormatter):
        line = json.loads(text)
        assert line["status"] == 200 and line["retry"] is False and line["api_token"] == "***"
