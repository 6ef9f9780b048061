"""Fixtures for the push tests: a loopback certificate and the Web Push stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.push_service import PushServiceStandIn
from tests.fakes.tls import LoopbackCertificate, make_loopback_certificate


@pytest.fixture(scope="session")
def push_cert(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCertificate:
    return make_loopback_certificate(tmp_path_factory.mktemp("push-tls"))


@pytest.fixture
def push_service(push_cert: LoopbackCertificate) -> Iterator[PushServiceStandIn]:
    with PushServiceStandIn(push_cert) as service:
        yield service


@pytest.fixture
def ca_bundle(push_cert: LoopbackCertificate) -> Path:
    return push_cert.cert_file
