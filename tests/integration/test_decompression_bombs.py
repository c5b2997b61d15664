"""Decompression bombs: a page (or a Firecrawl answer) of a few hundred KB that inflates to hundreds of MB is
decoded under the cap while it is decoded, so the process's memory stays flat. Each fetch runs in a fresh
subprocess that reports its peak RSS before and after (generous bound: 150 MB for a 512 MiB bomb)."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
import zstandard
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from integrations.decoding import ACCEPT_ENCODING, BoundedDecoder, UnsupportedEncoding, decode_capped
from tests.fakes.server import serve_app

ROOT = Path(__file__).resolve().parents[2]
MiB = 1 << 20
BOMB = 512 * MiB
PEAK_BOUND_KB = 150 * 1024


def zstd_bomb(size: int, prefix: bytes = b"") -> bytes:
    c = zstandard.ZstdCompressor(level=3).compressobj()
    out = [c.compress(prefix)] + [c.compress(bytes(MiB)) for _ in range(size // MiB)]
    return b"".join([*out, c.flush()])


def gzip_bomb(size: int, prefix: bytes = b"", fill: bytes = b"\0") -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = fill * MiB
    out = [c.compress(prefix)] + [c.compress(block) for _ in range(size // MiB)]
    return b"".join([*out, c.flush()])


@pytest.fixture(scope="module")
def bombs():
    seen: list[str] = []
    zstd_page, gzip_page = zstd_bomb(BOMB, b"<html>"), gzip_bomb(BOMB // 2, b"<html>")
    answer = b'{"success": true, "data": {"markdown": "'
    zstd_answer, gzip_answer = zstd_bomb(BOMB, answer), gzip_bomb(BOMB // 2, answer, b"a")

    def served(body: bytes, encoding: str, ctype: str):
        async def endpoint(request: Request) -> Response:
            seen.append(request.headers.get("accept-encoding", ""))
            return Response(body, headers={"content-encoding": encoding, "content-type": ctype})
        return endpoint

    health = Route("/__health", lambda r: Response("ok"))
    site = [health, Route("/zstd", served(zstd_page, "zstd", "text/html")),
            Route("/gzip", served(gzip_page, "gzip", "text/html"))]

    def firecrawl(body: bytes, encoding: str) -> Starlette:  # the SDK keeps only the origin of its API URL
        return Starlette(routes=[health, Route("/v2/scrape", served(body, encoding, "application/json"),
                                               methods=["POST"])])
    with serve_app(Starlette(routes=site)) as base, serve_app(firecrawl(zstd_answer, "zstd")) as fc_zstd, \
            serve_app(firecrawl(gzip_answer, "gzip")) as fc_gzip:
        yield base, seen, {"zstd": fc_zstd, "gzip": fc_gzip}


FETCH = """
import json, resource, sys
from integrations.fetcher import Fetcher
from integrations.firecrawl import FirecrawlClient
kind, url = sys.argv[1], sys.argv[2]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    if kind == "page":
        with Fetcher(allow_loopback=True) as f:
            page = f.fetch(url)
        outcome = {"ok": True, "length": len(page.body), "truncated": page.truncated}
    else:
        FirecrawlClient(api_key="fc-test", api_url=url, timeout=30, max_retries=1).scrape("https://acme.test/")
        outcome = {"ok": True}
except Exception as exc:
    outcome = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
outcome["grew_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps(outcome))
"""


def fetch_in_subprocess(kind: str, url: str) -> dict:
    done = subprocess.run([sys.executable, "-c", FETCH, kind, url], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_zstd_page_bomb_is_refused_without_inflating(bombs):
    base, seen, _ = bombs
    out = fetch_in_subprocess("page", base + "/zstd")
    assert not out["ok"] and "zstd" in out["error"] and "not asked for" in out["error"], out
    assert out["grew_kb"] < PEAK_BOUND_KB, out
    assert seen[-1] == ACCEPT_ENCODING == "gzip, deflate"  # only what is decoded under the cap is asked for


def test_a_gzip_page_bomb_stops_at_the_page_cap(bombs):
    base, _, _ = bombs
    out = fetch_in_subprocess("page", base + "/gzip")
    assert out["ok"] and out["truncated"] and out["length"] == 2_000_000, out
    assert out["grew_kb"] < PEAK_BOUND_KB, out


@pytest.mark.parametrize("encoding", ["zstd", "gzip"])
def test_a_firecrawl_answer_bomb_is_refused_without_inflating(bombs, encoding):
    _, seen, firecrawl = bombs
    out = fetch_in_subprocess("firecrawl", firecrawl[encoding])
    assert not out["ok"] and out["error"].startswith("PermanentError"), out
    assert "larger than" in out["error"] or "not asked for" in out["error"], out
    assert out["grew_kb"] < PEAK_BOUND_KB, out
    assert seen[-1] == "gzip, deflate"


def test_the_bounded_decoder_never_produces_more_than_its_limit():
    bomb = gzip_bomb(64 * MiB)
    decoder = BoundedDecoder("gzip", 1000)
    produced = sum(len(decoder.feed(bomb[i:i + 4096])) for i in range(0, len(bomb), 4096))
    assert produced == 1000 and decoder.truncated
    raw = zlib.compress(b"hello world")
    assert decode_capped([raw[:3], raw[3:]], "deflate", 100) == (b"hello world", False)
    assert decode_capped([b"plain"], "identity", 3) == (b"pla", True)
    for encoding in ("zstd", "br", "gzip, gzip", "compress"):
        with pytest.raises(UnsupportedEncoding):
            BoundedDecoder(encoding, 10)
