"""Fixtures for render tests: the demo config (with a call to action) and rendered demo segments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from digest.config import Config
from digest.models import Edition, PersonalValues, RenderedEmail
from digest.render import RenderContext, render_edition
from tests.conftest import make_config
from tests.render.editions import make_edition

CTA = {
    "heading": "Comparison, examination, and analysis between investment houses",
    "text": "Leave your details, and an expert from our team will get back to you "
    "as soon as possible.",
    "button": "Compare investment houses",
    "url": "https://www.skn.example/compare-investment-houses",
}
DEMO_SEGMENTS = ("markets-en", "tech-he")


def demo_config(tmp: Path, **email: Any) -> Config:
    """The conftest demo config with a call to action and optional email settings."""
    return make_config(tmp, email={"call_to_action": CTA, **email})


def context(config: Config, segment: str) -> RenderContext:
    """The render context of ``segment`` in its own locale."""
    seg = config.segment(segment)
    return RenderContext(
        config=config,
        segment=seg,
        locale=seg.locale,
        browser_url=f"{config.publication.base_url}/e/{segment}/2026-01-30",
    )


def demo_edition(segment: str, **kw: Any) -> Edition:
    """The demo edition of a segment (Hebrew stories mixed in for Hebrew segments)."""
    return make_edition(segment, hebrew=segment.endswith("-he"), **kw)


def plain(text: str) -> str:
    """The text part as a reader reads it: without the invisible direction marks."""
    return text.replace("\u200e", "").replace("\u200f", "")


def values(locale: str = "en") -> PersonalValues:
    """A recipient's personal values, with a Hebrew name for Hebrew."""
    return PersonalValues(
        name="דנה כהן" if locale == "he" else "Dana <Cohen> & Co",
        email="dana@example.com",
        unsubscribe_url="https://digest.skn.example/u/12345.u.tech-he.awcfZg.9srQbQMhGNY_lVh-2B8O-cL46YtZOPAd3welRZM9XyI",
        preferences_url="https://digest.skn.example/p/tok.def-456",
    )


@pytest.fixture(scope="session")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return demo_config(tmp_path_factory.mktemp("render-config"))


@pytest.fixture(scope="session")
def rendered(config: Config) -> dict[str, RenderedEmail]:
    """Each demo segment rendered once for the whole session."""
    return {s: render_edition(demo_edition(s), context(config, s)) for s in DEMO_SEGMENTS}
