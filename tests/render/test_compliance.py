"""The compliance gate refuses any email without its disclaimers, unsubscribe link or address."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.models import RenderedEmail
from digest.render import (
    ComplianceError,
    check_compliance,
    check_personalised,
    check_rendered,
    list_id,
    personalise,
    render_edition,
)
from tests.render.conftest import context, demo_config, demo_edition, values


def _check(html: str, text: str, config, unsub_html="U", unsub_text="U", locale="en") -> list[str]:
    return check_compliance(
        html,
        text,
        config=config,
        locale=locale,
        unsubscribe_html=unsub_html,
        unsubscribe_text=unsub_text,
    )


GOOD_TEXT = (
    "This article, in whole or in part, does not contain any promise of investment returns,\n"
    "nor does it constitute professional advice to make investments in any particular field.\n"
    "https://www.skn.example/disclaimer 12 Harbour Street, Tel Aviv 6100001, Israel U"
)
DISCLAIMER_HTML = (
    "<p>This article, in whole or in part, does not contain any promise of investment returns, "
    "nor does it constitute professional advice to make investments in any particular field. "
    '<a href="https://www.skn.example/disclaimer">Read the full disclaimer</a></p>'
)


def test_rendered_demo_emails_pass(rendered: dict[str, RenderedEmail], config) -> None:
    for r in rendered.values():
        assert check_rendered(r, config) == []


def test_complete_minimal_email_passes(config) -> None:
    html = (
        f"<html><body>{DISCLAIMER_HTML}<p>12 Harbour Street, Tel Aviv 6100001, Israel</p>"
        '<a href="U">Unsubscribe</a></body></html>'
    )
    assert _check(html, GOOD_TEXT, config) == []


def test_each_missing_part_is_named(config) -> None:
    problems = _check("<html><body><p>Hello</p></body></html>", "Hello", config)
    assert "HTML part is missing disclaimer 'no-advice'" in problems
    assert "text part is missing disclaimer 'no-advice'" in problems
    assert "HTML part is missing the link to full disclaimer 'no-advice'" in problems
    assert "HTML part is missing the postal address" in problems
    assert "text part is missing the postal address" in problems
    assert "HTML part is missing the unsubscribe link" in problems
    assert "text part is missing the unsubscribe URL" in problems


def test_hidden_text_and_comments_do_not_count(config) -> None:
    html = (
        '<html><body><div style="display: none">'
        f"{DISCLAIMER_HTML}</div><!-- 12 Harbour Street, Tel Aviv 6100001, Israel -->"
        "<p>Unsubscribe: U</p></body></html>"
    )
    problems = _check(html, GOOD_TEXT, config)
    assert "HTML part is missing disclaimer 'no-advice'" in problems
    assert "HTML part is missing the postal address" in problems
    assert "HTML part is missing the unsubscribe link" in problems  # text is not a link


def test_broken_html_is_a_refusal_not_a_crash(config) -> None:
    assert "HTML part is missing the postal address" in _check("", GOOD_TEXT, config)


def test_custom_template_without_disclaimer_is_refused_and_nothing_returned(tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    (folder / "partials").mkdir(parents=True)
    (folder / "partials" / "footer.html.j2").write_text(
        "<p>{{ publication.postal_address }} "
        '<a href="{{ html.unsubscribe_url }}">Unsubscribe</a></p>\n'
    )
    cfg = demo_config(tmp_path, template_dir=str(folder))
    with pytest.raises(ComplianceError) as info:
        render_edition(demo_edition("markets-en"), context(cfg, "markets-en"))
    assert info.value.problems == [
        "HTML part is missing disclaimer 'no-advice'",
        "HTML part is missing the link to full disclaimer 'no-advice'",
    ]
    assert "disclaimer 'no-advice'" in str(info.value)


def test_dispatcher_check_on_a_personalised_copy(rendered, config) -> None:
    r = rendered["markets-en"]
    v = values("en")
    email = personalise(r, v, list_id=list_id(config, "markets-en"), unsubscribe_mailto=None)
    assert check_personalised(email, config, v.unsubscribe_url) == []
    stripped = type(email)(email.subject, email.html, email.text, {})
    problems = check_personalised(stripped, config, v.unsubscribe_url)
    assert any("List-Unsubscribe" in p for p in problems)
    assert "Content-Language header is missing" in problems
    other = check_personalised(email, config, "https://digest.skn.example/u/someone-else")
    assert "HTML part is missing the unsubscribe link" in other
