"""Per-recipient copies and the MIME message: escaping, list headers, encodings."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

import pytest

from digest.models import PersonalValues
from digest.render import (
    RenderError,
    build_mime,
    list_id,
    make_message_id,
    personalise,
    substitutions,
)
from digest.send.transports.base import Sender
from tests.render.conftest import plain, values

SENDER = Sender(
    from_email="digest@skn.example", from_name="SKN Markets Digest", reply_to="editors@skn.example"
)
DATE = datetime(2026, 1, 30, 5, 0, tzinfo=UTC)

TOKEN = "12345.u.tech-he.awcfZg.9srQbQMhGNY_lVh-2B8O-cL46YtZOPAd3welRZM9XyI"


def test_personalise_escapes_html_and_keeps_text_raw(rendered, config) -> None:
    r = rendered["markets-en"]
    p = personalise(r, values("en"), list_id=list_id(config, "markets-en"), unsubscribe_mailto=None)
    assert "Hi Dana &lt;Cohen&gt; &amp; Co," in p.html
    assert "Hi Dana <Cohen> & Co," in plain(p.text)
    assert "%%digest-" not in p.html and "%%digest-" not in p.text
    assert f'href="https://digest.skn.example/u/{TOKEN}"' in p.html
    assert "https://digest.skn.example/p/tok.def-456" in p.text
    assert p.subject == r.subject


def test_empty_name_gets_a_localised_greeting(rendered, config) -> None:
    blank = PersonalValues("  ", "a@example.com", "https://d.example/u/t", "https://d.example/p/t")
    en = personalise(rendered["markets-en"], blank, list_id="x", unsubscribe_mailto=None)
    he = personalise(rendered["tech-he"], blank, list_id="x", unsubscribe_mailto=None)
    assert "Hi there," in plain(en.text) and "שלום לך," in plain(he.text)


def test_list_headers(rendered, config) -> None:
    p = personalise(
        rendered["markets-en"],
        values("en"),
        list_id=list_id(config, "markets-en"),
        unsubscribe_mailto="unsubscribe@skn.example",
    )
    assert p.headers["List-Unsubscribe"] == (
        f"<https://digest.skn.example/u/{TOKEN}>, "
        f"<mailto:unsubscribe@skn.example?subject=unsubscribe%20{TOKEN}>"
    )
    assert p.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert p.headers["List-Id"] == "<markets-en.digest.skn.example>"
    assert p.headers["Content-Language"] == "en"
    plain = PersonalValues("x", "x@example.com", "http://localhost/u/t", "http://localhost/p/t")
    q = personalise(rendered["markets-en"], plain, list_id="l.example", unsubscribe_mailto=None)
    assert "List-Unsubscribe-Post" not in q.headers  # one-click needs HTTPS
    assert q.headers["List-Unsubscribe"] == "<http://localhost/u/t>"


def test_list_id_from_config(config, tmp_path) -> None:
    assert list_id(config) == "digest.skn.example"
    custom = config.model_copy(
        update={
            "publication": config.publication.model_copy(update={"list_id": "News.SKN.example"})
        }
    )
    assert list_id(custom, "tech-he") == "tech-he.news.skn.example"


def test_substitutions_for_providers(rendered) -> None:
    r = rendered["markets-en"]
    subs = substitutions(r, values("en"))
    assert subs[r.html_tokens["name"]] == "Dana &lt;Cohen&gt; &amp; Co"
    assert subs[r.text_tokens["name"]] == "Dana <Cohen> & Co"
    assert len(subs) == 8


def test_mime_structure_and_headers(rendered, config) -> None:
    r = rendered["tech-he"]
    p = personalise(r, values("he"), list_id=list_id(config, "tech-he"), unsubscribe_mailto=None)
    mid = make_message_id("skn.example", "e12.s345")
    msg = build_mime(
        p, sender=SENDER, to_email="dana@example.com", to_name="דנה כהן", message_id=mid, date=DATE
    )
    raw = msg.as_bytes()
    assert b"\xd7" not in raw.split(b"\r\n\r\n", 1)[0]  # headers are 7-bit (RFC 2047 encoded)
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in parsed.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in parsed.iter_parts())
    assert str(parsed["To"]) == "דנה כהן <dana@example.com>"
    assert str(parsed["From"]) == "SKN Markets Digest <digest@skn.example>"
    assert str(parsed["Reply-To"]) == "editors@skn.example"
    assert parsed["Subject"] == r.subject
    assert parsed["Message-ID"] == "<e12.s345@skn.example>"
    assert parsed["Date"] == "Fri, 30 Jan 2026 05:00:00 +0000"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Id"] == "<tech-he.digest.skn.example>"
    assert parsed["Content-Language"] == "he"  # on the message, not moved into a part
    assert all(part["Content-Language"] is None for part in parsed.iter_parts())
    # the URLs stay literal on the wire: never encoded-words, which clients cannot parse
    raw_head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    unsub = next(ln for ln in raw_head.split("\r\n") if ln.startswith("List-Unsubscribe:"))
    assert "=?utf-8?" not in unsub and unsub.startswith("List-Unsubscribe: <https://")
    html = parsed.get_body(("html",)).get_content()
    text = parsed.get_body(("plain",)).get_content()
    assert "שלום דנה כהן," in plain(text) and "שלום דנה כהן," in html
    assert p.html.strip() == html.strip().replace("\r\n", "\n")


def test_message_id_is_safe_and_deterministic() -> None:
    assert make_message_id("SKN.example", "ed 7/sub<9>") == "<ed-7/sub-9-@skn.example>"
    assert make_message_id("skn.example", "a") == make_message_id("skn.example", "a")
    with pytest.raises(RenderError, match="unique part"):
        make_message_id("skn.example", "")
    with pytest.raises(RenderError, match="not a valid host name"):
        make_message_id("bad domain", "x")


def test_bad_addresses_are_named(rendered) -> None:
    p = personalise(
        rendered["markets-en"], values("en"), list_id="l.example", unsubscribe_mailto=None
    )
    with pytest.raises(RenderError, match="recipient address 'nobody' is not valid"):
        build_mime(p, sender=SENDER, to_email="nobody", to_name="", message_id="<a@b>", date=DATE)
    with pytest.raises(RenderError, match="aware datetime"):
        build_mime(
            p,
            sender=SENDER,
            to_email="a@b.example",
            to_name="",
            message_id="<a@b>",
            date=datetime(2026, 1, 30),
        )
