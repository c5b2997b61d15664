"""The built-in fetcher and its SSRF guard, against a real site served on loopback."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from integrations.errors import PermanentError, RetryableError
from integrations.fetcher import Fetcher, FetchRefused, address_problem, check_url
from tests.fakes.server import serve_app
from tests.fakes.site import site_app


@pytest.fixture(scope="module")
def site():
    app = site_app()
    with serve_app(app) as base:
        yield base, app


def names(mapping):
    def resolve(host, port):
        if host not in mapping:
            raise PermanentError(f"cannot resolve {host}")
        return mapping[host]
    return resolve


def test_loopback_site_is_refused_unless_explicitly_allowed(site):
    base, _ = site
    with Fetcher() as fetcher, pytest.raises(FetchRefused, match="loopback"):
        fetcher.fetch(base + "/")
    with Fetcher(allow_loopback=True) as fetcher:
        page = fetcher.fetch(base + "/")
    assert page.status_code == 200 and "Acme Roofing" in page.body


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/", "http://0.0.0.0/", "http://[fe80::1]/", "http://[fc00::1]/", "http://[fd00:ec2::254]/",
    "http://[::ffff:10.0.0.1]/", "http://[::]/", "http://224.0.0.1/", "http://metadata.google.internal/",
    "http://[2002:a00:1::1]/",
])
def test_private_link_local_metadata_and_ipv6_local_addresses_are_refused_even_with_loopback_allowed(url):
    with pytest.raises(FetchRefused):
        check_url(url, allow_loopback=True, resolver=names({"metadata.google.internal": ["169.254.169.254"]}))


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
                                 "http://127.1.2.3:8080/"])
def test_loopback_in_every_spelling_is_refused_by_default(url):
    with pytest.raises(FetchRefused, match="loopback"):
        check_url(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/",
                                 "javascript:alert(1)", "http://user:secret@example.com/", "http:///nohost"])
def test_only_plain_http_and_https_urls_are_fetched(url):
    with pytest.raises(FetchRefused):
        check_url(url, resolver=names({"example.com": ["93.184.216.34"]}))


def test_a_dns_name_resolving_to_loopback_or_private_space_is_refused():
    with pytest.raises(FetchRefused, match="loopback"):
        check_url("http://evil.test/", resolver=names({"evil.test": ["127.0.0.1"]}))
    with pytest.raises(FetchRefused, match="private"):
        check_url("http://evil.test/", allow_loopback=True, resolver=names({"evil.test": ["10.1.2.3"]}))
    with pytest.raises(FetchRefused):  # one bad answer among good ones is enough to refuse
        check_url("http://mixed.test/", resolver=names({"mixed.test": ["93.184.216.34", "192.168.0.7"]}))
    with pytest.raises(FetchRefused, match="loopback"):
        check_url("http://localhost:9/")  # the system resolver


def test_a_public_address_passes_and_the_connection_is_pinned_to_it():
    assert check_url("https://acme.example/x", resolver=names({"acme.example": ["93.184.216.34"]})) == (
        "acme.example", 443, "93.184.216.34")
    assert address_problem("8.8.8.8") is None
    assert address_problem("2606:4700:4700::1111") is None


def test_a_name_is_fetched_from_the_address_that_was_checked(site):
    base, app = site
    port = base.rsplit(":", 1)[1]
    with Fetcher(allow_loopback=True, resolver=names({"acme.test": ["127.0.0.1"]})) as fetcher:
        page = fetcher.fetch(f"http://acme.test:{port}/team")
    assert page.url == f"http://acme.test:{port}/team" and "Jane Doe" in page.body


def test_a_redirect_to_cloud_metadata_is_refused(site):
    base, _ = site
    target = quote("http://169.254.169.254/latest/meta-data/", safe="")
    with Fetcher(allow_loopback=True) as fetcher, pytest.raises(FetchRefused, match="link-local"):
        fetcher.fetch(f"{base}/go?to={target}")


def test_a_redirect_to_a_name_resolving_to_a_private_address_is_refused(site):
    base, _ = site
    target = quote("http://intranet.test/admin", safe="")
    resolver = names({"intranet.test": ["10.0.0.5"]})
    with Fetcher(allow_loopback=True, resolver=resolver) as fetcher, pytest.raises(FetchRefused, match="private"):
        fetcher.fetch(f"{base}/go?to={target}&status=307")


def test_redirects_on_the_same_site_are_followed_and_recorded(site):
    base, _ = site
    with Fetcher(allow_loopback=True) as fetcher:
        page = fetcher.fetch(f"{base}/go?to=/about")
    assert page.url == f"{base}/about" and page.redirects == [f"{base}/go?to=/about"]
    with Fetcher(allow_loopback=True, max_redirects=1) as fetcher, pytest.raises(PermanentError, match="redirects"):
        fetcher.fetch(f"{base}/go?to={quote('/go?to=/about', safe='')}")


def test_a_big_page_is_cut_at_the_size_limit(site):
    base, _ = site
    with Fetcher(allow_loopback=True, max_bytes=50_000) as fetcher:
        page = fetcher.fetch(f"{base}/big")
    assert page.truncated and len(page.body) <= 50_000


def test_a_slow_page_times_out_as_retryable(site):
    base, _ = site
    with Fetcher(allow_loopback=True, timeout=0.3) as fetcher, pytest.raises(RetryableError, match="timed out"):
        fetcher.fetch(f"{base}/slow?seconds=1.5")


def test_errors_and_non_pages_are_typed(site):
    base, _ = site
    with Fetcher(allow_loopback=True) as fetcher:
        with pytest.raises(RetryableError) as busy:
            fetcher.fetch(f"{base}/status/503")
        assert busy.value.retry_after == 7
        with pytest.raises(PermanentError, match="404"):
            fetcher.fetch(f"{base}/status/404")
        with pytest.raises(PermanentError, match="image/png"):
            fetcher.fetch(f"{base}/logo.png")
