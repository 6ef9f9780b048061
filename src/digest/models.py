"""Plain frozen values passed between the pipeline's stages.

Nothing in here touches a database, the network or the clock: stages receive these,
return these, and the use cases in ``editions.py`` move them in and out of the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from digest.lifecycle import EditionState


@dataclass(frozen=True, slots=True)
class Article:
    """One normalised, sanitised article as ingested from a source."""

    uid: str  # stable id: the feed's guid, else the canonical URL (prefixed by source)
    source: str
    url: str  # canonical URL, tracking parameters removed, http(s) only
    title: str  # plain text
    summary: str  # plain text, safe to show anywhere
    summary_html: str  # sanitised HTML (nh3); may be empty
    author: str | None
    categories: tuple[str, ...]
    published_at: datetime  # aware, UTC
    first_seen_at: datetime  # aware, UTC
    read_minutes: int
    image_url: str | None = None
    key_points: tuple[str, ...] = ()
    id: int | None = None  # database id once stored


@dataclass(frozen=True, slots=True)
class ScorePart:
    """How much one topic contributed to an article's affinity."""

    topic: str
    match: float  # 0..1, how strongly the article matches the topic
    weight: float  # the segment's weight for the topic


@dataclass(frozen=True, slots=True)
class ScoredArticle:
    """A candidate article with the parts of its score, for ranking and --explain."""

    article: Article
    affinity: float
    decay: float
    score: float
    primary_topic: str | None
    parts: tuple[ScorePart, ...]
    topics: tuple[str, ...]  # every topic the article matches, strongest first
    duplicates: tuple[str, ...] = ()  # uids of near-duplicates collapsed into this one


@dataclass(frozen=True, slots=True)
class RankResult:
    """The ranked selection for one segment at one time, with what was left out and why."""

    selected: tuple[ScoredArticle, ...]
    dropped: tuple[tuple[ScoredArticle, str], ...]  # (candidate, reason)


@dataclass(frozen=True, slots=True)
class EditionItem:
    """One article placed in an edition."""

    position: int
    article: Article
    score: float
    topics: tuple[str, ...]
    primary_topic: str | None
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class Edition:
    """A segment's digest for one edition date."""

    segment: str
    edition_date: date
    status: EditionState  # changed only through digest.lifecycle
    window_start: datetime
    cutoff_at: datetime
    subject: str
    items: tuple[EditionItem, ...]
    editor_note: str | None = None
    skip_reason: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who gets one copy of an edition, with the data personalisation needs."""

    subscriber_id: int
    email: str
    name: str
    locale: str
    timezone: str


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """An edition variant rendered once; per-recipient parts are tokens in html/text.

    ``tokens`` maps a personal field (``name``, ``email``, ``unsubscribe_url``,
    ``preferences_url``) to the literal placeholder string found in the bodies.
    HTML placeholders and text placeholders differ so that each gets the right escaping.
    """

    subject: str
    html: str
    text: str
    locale: str
    html_tokens: Mapping[str, str]
    text_tokens: Mapping[str, str]
    headers: Mapping[str, str] = field(default_factory=dict)
    dropped_for_budget: tuple[str, ...] = ()  # titles dropped to stay within the size budget
    html_bytes: int = 0  # size of the HTML after personalisation with a long sample
    preheader: str = ""  # the inbox preview line shown after the subject


@dataclass(frozen=True, slots=True)
class PersonalValues:
    """The per-recipient values substituted into a rendered email's tokens."""

    name: str
    email: str
    unsubscribe_url: str
    preferences_url: str


@dataclass(frozen=True, slots=True)
class PersonalisedEmail:
    """One recipient's copy: bodies with tokens replaced, and the per-recipient headers.

    ``headers`` holds List-Unsubscribe, List-Unsubscribe-Post and List-Id; the transport
    adds Message-ID and Date when it builds the message.
    """

    subject: str
    html: str
    text: str
    headers: Mapping[str, str]
