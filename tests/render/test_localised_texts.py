"""The publisher's texts in each reader's language: disclaimers (the required-disclaimer rule),
call to action, titles and topic labels, as one string or a map of locale → text."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from digest.config import ConfigError, parse_config
from digest.render import ComplianceError, RenderContext, check_compliance, render_edition
from tests.cli_helpers import digest, write_config
from tests.conftest import config_dict
from tests.render.conftest import CTA, demo_edition, plain

EN = (
    "This article, in whole or in part, does not contain any promise of investment returns, "
    "nor does it constitute professional advice to make investments in any particular field."
)
HE = (
    "כתבה זו, כולה או חלקה, אינה כוללת הבטחה כלשהי לתשואה על השקעות, ואין בה משום ייעוץ "
    "מקצועי לביצוע השקעות בתחום כלשהו."
)
CTA_HE = {
    "heading": {"en": CTA["heading"], "he": "השוואה, בחינה וניתוח של בתי ההשקעות"},
    "text": {"en": CTA["text"], "he": "השאירו את פרטיכם, ומומחה מהצוות שלנו יחזור אליכם."},
    "button": {"en": CTA["button"], "he": "להשוואת בתי ההשקעות"},
    "url": CTA["url"],
}


def _raw(tmp_path: Path, **changes: Any) -> dict[str, Any]:
    raw = config_dict(tmp_path)
    raw["disclaimers"] = [
        {"id": "no-advice", "text": {"en": EN, "he": HE}, "link": "https://www.skn.example/d"}
    ]
    raw["email"] = {"call_to_action": copy.deepcopy(CTA_HE)}
    raw["topics"]["tech"]["label"] = {"en": "Technology", "he": "טכנולוגיה"}
    raw["segments"][1]["title"] = {"he": "טכנולוגיה ורכב", "en": "Tech and Autos"}
    raw.update(changes)
    return raw


def _render(config, segment: str, locale: str):
    ctx = RenderContext(config, config.segment(segment), locale, "https://x.example/e")
    return render_edition(demo_edition(segment), ctx)


def test_each_email_carries_the_disclaimer_and_call_to_action_in_its_language(
    tmp_path: Path,
) -> None:
    config = parse_config(_raw(tmp_path))
    he = _render(config, "tech-he", "he")
    en = _render(config, "tech-he", "en")
    assert HE in " ".join(plain(he.text).split()) and HE in " ".join(he.html.split())
    assert EN not in " ".join(he.html.split())
    assert "להשוואת בתי ההשקעות" in he.html and CTA["button"] not in he.html
    assert "טכנולוגיה ורכב" in he.html and "Tech and Autos" in en.html
    assert EN in " ".join(en.html.split()) and HE not in en.html
    assert he.headers["Content-Language"] == "he" and en.headers["Content-Language"] == "en"
    # the Hebrew "read the full disclaimer" link sits in the Hebrew paragraph, not an English one
    paragraph = he.html.split(HE[:20], 1)[0].rsplit("<p", 1)[1]
    assert 'dir="rtl"' in paragraph and "text-align:right" in paragraph.replace(" ", "")


def test_a_segment_sending_in_a_locale_without_a_required_disclaimer_fails_the_check(
    tmp_path: Path,
) -> None:
    raw = _raw(tmp_path)
    raw["disclaimers"][0]["text"] = {"en": EN}
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "config.yaml")
    message = str(info.value)
    assert "disclaimers[0].text" in message and "'no-advice'" in message
    assert "'markets-en'" in message and "'he'" in message  # the segment and the locale
    # the same config, its segments limited to English, is valid
    for seg in raw["segments"]:
        seg["locale"], seg["locales"] = "en", ["en"]
    assert parse_config(raw).segments[1].send_locales == ("en",)
    # and an optional disclaimer may lack a language: it is left out there
    raw = _raw(tmp_path)
    raw["disclaimers"].append({"id": "promo", "text": {"en": "Promotional."}, "required": False})
    config = parse_config(raw)
    assert "Promotional." in _render(config, "markets-en", "en").html
    assert "Promotional." not in _render(config, "tech-he", "he").html


def test_the_check_names_segment_locale_and_disclaimer_on_the_command_line(
    tmp_path: Path,
) -> None:
    raw = _raw(tmp_path)
    raw["disclaimers"][0]["text"] = {"he": HE}
    path = write_config(tmp_path, **{k: raw[k] for k in ("disclaimers", "email", "segments")})
    result = digest("--config", str(path), "preview", "tech-he", cwd=tmp_path)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "required disclaimer 'no-advice' has no 'en' text" in result.stderr
    assert "segment 'markets-en'" in result.stderr


def test_the_gate_refuses_an_email_without_its_languages_disclaimer(tmp_path: Path) -> None:
    config = parse_config(_raw(tmp_path))
    html = (
        f"<html><body><p>{EN}</p><a href='https://www.skn.example/d'>x</a>"
        "<p>12 Harbour Street, Tel Aviv 6100001, Israel</p><a href='U'>u</a></body></html>"
    )
    text = f"{EN} https://www.skn.example/d 12 Harbour Street, Tel Aviv 6100001, Israel U"
    ok = dict(config=config, unsubscribe_html="U", unsubscribe_text="U")
    assert check_compliance(html, text, locale="en", **ok) == []
    problems = check_compliance(html, text, locale="he", **ok)  # English text in a Hebrew email
    assert "HTML part is missing disclaimer 'no-advice'" in problems
    assert "text part is missing disclaimer 'no-advice'" in problems
    # a config that escaped the check (built in code) still cannot send without the text
    narrow = config.model_copy(
        update={"disclaimers": [config.disclaimers[0].model_copy(update={"text": {"en": EN}})]}
    )
    with pytest.raises(ComplianceError) as info:
        _render(narrow, "tech-he", "he")
    assert "required disclaimer 'no-advice' has no 'he' text" in str(info.value)


def test_a_call_to_action_without_the_readers_language_is_left_out(tmp_path: Path) -> None:
    raw = _raw(tmp_path)
    raw["email"]["call_to_action"]["button"] = {"en": CTA["button"]}
    config = parse_config(raw)
    assert CTA["button"] in _render(config, "markets-en", "en").html
    he = _render(config, "tech-he", "he")
    assert CTA["button"] not in he.html and "השוואה, בחינה" not in he.html


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("title", {"fr": "Titre"}, "segments[0].title: unsupported locale 'fr'"),
        ("title", {"he": "  "}, "segments[0].title: the 'he' text is empty"),
        ("locales", ["en", "fr"], "segments[0].locales: unsupported locale 'fr'"),
        ("subject", "", "segments[0].subject: must not be empty"),
    ],
)
def test_bad_per_locale_texts_are_named(
    tmp_path: Path, where: str, value: Any, message: str
) -> None:
    raw = _raw(tmp_path)
    raw["segments"][0][where] = value
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "config.yaml")
    assert message in str(info.value)
