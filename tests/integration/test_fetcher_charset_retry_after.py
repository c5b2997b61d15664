"""The fetcher reads a page in the encoding the page declares (<meta charset>, when the header says nothing), and
a Retry-After given as an HTTP date counts (every client parses it with integrations.errors.retry_after_seconds)."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from integrations.errors import RetryableError, retry_after_seconds
from integrations.fetcher import Fetcher
from tests.fakes.server import serve_app

TEXT = "Café Müller, Zürich – Straße"
LATIN = f'<html><head><meta charset="windows-1252"><title>x</title></head><body>{TEXT}</body></html>'
HTTP_EQUIV = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head>'
              f'<body>{TEXT.replace("–", "-")}</body></html>')
SHIFT_JIS = '<html><head><meta charset="Shift_JIS"></head><body>株式会社アクメ</body></html>'


def _page(body: bytes, ctype: str = "text/html"):
    async def endpoint(_request):
        return Response(body, headers={"content-type": ctype})
    return endpoint


async def _busy(_request):
    return Response("slow down", status_code=429, headers={"retry-after": formatdate(time.time() + 120, usegmt=True)})


@pytest.fixture(scope="module")
def site():
    app = Starlette(routes=[
        Route("/__health", _page(b"ok")),
        Route("/meta", _page(LATIN.encode("cp1252"))),
        Route("/http-equiv", _page(HTTP_EQUIV.encode("latin-1"))),
        Route("/sjis", _page(SHIFT_JIS.encode("shift_jis"))),
        Route("/header-wins", _page(LATIN.replace("windows-1252", "utf-8").encode("cp1252"),
                                    "text/html; charset=windows-1252")),
        Route("/utf8", _page(f"<html><body>{TEXT}</body></html>".encode())),
        Route("/busy", _busy),
    ])
    with serve_app(app) as base:
        yield base


@pytest.mark.parametrize(("path", "expected"), [
    ("/meta", TEXT), ("/http-equiv", TEXT.replace("–", "-")), ("/sjis", "株式会社アクメ"), ("/header-wins", TEXT),
    ("/utf8", TEXT),
])
def test_page_is_read_in_its_declared_encoding(site, path, expected):
    with Fetcher(allow_loopback=True) as fetcher:
        page = fetcher.fetch(site + path)
    assert expected in page.body and "\ufffd" not in page.body


def test_retry_after_as_an_http_date_over_http(site):
    with Fetcher(allow_loopback=True) as fetcher, pytest.raises(RetryableError) as caught:
        fetcher.fetch(site + "/busy")
    assert caught.value.status == 429
    assert 100 <= caught.value.retry_after <= 121  # seconds until the date the site gave (2 min ahead)


def test_retry_after_forms():
    now = 1_800_000_000.0
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(formatdate(now + 45, usegmt=True), now=now) == 45.0
    assert retry_after_seconds(formatdate(now - 600, usegmt=True), now=now) == 0.0  # already past: now
    assert retry_after_seconds("Sunday, 06-Nov-94 08:49:37 GMT", 7.0, now=now) == 0.0  # obsolete RFC 850 form
    assert retry_after_seconds("soon", 7.0) == 7.0 and retry_after_seconds(None, 3.0) == 3.0
