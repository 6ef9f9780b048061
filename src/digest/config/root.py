"""The whole configuration (``Config``): every section, and the checks that span sections."""

from __future__ import annotations

from pydantic import Field, model_validator

from digest.config.alerts import Alerts
from digest.config.base import ConfigError, _Strict, text_in
from digest.config.email_settings import Disclaimer, EmailSettings
from digest.config.push import Push
from digest.config.sections import (
    Database,
    Desk,
    Ingest,
    Publication,
    Ranking,
    Scheduler,
    Source,
    Topic,
    Web,
)
from digest.config.segments import Segment
from digest.config.transport import Transport


class Config(_Strict):
    publication: Publication
    database: Database = Database()
    sources: list[Source] = Field(default_factory=list)
    topics: dict[str, Topic] = Field(default_factory=dict)
    ranking: Ranking = Ranking()
    segments: list[Segment] = Field(min_length=1)
    disclaimers: list[Disclaimer] = Field(default_factory=list)
    transport: Transport = Transport()
    email: EmailSettings = EmailSettings()
    ingest: Ingest = Ingest()
    scheduler: Scheduler = Scheduler()
    web: Web = Web()
    desk: Desk = Desk()
    push: Push = Push()
    alerts: Alerts = Alerts()

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        names = [s.name for s in self.segments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"segments: duplicate segment name(s): {', '.join(dupes)}")
        for i, seg in enumerate(self.segments):
            for topic in seg.topics:
                if topic not in self.topics:
                    raise ValueError(
                        f"segments[{i}].topics: unknown topic {topic!r} "
                        f"(defined topics: {', '.join(sorted(self.topics)) or 'none'})"
                    )
        src = [s.name for s in self.sources]
        if len(set(src)) != len(src):
            raise ValueError("sources: source names must be unique")
        for i, seg in enumerate(self.segments):
            if "webpush" in seg.channels and not self.publication.push_contact:
                raise ValueError(
                    f"segments[{i}].channels: webpush needs publication.push_contact "
                    "(a mailto: or https: URL, the VAPID subject)"
                )
        ids = [d.id for d in self.disclaimers]
        if len(set(ids)) != len(ids):
            raise ValueError("disclaimers: disclaimer ids must be unique")
        _check_required_disclaimers(self)
        return self

    def segment(self, name: str) -> Segment:
        """The segment called ``name``; ConfigError naming the known ones otherwise."""
        for seg in self.segments:
            if seg.name == name:
                return seg
        known = ", ".join(s.name for s in self.segments)
        raise ConfigError(f"unknown segment {name!r}; configured segments: {known}")


def _check_required_disclaimers(config: Config) -> None:
    """Every required disclaimer has a text in every locale every segment sends in."""
    for i, seg in enumerate(config.segments):
        for locale in seg.send_locales:
            for d in config.disclaimers:
                if d.required and text_in(d.text, locale) is None:
                    j = config.disclaimers.index(d)
                    raise ValueError(
                        f"disclaimers[{j}].text: required disclaimer {d.id!r} has no {locale!r} "
                        f"text, but segment {seg.name!r} sends in {locale!r} (add "
                        f"disclaimers[{j}].text.{locale}, or set segments[{i}].locales to the "
                        "locales it has)"
                    )
