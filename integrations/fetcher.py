"""The built-in page fetcher (httpx) with an SSRF guard, for URLs that came from data (a contact's website,
an email domain, a link found on a page).

Every URL is checked before any byte is sent: http(s) only, no credentials in the URL, and every address the
host resolves to must be public (no loopback, private, link-local, cloud-metadata, shared, multicast,
reserved or IPv6 local ranges; IPv4-mapped IPv6 is unwrapped first). The connection then goes to the checked
address itself (the Host header and TLS SNI keep the name), so a DNS answer cannot change between the check
and the connect. Redirects are followed by hand and every hop is checked again. Bodies are capped in bytes
and the whole fetch in time; a compressed body is decoded under the same cap while it is decoded, and only
the encodings decoded that way are asked for (integrations/decoding.py). `allow_loopback` (settings.fetch_allow_loopback) lets tests reach a loopback
test site; private ranges stay refused even then."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from integrations.decoding import ACCEPT_ENCODING, BoundedDecoder, UnsupportedEncoding, page_encoding
from integrations.errors import PermanentError, RetryableError, retry_after_seconds

Resolver = Callable[[str, int], list[str]]
TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
_METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal"}


class FetchRefused(PermanentError):
    """The URL is not allowed (scheme, credentials, or an address that is not public). Never retried."""


@dataclass(frozen=True)
class FetchedPage:
    """One page as fetched: the final URL after redirects, the chain of URLs visited, the decoded body."""

    url: str
    status_code: int
    content_type: str
    body: str
    redirects: list[str] = field(default_factory=list)
    truncated: bool = False


DNS_TIMEOUT_SECONDS = 5.0
_dns_pool: list[ThreadPoolExecutor] = []


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses `host` resolves to (A and AAAA), within DNS_TIMEOUT_SECONDS."""
    if not _dns_pool:
        _dns_pool.append(ThreadPoolExecutor(max_workers=4, thread_name_prefix="mkt-dns"))
    future = _dns_pool[0].submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=DNS_TIMEOUT_SECONDS)
    except FutureTimeout:
        raise RetryableError(f"resolving {host} took longer than {DNS_TIMEOUT_SECONDS:g}s") from None
    except socket.gaierror as exc:
        raise PermanentError(f"cannot resolve {host}: {exc.strerror or exc}") from None
    except (UnicodeError, ValueError) as exc:  # a name no DNS can hold (an empty or 64+ character label)
        raise FetchRefused(f"cannot resolve {host!r}: not a valid host name ({exc})") from None
    return sorted({info[4][0] for info in infos})


