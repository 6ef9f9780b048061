"""The quickstart's main job: `digest run --demo` on a fresh directory, twice."""

from __future__ import annotations

import email
import shutil
from email import policy
from pathlib import Path

from digest.demo import SEED, seed_articles
from tests.cli_helpers import digest
from tests.conftest import REPO


def test_seed_page_yields_the_publications_articles() -> None:
    arts = seed_articles(SEED.read_text(encoding="utf-8"))
    assert arts[0].key_points[0].startswith("Ford has held preliminary discussions")
    assert [a.author for a in arts[1:5]] == ["orshu", "Ronny Mor", "Lior mor", "Ronny Mor"]
    assert [a.minutes_ago for a in arts[1:5]] == [2, 43, 600, 900]
    assert all(a.read_minutes == 6 for a in arts[1:5])


def test_demo_runs_end_to_end_and_never_sends_twice(tmp_path: Path) -> None:
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    env: dict[str, str | None] = {"DIGEST_SECRET_KEY": None}  # the demo keeps its own key
    first = digest("run", "--demo", cwd=tmp_path, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    files = sorted((tmp_path / "outbox").rglob("*.eml"))
    assert len(files) == 6
    assert "summary: 2 segment(s)" in first.stdout
    assert "6 email(s) sent now to outbox" in first.stdout
    disclaimers = {  # the publisher's disclaimer, in each email's own language
        "en": "does not contain any promise of investment returns",
        "he": "אינה כוללת הבטחה כלשהי לתשואה על השקעות",
    }
    languages = set()
    for f in files:
        msg = email.message_from_bytes(f.read_bytes(), policy=policy.default)
        text = msg.get_body(("plain",)).get_content()
        text = text.replace("\u200e", "").replace("\u200f", "")  # invisible direction marks
        html = msg.get_body(("html",)).get_content()
        lang = msg["Content-Language"]
        languages.add(lang)
        assert f'<html lang="{lang}"' in html
        disclaimer = disclaimers[lang]
        assert disclaimer in " ".join(text.split()) and disclaimer in " ".join(html.split())
        assert "12 Harbour Street" in text
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    recipients = sorted(
        str(email.message_from_bytes(f.read_bytes(), policy=policy.default)["To"]) for f in files
    )
    assert len(set(recipients)) == 6
    assert languages == {"en", "he"}

    second = digest("run", "--demo", cwd=tmp_path, env=env, timeout=300)
    assert second.returncode == 0, second.stderr
    assert len(list((tmp_path / "outbox").rglob("*.eml"))) == 6
    assert "already sent earlier; nothing sent now" in second.stdout
    assert "0 email(s) sent now" in second.stdout
