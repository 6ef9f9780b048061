"""kill -9 in the middle of a real ``digest send`` and resume: nobody twice, nobody lost."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.fakes.sendgrid_server import SendGridStandIn
from tests.send.cli_support import run_cli, start_cli, status_json, write_config
from tests.send.helpers import EDITION_DATE, add_subscribers, store_edition


def test_sigkill_mid_send_then_resume(tmp_path: Path, new_app) -> None:
    with SendGridStandIn() as sg:
        config = write_config(
            tmp_path,
            kind="sendgrid",
            concurrency=1,
            sendgrid={"host": sg.url, "batch_size": 20, "timeout_seconds": 30},
        )
        from digest.config import load_config

        app = new_app(load_config(config))
        add_subscribers(app, 200)
        store_edition(app, with_article=True)
        day = EDITION_DATE.isoformat()
        sg.script("ok", "ok", "ok", "hang-after-accept")
        proc = start_cli(config, "send", "markets-en", "--date", day, "--yes")
        try:
            assert sg.state.hung.wait(60), "the sender never reached the fourth batch"
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        finally:
            sg.state.release.set()
            if proc.poll() is None:
                proc.kill()
            _out, err = proc.communicate()
        assert proc.returncode == -signal.SIGKILL, err

        # right after the crash: the hung batch is unknown, the rest pending or sent
        mid = status_json(config, "markets-en", day)
        assert mid["sent"] == 60 and mid["unknown"] == 20 and mid["pending"] == 120

        resumed = run_cli(config, "send", "markets-en", "--date", day, "--yes")
        assert resumed.returncode == 1, resumed.stderr  # unknown recipients remain
        assert "unknown 20" in resumed.stdout

        counts = sg.delivered_counts()
        assert max(counts.values()) == 1  # nobody twice
        assert len(counts) == 200  # the hung batch was accepted by the provider before the kill
        final = status_json(config, "markets-en", day)
        assert final["sent"] == 180 and final["unknown"] == 20 and final["pending"] == 0
        assert final["status"] == "sent"

        # ops decide to re-send the unknown batch on purpose
        again = run_cli(config, "send", "markets-en", "--date", day, "--yes", "--retry-unknown")
        assert again.returncode == 0, again.stderr
        counts = sg.delivered_counts()
        assert sum(1 for n in counts.values() if n == 2) == 20
        assert "sent 200" in again.stdout and "unknown 0" in again.stdout
