"""Alerts: missed, failed, outage and held editions are recorded once, shown, posted once."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from digest.alerts import AlertError, acknowledge, active_alerts, post_alerts, sync_held
from digest.app import App
from digest.config import ConfigError, parse_config
from digest.scheduling.runner import ScheduleRunner
from digest.store.schema import AlertRow, EditionRow, ScheduleRunRow
from tests.cli_helpers import digest
from tests.conftest import FixedClock, make_app
from tests.ops.hook_server import HookServer
from tests.schedule.conftest import DUE, add_readers, schedule_config, write_config, write_feed

TODAY = date(2026, 1, 30)
HOOK_PASSWORD = "hook-password-from-the-environment"


@pytest.fixture
def hook() -> Iterator[HookServer]:
    with HookServer() as server:
        yield server


def _alert_config(tmp_path: Path, db_url: str, hook: HookServer) -> dict:
    raw = schedule_config(tmp_path, db_url)
    raw["alerts"] = {
        "apprise_urls": [f"json://ops:${{HOOK_PASSWORD}}@127.0.0.1:{hook.port}/alerts"]
    }
    return raw


@pytest.fixture
def alert_app(
    tmp_path: Path, db_url: str, hook: HookServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[App, FixedClock]]:
    monkeypatch.setenv("HOOK_PASSWORD", HOOK_PASSWORD)
    write_feed(tmp_path / "feed" / "skn.xml", DUE)
    clock = FixedClock(DUE)
    app = make_app(parse_config(_alert_config(tmp_path, db_url, hook), "test"), clock)
    add_readers(app)
    yield app, clock
    app.engine.dispose()


def _miss_today(app: App, clock: FixedClock) -> None:
    """The scheduler was down past the grace: markets-en's run of today is missed."""
    with app.engine.begin() as conn:
        conn.execute(
            ScheduleRunRow.__table__.insert().values(
                segment="markets-en",
                edition_date=TODAY - timedelta(days=1),
                due_at=DUE - timedelta(days=1),
                ran_at=DUE - timedelta(days=1),
                outcome="sent",
                reason="earlier",
                host="test",
            )
        )
    clock.now = DUE + timedelta(minutes=61)
    (result,) = ScheduleRunner(app).catch_up(["markets-en"])
    assert result.outcome == "missed"


def test_a_missed_run_is_alerted_and_posted_once(
    alert_app: tuple[App, FixedClock], hook: HookServer
) -> None:
    app, clock = alert_app
    _miss_today(app, clock)
    (view,) = active_alerts(app)
    assert (view.record.kind, view.record.segment, view.record.edition_date) == (
        "missed",
        "markets-en",
        TODAY,
    )
    assert "was missed" in view.record.message and not view.resolved
    # the runner posted it as it recorded the miss, with the password from the environment
    (post,) = hook.posts
    expected = base64.b64encode(f"ops:{HOOK_PASSWORD}".encode()).decode()
    assert post["authorization"] == f"Basic {expected}"
    assert post["body"]["title"] == "[SKN Markets] missed: markets-en 2026-01-30"
    assert "What to do:" in post["body"]["message"]
    assert view.record.post_state == "posted"
    # the scheduler's next ticks, and another process, post nothing more
    assert post_alerts(app).posted == 0
    ScheduleRunner(app).catch_up(["markets-en"])
    assert len(hook.posts) == 1
    # acknowledged, it leaves the list (and `digest alerts` exits 0)
    acknowledge(app, view.record.id, actor="web:ops@skn.example")
    assert active_alerts(app) == []


def test_a_refusing_channel_is_retried_and_then_given_up(
    alert_app: tuple[App, FixedClock], hook: HookServer, tmp_path: Path
) -> None:
    app, clock = alert_app
    hook.status = 500
    _miss_today(app, clock)
    with app.engine.connect() as conn:
        row = conn.execute(select(AlertRow)).one()
    assert (row.post_state, row.post_attempts) == ("failed", 1)
    assert "not taken by json://" in (row.post_error or "")
    assert HOOK_PASSWORD not in (row.post_error or "")  # channel names hide secrets
    hook.status = 200
    summary = post_alerts(app)
    assert (summary.posted, summary.failed) == (1, 0)
    assert len(hook.taken()) == 1
    # a second alert whose channel keeps refusing is abandoned after max_post_attempts
    hook.status = 503
    with app.engine.begin() as conn:
        conn.execute(update(EditionRow).values(status="held"))
    assert sync_held(app) == 1
    for _ in range(6):
        post_alerts(app)
    with app.engine.connect() as conn:
        held = conn.execute(select(AlertRow).where(AlertRow.kind == "held")).one()
    assert (held.post_state, held.post_attempts) == ("abandoned", 5)


