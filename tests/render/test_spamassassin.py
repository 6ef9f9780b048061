"""SpamAssassin (local rules only) scores the demo email below 2."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.render import build_mime, list_id, make_message_id, personalise
from digest.send.transports.base import Sender
from tests.render.conftest import values

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "render"


@pytest.mark.parametrize("segment", ["markets-en", "tech-he"])
def test_demo_email_scores_below_2(rendered, config, tmp_path: Path, segment: str) -> None:
    exe = shutil.which("spamassassin")
    if exe is None:
        pytest.skip("spamassassin is not installed (Debian package 'spamassassin')")
    r = rendered[segment]
    pub = config.publication
    email = personalise(
        r,
        values(r.locale),
        list_id=list_id(config, segment),
        unsubscribe_mailto="unsubscribe@skn.example",
    )
    msg = build_mime(
        email,
        sender=Sender(pub.from_email, pub.from_name, pub.reply_to),
        to_email="dana@example.com",
        to_name="Dana Cohen",
        message_id=make_message_id("skn.example", f"demo.{segment}"),
        date=datetime(2026, 1, 30, 5, 0, tzinfo=UTC),
    )
    eml = tmp_path / f"{segment}.eml"
    eml.write_bytes(msg.as_bytes())
    with eml.open("rb") as message:
        done = subprocess.run(
            [exe, "-L", "-t"], stdin=message, capture_output=True, timeout=120, check=False
        )
    out = done.stdout.decode("utf-8", "replace")
    found = re.search(r"^X-Spam-Status: \w+, score=(-?[\d.]+)", out, re.M)
    assert found, f"no X-Spam-Status in spamassassin output: {done.stderr[-500:]!r}"
    score = float(found.group(1))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"spamassassin-{segment}.txt").write_text(out, encoding="utf-8")
    assert score < 2, f"SpamAssassin score {score}:\n{out[-3000:]}"
