"""What goes into every email besides the articles: disclaimers, the call to action, and the
email settings (templates, size budgets, List-Unsubscribe address, colour, subject length)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from digest.addresses import EmailAddress
from digest.config.base import LocalisedText, _check_localised, _Strict


class Disclaimer(_Strict):
    id: str = Field(min_length=1)
    text: LocalisedText
    link: LocalisedText | None = None  # the full text's address (one, or one per locale)
    # a required disclaimer must have a text for every locale a segment sends in, and the
    # compliance gate refuses an email without it; an optional one is shown where it has a text
    required: bool = True

    _texts = field_validator("text", "link")(classmethod(lambda cls, v: _check_localised(v)))

    @field_validator("link")
    @classmethod
    def _links(cls, v: LocalisedText | None) -> LocalisedText | None:
        for url in [v] if isinstance(v, str) else list((v or {}).values()):
            if not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", url.strip()):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return v


class CallToAction(_Strict):
    heading: LocalisedText
    text: LocalisedText
    button: LocalisedText
    url: LocalisedText  # one address, or one per locale

    _texts = field_validator("heading", "text", "button", "url")(
        classmethod(lambda cls, v: _check_localised(v))
    )

    @field_validator("url")
    @classmethod
    def _urls(cls, v: LocalisedText) -> LocalisedText:
        for url in [v] if isinstance(v, str) else list(v.values()):
            if not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", url.strip()):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return v


class EmailSettings(_Strict):
    template_dir: str | None = None  # a publisher's own templates, searched before ours
    html_budget_kb: float = Field(default=90, gt=10)
    style_budget_kb: float = Field(default=16, gt=1)
    call_to_action: CallToAction | None = None
    unsubscribe_mailto: EmailAddress | None = None  # List-Unsubscribe mailto address
    brand_color: str = Field(default="#0b3d91", pattern=r"^#[0-9a-fA-F]{6}$")
    # subjects are cut (at a word, by whole characters) to this length: phones show ~40
    subject_max_chars: int = Field(default=70, ge=20, le=200)
