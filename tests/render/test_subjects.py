"""Subjects that fit and speak the body's language, for every segment × locale."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import regex

from digest.config import Config
from digest.i18n import segment_title
from digest.render import RenderContext, render_edition
from digest.render.view import shorten
from tests.cli_helpers import digest, write_config
from tests.render.conftest import demo_config, demo_edition

HEBREW = regex.compile(r"\p{Hebrew}")
SEED_LEAD = (
    "SKN | Shanghai Composite Faces Profit-Taking Correction: Is the 2026 Bull Run Under Threat?"
)


def graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


def _ctx(config: Config, segment: str, locale: str) -> RenderContext:
    return RenderContext(
        config=config,
        segment=config.segment(segment),
        locale=locale,
        browser_url=f"https://digest.skn.example/e/{segment}/2026-01-30?lang={locale}",
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    cfg = demo_config(tmp_path_factory.mktemp("subjects"))
    titles = {"markets-en": {"en": "Markets Morning", "he": "בוקר שווקים"}}
    segments = [s.model_copy(update={"title": titles.get(s.name, s.title)}) for s in cfg.segments]
    return cfg.model_copy(update={"segments": segments})


def _long_lead_edition(segment: str):
    edition = demo_edition(segment)
    lead = edition.items[0]
    article = replace(lead.article, title=SEED_LEAD)
    return replace(edition, items=(replace(lead, article=article), *edition.items[1:]))


@pytest.mark.parametrize("segment", ["markets-en", "tech-he"])
@pytest.mark.parametrize("locale", ["en", "he"])
def test_subject_fits_names_the_edition_and_speaks_the_body_language(
    config: Config, segment: str, locale: str
) -> None:
    rendered = render_edition(_long_lead_edition(segment), _ctx(config, segment, locale))
    subject = rendered.subject
    assert graphemes(subject) <= config.email.subject_max_chars == 70, subject
    title = segment_title(config, config.segment(segment), locale)
    assert subject.startswith(title), subject  # the edition's name, in the body's language
    assert "Shanghai Composite" in subject  # then the top headline, cut at a word boundary
    assert subject.endswith("…") and " …" not in subject
    assert bool(HEBREW.search(title)) == (locale == "he")
    assert rendered.locale == locale and rendered.headers["Content-Language"] == locale
    assert f"<title>{subject}</title>" in rendered.html
    html_lang = regex.search(r'<html lang="(\w+)" dir="(\w+)"', rendered.html)
    assert html_lang is not None
    assert html_lang.groups() == (locale, "rtl" if locale == "he" else "ltr")


def test_a_stored_subject_belongs_to_the_segments_own_locale(config: Config) -> None:
    edition = replace(demo_edition("tech-he"), subject="תקציר טכנולוגיה: כותרת שנבחרה ביד")
    own = render_edition(edition, _ctx(config, "tech-he", "he"))
    assert own.subject == "תקציר טכנולוגיה: כותרת שנבחרה ביד"
    other = render_edition(edition, _ctx(config, "tech-he", "en"))
    assert not HEBREW.search(other.subject.split(":")[0]), other.subject
    assert other.subject.startswith("Tech digest")


def test_subject_and_preheader_templates_per_locale(tmp_path: Path) -> None:
    cfg = demo_config(tmp_path)
    seg = cfg.segment("tech-he").model_copy(
        update={
            "subject": {"he": "{title} · {date}", "en": "{publication}: {lead}"},
            "preheader": {"he": "היום ב{title}: {lead}", "en": "Today: {lead}"},
        }
    )
    cfg = cfg.model_copy(update={"segments": [cfg.segments[0], seg]})
    he = render_edition(demo_edition("tech-he"), _ctx(cfg, "tech-he", "he"))
    assert he.subject == "תקציר טכנולוגיה · 30 בינואר 2026"
    assert "היום בתקציר טכנולוגיה: Ford Holds Talks" in he.html
    en = render_edition(demo_edition("tech-he"), _ctx(cfg, "tech-he", "en"))
    assert en.subject.startswith("SKN Markets: Ford Holds Talks With China")
    assert graphemes(en.subject) <= 70
    assert "Today: Ford Holds Talks" in en.html


def test_shorten_never_splits_a_grapheme_or_a_word() -> None:
    family = "👨‍👩‍👧‍👦"
    text = "שָׁלוֹם " * 3 + family * 5 + " end"
    assert graphemes(text) == 24 and shorten(text, 24) == text
    for limit in range(4, 24):
        cut = shorten(text, limit)
        assert graphemes(cut) <= limit
        assert cut.endswith("…")
        assert text.startswith(cut[:-1].rstrip())  # whole graphemes, whole words
        assert "\u200d…" not in cut and not cut[:-1].endswith("\u200d")
    assert shorten("short", 70) == "short"


def test_preview_accepts_only_the_segments_locales(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    bad = digest("--config", str(path), "preview", "markets-en", "--locale", "fr", cwd=tmp_path)
    assert bad.returncode == 2
    assert "'fr'" in bad.stderr and "en, he" in bad.stderr and "Traceback" not in bad.stderr
    only_en = write_config(
        tmp_path,
        segments=[
            {"name": "markets-en", "topics": {"markets": 1}, "locale": "en", "locales": ["en"]}
        ],
    )
    he = digest("--config", str(only_en), "preview", "markets-en", "--locale", "he", cwd=tmp_path)
    assert he.returncode == 2 and "sends in: en" in he.stderr
