"""What render needs besides the edition: the config, the segment, the locale, the web copy."""

from __future__ import annotations

from dataclasses import dataclass

from digest.config import Config, Segment


@dataclass(frozen=True, slots=True)
class RenderContext:
    """The fixed inputs of one edition variant (segment × locale).

    ``web`` renders the view-in-browser page: the same email without the greeting, the
    view-in-browser link or the "you receive this because <address>" line, which name a reader.
    """

    config: Config
    segment: Segment
    locale: str
    browser_url: str
    web: bool = False
