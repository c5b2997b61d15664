"""HTTPS through the fetcher's pinned connections: the certificate is checked against the host name (TLS SNI),
not the address connected to, and a kept-alive connection is never reused for another name."""

from __future__ import annotations

import datetime
import ssl
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from integrations.errors import PermanentError
from integrations.fetcher import Fetcher
from tests.fakes.server import free_port
from tests.fakes.site import site_app


def _cert(subject: x509.Name, issuer: x509.Name, public_key, signing_key, *, ca: bool, host: str | None = None):
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if host:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture(scope="module")
def tls_site(tmp_path_factory):
    """The test site over HTTPS with a certificate for acme.test only, signed by a throwaway CA."""
    folder: Path = tmp_path_factory.mktemp("tls")
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mkt test CA")])
    ca = _cert(ca_name, ca_name, ca_key.public_key(), ca_key, ca=True)
    leaf = _cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acme.test")]), ca_name, key.public_key(), ca_key,
                 ca=False, host="acme.test")
    (folder / "cert.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(site_app(), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", ssl_certfile=str(folder / "cert.pem"),
                                           ssl_keyfile=str(folder / "key.pem")))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    context = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield port, context
    server.should_exit = True
    thread.join(timeout=5)


def fetcher(context: ssl.SSLContext) -> Fetcher:
    return Fetcher(allow_loopback=True, verify=context, timeout=5,
                   resolver=lambda host, port: ["127.0.0.1"] if host.endswith(".test") else [])


def test_https_to_a_checked_address_verifies_the_certificate_of_the_name(tls_site):
    port, context = tls_site
    with fetcher(context) as f:
        page = f.fetch(f"https://acme.test:{port}/team")
    assert page.status_code == 200 and "Jane Doe" in page.body


def test_a_name_the_certificate_does_not_cover_is_refused_even_after_a_good_connection(tls_site):
    port, context = tls_site
    with fetcher(context) as f:
        assert f.fetch(f"https://acme.test:{port}/").status_code == 200  # a kept-alive connection exists now
        with pytest.raises(PermanentError, match="certificate is not valid for other.test"):
            f.fetch(f"https://other.test:{port}/")


def test_an_untrusted_certificate_is_refused(tls_site):
    port, _ = tls_site
    with fetcher(ssl.create_default_context()) as f, pytest.raises(PermanentError, match="certificate"):
        f.fetch(f"https://acme.test:{port}/")
