"""SendGrid over kept-alive TLS connections: one per sender thread for the whole send.

The stand-in serves HTTPS on 127.0.0.1 with a self-signed certificate made here; the client
trusts it through ``SSL_CERT_FILE`` (what OpenSSL's default verify paths read), exactly as
it trusts SendGrid's own certificate through the system store.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from digest.send.run import send_edition
from tests.fakes.sendgrid_server import SendGridStandIn
from tests.send.cli_support import run_cli, write_config
from tests.send.helpers import (
    EDITION_DATE,
    add_subscribers,
    reload,
    send_config,
    store_edition,
    variant_for,
)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "digest test stand-in")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "standin.pem", directory / "standin.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SendGridStandIn]:
    """The stand-in over HTTPS; this process trusts its certificate."""
    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    with SendGridStandIn(tls=context, validate=False) as standin:
        yield standin


def test_each_sender_thread_keeps_one_connection_for_the_whole_send(
    tmp_path: Path, tls_standin: SendGridStandIn, new_app
) -> None:
    config = send_config(
        tmp_path,
        kind="sendgrid",
        concurrency=3,
        sendgrid={"host": tls_standin.url, "batch_size": 5, "timeout_seconds": 10},
    )
    app = new_app(config)
    add_subscribers(app, 60)
    edition = store_edition(app)
    report = send_edition(app, edition, variant_for(app.config))
    assert report.sent == 60
    assert tls_standin.state.request_count == 12
    assert 1 <= tls_standin.state.connections <= 3  # threads x processes
    assert reload(app, edition).status == "sent"


def test_sender_processes_open_at_most_threads_times_processes(
    tmp_path: Path, tls_standin: SendGridStandIn, new_app
) -> None:
    sendgrid = {"host": tls_standin.url, "batch_size": 4, "timeout_seconds": 10}
    config = write_config(tmp_path, kind="sendgrid", concurrency=2, sendgrid=sendgrid)
    app = new_app(send_config(tmp_path, kind="sendgrid", concurrency=2, sendgrid=sendgrid))
    add_subscribers(app, 80)
    store_edition(app, with_article=True)
    result = run_cli(
        config,
        *("send", "markets-en", "--date", EDITION_DATE.isoformat(), "--yes", "--workers", "2"),
        SSL_CERT_FILE=os.environ["SSL_CERT_FILE"],
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert tls_standin.state.accepted_count == 80
    assert tls_standin.state.request_count == 20
    assert 1 <= tls_standin.state.connections <= 2 * 2  # threads x processes