def address_problem(address: str, *, allow_loopback: bool = False) -> str | None:
    """Why an IP address must not be contacted, or None when it is public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return address_problem(str(ip.ipv4_mapped), allow_loopback=allow_loopback)
        if ip.sixtofour is not None or ip.teredo is not None:
            return f"{ip} is a tunnelled IPv6 address"
    if ip.is_loopback:
        return None if allow_loopback else f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is link-local (cloud metadata lives there)"
    if ip.is_private:
        return f"{ip} is a private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return f"{ip} is not a public address"
    return None


def check_url(url: str, *, allow_loopback: bool = False, resolver: Resolver = system_resolver,
              resolve: bool = True) -> tuple[str, int, str]:
    """Check a URL; return (host, port, the public address to connect to). Raises FetchRefused.
    With resolve=False (a URL handed to Firecrawl, which resolves it itself) only the scheme, credentials,
    metadata names and IP literals are checked; the address returned is then the host name."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a malformed port or bracket raises here
    except ValueError:
        raise FetchRefused(f"refused {url!r}: not a well-formed URL") from None
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(f"refused {url!r}: only http and https URLs are fetched")
    if parts.username or parts.password:
        raise FetchRefused(f"refused {url!r}: credentials in URLs are not allowed")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise FetchRefused(f"refused {url!r}: no host")
    if host in _METADATA_HOSTS:
        raise FetchRefused(f"refused {url!r}: cloud metadata host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchRefused(f"refused {url!r}: bad port") from None
    if not resolve and not _is_ip(host):
        if host == "localhost" or host.endswith((".localhost", ".internal", ".local")):
            raise FetchRefused(f"refused {url!r}: {host} is a local name")
        return host, port, host
    addresses = [host.strip("[]")] if _is_ip(host) else resolver(host, port)
    if not addresses:
        raise FetchRefused(f"refused {url!r}: {host} has no address")
    for address in addresses:
        problem = address_problem(address, allow_loopback=allow_loopback)
        if problem:
            raise FetchRefused(f"refused {url!r}: {host} -> {problem}")
    return host, port, addresses[0]


def pin(url: str, host: str, port: int, address: str) -> tuple[str, str, dict[str, str]]:
    """The URL rewritten to connect to the checked `address`, with the Host header and TLS SNI (httpx's
    `sni_hostname` extension) that keep the name: (url, host header, request extensions). A DNS answer that
    changes after the check (rebinding) is never asked for."""
    parts = urlsplit(url)
    netloc = f"[{address}]" if ":" in address else address
    pinned = parts._replace(netloc=f"{netloc}:{port}").geturl()
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    return pinned, host_header, {"sni_hostname": host} if parts.scheme == "https" else {}


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


class Fetcher:
    """Fetches public pages. One httpx client per host name (a kept-alive TLS connection to an address is never
    reused for another name, whose certificate was not checked); close() it (or use `with`)."""

    def __init__(self, *, allow_loopback: bool = False, timeout: float = 10.0, max_bytes: int = 2_000_000,
                 max_redirects: int = 5, user_agent: str = "mkt-enrichment/0.1",
                 resolver: Resolver = system_resolver, verify: ssl.SSLContext | bool = True) -> None:
        self.allow_loopback = allow_loopback
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.resolver = resolver
        self._verify = verify
        self._headers = {"User-Agent": user_agent, "Accept": "text/html,text/plain;q=0.8",
                         "Accept-Encoding": ACCEPT_ENCODING}
        self._clients: dict[str, httpx.Client] = {}

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def _client(self, host: str) -> httpx.Client:
        if host not in self._clients:
            if len(self._clients) >= 32:
                self.close()
            self._clients[host] = httpx.Client(follow_redirects=False, timeout=self.timeout, trust_env=False,
                                               verify=self._verify, headers=self._headers)
        return self._clients[host]

    def fetch(self, url: str) -> FetchedPage:
        """GET a page, following up to `max_redirects` redirects, each hop checked. Raises FetchRefused for a
        refused URL, PermanentError for 4xx / non-text content, RetryableError for 429, 5xx, timeouts."""
        deadline = time.monotonic() + self.timeout
        visited: list[str] = []
        current = url
        for _ in range(self.max_redirects + 1):
            visited.append(current)
            response, body, truncated = self._get_checked(current, deadline)
            location = response.headers.get("location")
            if response.status_code in (301, 302, 303, 307, 308) and location:
                current = urljoin(current, location)
                continue
            return self._page(current, response, body, truncated, visited)
        raise PermanentError(f"too many redirects from {url} (more than {self.max_redirects})")

    def _get_checked(self, url: str, deadline: float) -> tuple[httpx.Response, bytes, bool]:
        host, port, address = check_url(url, allow_loopback=self.allow_loopback, resolver=self.resolver)
        pinned, host_header, extensions = pin(url, host, port, address)
        remaining = max(0.1, deadline - time.monotonic())
        try:
            client = self._client(host)
            request = client.build_request("GET", pinned, headers={"Host": host_header}, extensions=extensions,
                                           timeout=remaining)
            response = client.send(request, stream=True)
        except httpx.InvalidURL as exc:  # e.g. a redirect to "http:169.254.169.254/" (no //): never followed
            raise FetchRefused(f"refused {url!r} or its redirect: not a well-formed URL ({exc})") from None
        except httpx.TimeoutException as exc:
            raise RetryableError(f"timed out fetching {url}: {exc}") from None
        except httpx.HTTPError as exc:
            if "CERTIFICATE" in str(exc).upper() or isinstance(exc.__context__, ssl.SSLCertVerificationError):
                raise PermanentError(f"{url}: its TLS certificate is not valid for {host} ({exc})") from None
            raise RetryableError(f"could not fetch {url}: {type(exc).__name__}: {exc}") from None
        try:
            body, truncated = self._read_capped(response, url, deadline)
        finally:
            response.close()
        return response, body, truncated

    def _read_capped(self, response: httpx.Response, url: str, deadline: float) -> tuple[bytes, bool]:
        """The body decoded under `max_bytes` (raw bytes are read and decoded here, never by httpx, whose
        decoders inflate a whole chunk at once)."""
        try:
            decoder = BoundedDecoder(response.headers.get("content-encoding"), self.max_bytes)
        except UnsupportedEncoding as exc:
            raise PermanentError(f"{url}: {exc}") from None
        chunks: list[bytes] = []
        try:
            for raw in response.iter_raw():
                chunks.append(decoder.feed(raw))
                if decoder.truncated:
                    return b"".join(chunks), True
                if time.monotonic() > deadline:
                    raise RetryableError(f"fetching {url} took longer than {self.timeout:g}s")
        except httpx.HTTPError as exc:
            raise RetryableError(f"could not read {url}: {type(exc).__name__}: {exc}") from None
        except ValueError as exc:
            raise PermanentError(f"{url}: {exc}") from None
        return b"".join(chunks), False

    def _page(self, url: str, response: httpx.Response, body: bytes, truncated: bool,
              visited: list[str]) -> FetchedPage:
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetryableError(f"{url} answered {status}", status=status,
                                 retry_after=retry_after_seconds(response.headers.get("retry-after")))
        if status >= 400:
            raise PermanentError(f"{url} answered {status}", status=status)
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype and ctype not in TEXT_TYPES:
            raise PermanentError(f"{url} is {ctype}, not a web page")
        text = body.decode(page_encoding(response.charset_encoding, body), errors="replace")
        return FetchedPage(url=url, status_code=status, content_type=ctype or "text/html", body=text,
                           redirects=visited[:-1], truncated=truncated)
