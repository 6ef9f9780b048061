"""The scheduler's /metrics and /healthz: in-process and from a real scheduler.py process."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from digest.app import App, build
from digest.config import Secrets
from digest.metrics import ProcessFigures
from digest.ops_http import OpsHttpError, start_endpoints
from tests.conftest import TEST_SECRET, FixedClock
from tests.ops.helpers import samples, sent_edition, value
from tests.schedule.test_processes import prepared, start
from tests.send.helpers import NOW, send_config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_metrics_and_health_on_their_own_ports(new_app: Callable[..., App], tmp_path: Path) -> None:
    app = new_app(send_config(tmp_path), FixedClock(NOW))
    sent_edition(app, 4)
    figures = ProcessFigures()
    endpoints = start_endpoints(
        app, figures, host="127.0.0.1", metrics_port=0, health_port=0, interval_seconds=60
    )
    try:
        metrics_port, health_port = endpoints.ports
        assert metrics_port != health_port
        figures.tick_started()
        figures.tick_finished(ok=True)
        scrape = samples(httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text)
        assert value(scrape, "digest_recipients_total", segment="markets-en", outcome="sent") == 4
        assert value(scrape, "digest_scheduler_ticks_total") == 1
        assert value(scrape, "digest_scheduler_last_tick_timestamp_seconds") > 0
        health = httpx.get(f"http://127.0.0.1:{health_port}/healthz")
        assert health.status_code == 200
        facts = health.json()
        assert facts["status"] == "ok" and facts["database"] == "ok" and facts["ticks"] == 1
        assert httpx.get(f"http://127.0.0.1:{health_port}/metrics").status_code == 404
        # no tick for longer than two intervals: failing
        figures.last_tick_started = time.time() - 3601
        figures.last_tick_finished = time.time() - 3600
        stale = httpx.get(f"http://127.0.0.1:{health_port}/healthz")
        assert stale.status_code == 503 and stale.json()["ticking"] is False
        # a tick running (a long send) is not a stall
        figures.tick_started()
        assert httpx.get(f"http://127.0.0.1:{health_port}/healthz").status_code == 200
    finally:
        endpoints.close()


def test_health_reports_a_database_that_does_not_answer(tmp_path: Path) -> None:
    config = send_config(tmp_path)
    broken = config.model_copy(
        update={"database": config.database.model_copy(update={"url": "sqlite:////no/such/x.db"})}
    )
    app = build(broken, Secrets(secret_key=TEST_SECRET), clock=FixedClock(NOW))
    endpoints = start_endpoints(
        app,
        ProcessFigures(),
        host="127.0.0.1",
        metrics_port=0,
        health_port=0,
        interval_seconds=60,
    )
    try:
        port = endpoints.ports[1]
        r = httpx.get(f"http://127.0.0.1:{port}/healthz")
        assert r.status_code == 503
        assert r.json()["database"].startswith("error: OperationalError")
        scrape = samples(httpx.get(f"http://127.0.0.1:{endpoints.ports[0]}/metrics").text)
        assert value(scrape, "digest_database_up") == 0
    finally:
        endpoints.close()
        app.engine.dispose()


def test_a_port_in_use_is_a_clear_error(new_app: Callable[..., App], tmp_path: Path) -> None:
    app = new_app(send_config(tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OpsHttpError, match=f"cannot listen on 127.0.0.1:{port}"):
            start_endpoints(
                app,
                ProcessFigures(),
                host="127.0.0.1",
                metrics_port=port,
                health_port=None,
                interval_seconds=60,
            )


def test_scheduler_process_serves_both_on_one_port(tmp_path: Path, sqlite_url: str) -> None:
    config = prepared(tmp_path, sqlite_url, schedule="0 0 1 1 *")
    port = _free_port()
    proc = start(config, "--metrics-port", str(port), "--health-port", str(port))
    try:
        deadline = time.monotonic() + 30
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                if health.status_code == 200 and health.json()["ticks"] >= 1:
                    break  # the start-up pass counts as the first tick
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.communicate()[1]
            time.sleep(0.2)
        assert health is not None and health.status_code == 200, health
        assert health.json()["database"] == "ok"
        scrape = samples(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)
        assert value(scrape, "digest_database_up") == 1
        assert value(scrape, "digest_subscribers", status="active") == 3
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_scheduler_refuses_a_port_in_use(tmp_path: Path, sqlite_url: str) -> None:
    config = prepared(tmp_path, sqlite_url, schedule="0 0 1 1 *")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = start(config, "--health-port", str(port))
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert "Traceback" not in err
