"""kill -9 during a Web Push send, then resume: nobody gets the edition twice.

Pushes the sender had claimed but not posted go out on resume; pushes that were on the
wire when it died are ``unknown`` (maybe delivered) and are not posted again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from sqlalchemy import select

from digest.store.schema import PushDeliveryRow
from tests.cli_helpers import digest
from tests.conftest import REPO, TEST_SECRET
from tests.fakes.push_service import PushServiceStandIn
from tests.push.helpers import push_app, push_config_dict, store_edition, subscribe

SUBSCRIPTIONS = 800


def start_child(config: Path) -> subprocess.Popen[str]:
    """``digest send --channel webpush`` in its own process."""
    env = {**os.environ, "DIGEST_SECRET_KEY": TEST_SECRET}
    for name in ("DATABASE_URL", "DIGEST_CONFIG", "DIGEST_TRANSPORT"):
        env.pop(name, None)
    args = ["--config", str(config), "send", "markets-en", "--date", "2026-01-30"]
    args += ["--channel", "webpush"]
    return subprocess.Popen(
        [sys.executable, "-c", "from digest.cli import main; main()", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_9_and_resume_sends_nobody_twice(
    tmp_path: Path, db_url: str, ca_bundle: Path, push_service: PushServiceStandIn
) -> None:
    raw = push_config_dict(tmp_path, ca_bundle, db_url, concurrency=8, claim_size=200)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(raw), encoding="utf-8")
    from digest.config import load_config

    app = push_app(load_config(config_file))
    browsers = [push_service.subscribe() for _ in range(SUBSCRIPTIONS)]
    ids = {subscribe(app, b): b for b in browsers}
    store_edition(app)

    child = start_child(config_file)
    deadline = time.monotonic() + 60
    while sum(push_service.state.counts().values()) < 250:
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the sender did not get going"
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.communicate()
    delivered_before = sum(push_service.state.counts().values())

    assert delivered_before < SUBSCRIPTIONS

    resumed = start_child(config_file)
    out, err = resumed.communicate(timeout=180)
    assert resumed.returncode == 0, err

    counts = push_service.state.counts()
    assert max(counts.values()) == 1  # nobody twice
    with app.engine.connect() as conn:
        rows = dict(
            conn.execute(select(PushDeliveryRow.subscription_id, PushDeliveryRow.status)).all()
        )
    assert len(rows) == SUBSCRIPTIONS
    assert set(rows.values()) <= {"sent", "unknown"}
    for sub_id, status in rows.items():
        got = counts.get(ids[sub_id].id, 0)
        if status == "sent":
            assert got == 1
    unknown = [s for s, st in rows.items() if st == "unknown"]
    assert len(unknown) <= 2 * 8 + 8  # at most the groups that were on the wire
    status = digest(
        "--config",
        str(config_file),
        "status",
        "markets-en",
        "--date",
        "2026-01-30",
        "--json",
        cwd=tmp_path,
    )
    data = json.loads(status.stdout)
    assert data["status"] == "sent"
    assert data["channels"]["webpush"]["unknown"] == len(unknown)
    assert data["channels"]["webpush"]["sent"] == SUBSCRIPTIONS - len(unknown)
    # ops may choose to post the unknown ones again (a repeat replaces, Topic and tag)
    retry = digest(
        "--config",
        str(config_file),
        "send",
        "markets-en",
        "--date",
        "2026-01-30",
        "--channel",
        "webpush",
        "--retry-unknown",
        "--yes",
        "--json",
        cwd=tmp_path,
    )
    assert retry.returncode == 0, retry.stderr
    assert json.loads(retry.stdout)["channels"]["webpush"]["unknown"] == 0
    assert all(push_service.state.counts().get(b.id, 0) >= 1 for b in browsers)
    print(f"killed after {delivered_before} pushes; {len(unknown)} left unknown")
    app.engine.dispose()