def test_a_send_stopped_by_an_outage_raises_one_outage_alert(
    tmp_path: Path, hook: HookServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest.send.backoff import Backoff
    from digest.send.transports.sendgrid import SendGridTransport
    from tests.fakes.sendgrid_server import SCHEMA_FILE, VALID_KEY, SendGridStandIn

    if not SCHEMA_FILE.is_file():
        pytest.skip(f"SendGrid's OpenAPI spec not found at {SCHEMA_FILE} (../shared missing)")
    monkeypatch.setenv("HOOK_PASSWORD", HOOK_PASSWORD)
    write_feed(tmp_path / "feed" / "skn.xml", DUE)
    with SendGridStandIn() as sg:
        raw = _alert_config(tmp_path, f"sqlite:///{tmp_path / 'digest.db'}", hook)
        raw["transport"] = {
            "kind": "sendgrid",
            "outage_after_seconds": 0,
            "sendgrid": {"host": sg.url, "max_retries": 1},
        }
        config = parse_config(raw, "test")
        transport = SendGridTransport(
            VALID_KEY, config.transport.sendgrid, backoff=Backoff(0.01, 0.05)
        )
        clock = FixedClock(DUE + timedelta(seconds=20))
        app = make_app(config, clock, transport=transport)
        add_readers(app)
        sg.script(*["500"] * 4)  # two runs of two attempts each
        (first,) = ScheduleRunner(app).catch_up(["markets-en"])
        clock.now = DUE + timedelta(minutes=15)
        (second,) = ScheduleRunner(app).catch_up(["markets-en"])  # still down
        assert (first.outcome, second.outcome) == ("failed", "failed")
        (view,) = active_alerts(app)
        assert view.record.kind == "outage" and "3 recipient(s) still pending" in (
            view.record.message
        )
        assert [p["body"]["title"] for p in hook.posts] == [
            "[SKN Markets] outage: markets-en 2026-01-30"
        ]
        # SendGrid is back: the edition is sent and the alert resolves itself
        clock.now = DUE + timedelta(minutes=30)
        (third,) = ScheduleRunner(app).catch_up(["markets-en"])
        assert third.outcome == "sent"
        assert active_alerts(app) == []
        (resolved,) = active_alerts(app, include_resolved=True)
        assert resolved.resolved
        app.engine.dispose()


def test_status_shows_alerts_and_the_alerts_command_acknowledges(
    tmp_path: Path, hook: HookServer
) -> None:
    raw = _alert_config(tmp_path, None, hook)  # type: ignore[arg-type]
    raw["database"]["url"] = f"sqlite:///{tmp_path / 'digest.db'}"
    config = write_config(tmp_path, raw)
    env = {"HOOK_PASSWORD": HOOK_PASSWORD}
    assert digest("--config", str(config), "init", cwd=tmp_path, env=env).returncode == 0
    app = make_app(parse_config(raw, "test"), FixedClock(DUE))
    today = datetime.now(UTC).date()  # the command runs on the real clock
    with app.engine.begin() as conn:
        conn.execute(
            EditionRow.__table__.insert().values(
                segment="markets-en",
                edition_date=today,
                status="held",
                window_start=DUE,
                cutoff_at=DUE,
                subject="s",
                created_at=DUE,
            )
        )
    app.engine.dispose()
    status = digest(
        "--config",
        str(config),
        "status",
        "markets-en",
        "--date",
        today.isoformat(),
        "--json",
        cwd=tmp_path,
        env=env,
    )
    data = json.loads(status.stdout)
    (alert,) = data["alerts"]
    assert alert["kind"] == "held" and "approval" in alert["message"]
    text = digest(
        "--config",
        str(config),
        "status",
        "markets-en",
        "--date",
        today.isoformat(),
        cwd=tmp_path,
        env=env,
    )
    assert text.stdout.startswith(f"ALERT held markets-en {today}:")
    listed = digest("--config", str(config), "alerts", cwd=tmp_path, env=env)
    assert listed.returncode == 1 and f"#{alert['id']} held" in listed.stdout
    acked = digest(
        "--config", str(config), "alerts", "--ack", str(alert["id"]), cwd=tmp_path, env=env
    )
    assert acked.returncode == 0, acked.stderr
    assert "no alerts" in acked.stdout
    missing = digest("--config", str(config), "alerts", "--post", cwd=tmp_path, env={})
    assert missing.returncode == 2
    assert "alerts.apprise_urls[0] needs the environment variable HOOK_PASSWORD" in (missing.stderr)


def test_alert_urls_are_checked_when_the_config_is_loaded(tmp_path: Path) -> None:
    raw = schedule_config(tmp_path)
    raw["alerts"] = {"apprise_urls": ["mailto://ops:hunter2@mail.example"]}
    with pytest.raises(ConfigError) as err:
        parse_config(raw, "cfg")
    assert "alerts.apprise_urls: [0] holds a password; write it as ${ENV_VAR}" in str(err.value)
    raw["alerts"] = {"apprise_urls": ["nonsense"]}
    with pytest.raises(ConfigError, match=r"alerts.apprise_urls: \[0\] is not an Apprise URL"):
        parse_config(raw, "cfg")
    raw["alerts"] = {"apprise_urls": ["bogus://x"]}
    app = make_app(parse_config(raw, "cfg"))
    with pytest.raises(AlertError, match=r"alerts.apprise_urls\[0\]: Apprise does not understand"):
        app.alert_channels()
    app.engine.dispose()
