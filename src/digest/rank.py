"""Pure ranking: which articles a segment gets, in what order, and why.

score = affinity × decay, where affinity = Σ segment weight × topic match (0..1) and
decay = 0.5 ** (age / half-life). Near-duplicates collapse into the best-scored copy, each
primary topic is capped at ``max_per_topic``, and ties break on publication time, then uid.
No database, no clock: the caller passes the articles, the window and ``now``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from digest.config import Ranking, Segment, Topic
from digest.models import Article, RankResult, ScoredArticle, ScorePart

CATEGORY_MATCH = 1.0
TITLE_KEYWORD_MATCH = 0.8
SUMMARY_KEYWORD_MATCH = 0.5

# A short all-caps brand or section prefix such as "SKN |" or "BREAKING:" before a title.
_PREFIX = re.compile(r"^\s*[A-Z0-9][A-Z0-9&.]{1,14}\s*[|:–—-]\s+")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class RankInput:
    """Everything ranking needs besides the articles."""

    segment: Segment
    topics: Mapping[str, Topic]
    ranking: Ranking
    window_start: datetime
    now: datetime
    exclude_ids: frozenset[int] = frozenset()
    # Articles first seen inside the window but dated before it (a feed that lagged) still
    # count when published after this time; None takes only articles dated in the window.
    late_since: datetime | None = None
    # places already taken by articles an editor pinned: the ranking fills the rest
    reserved: int = 0


@lru_cache(maxsize=512)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(keyword) + r"(?!\w)", re.IGNORECASE)


def topic_match(article: Article, topic: Topic) -> float:
    """How strongly the article matches the topic: category 1.0, title 0.8, summary 0.5."""
    cats = {c.casefold() for c in article.categories}
    if any(c.casefold() in cats for c in topic.categories):
        return CATEGORY_MATCH
    best = 0.0
    for kw in topic.keywords:
        pat = _keyword_pattern(kw)
        if pat.search(article.title):
            return TITLE_KEYWORD_MATCH
        if best < SUMMARY_KEYWORD_MATCH and pat.search(article.summary):
            best = SUMMARY_KEYWORD_MATCH
    return best


def title_key(title: str) -> str:
    """A title reduced to what identifies the story: no brand prefix, case or punctuation."""
    t = unicodedata.normalize("NFKC", title)
    while True:
        stripped = _PREFIX.sub("", t, count=1)
        if stripped == t:
            break
        t = stripped
    return _NON_WORD.sub(" ", t.casefold()).strip()


def score_article(article: Article, inp: RankInput) -> ScoredArticle:
    """Score one article for the segment with every part of the score kept."""
    parts = []
    all_topics: list[tuple[float, str]] = []
    for name, topic in sorted(inp.topics.items()):
        match = topic_match(article, topic)
        if match <= 0:
            continue
        all_topics.append((match, name))
        weight = inp.segment.topics.get(name)
        if weight is not None:
            parts.append(ScorePart(topic=name, match=match, weight=weight))
    affinity = sum(p.match * p.weight for p in parts)
    age_h = max(0.0, (inp.now - article.published_at).total_seconds() / 3600)
    decay = 0.5 ** (age_h / inp.ranking.half_life_hours)
    weighted = sorted(parts, key=lambda p: (-(p.match * p.weight), p.topic))
    primary = weighted[0].topic if weighted and weighted[0].weight > 0 else None
    return ScoredArticle(
        article=article,
        affinity=affinity,
        decay=decay,
        score=affinity * decay,
        primary_topic=primary,
        parts=tuple(parts),
        topics=tuple(n for _, n in sorted(all_topics, key=lambda t: (-t[0], t[1]))),
    )


def in_window(article: Article, inp: RankInput) -> bool:
    """Published in the window, or first seen in it after a feed lagged behind."""
    if inp.window_start < article.published_at <= inp.now:
        return True
    return (
        inp.late_since is not None
        and inp.window_start < article.first_seen_at <= inp.now
        and inp.late_since < article.published_at <= inp.now
    )


def _order(s: ScoredArticle) -> tuple[float, float, str]:
    return (-s.score, -s.article.published_at.timestamp(), s.article.uid)


def rank(articles: Iterable[Article], inp: RankInput) -> RankResult:
    """Rank the segment's candidates in its window; explain every article left out."""
    dropped: list[tuple[ScoredArticle, str]] = []
    scored: list[ScoredArticle] = []
    for art in articles:
        s = score_article(art, inp)
        if art.id is not None and art.id in inp.exclude_ids:
            dropped.append((s, "already sent in an earlier edition of this segment"))
        elif art.published_at > inp.now:
            dropped.append((s, "scheduled for later publication"))
        elif not in_window(art, inp):
            dropped.append((s, "published before this edition's window"))
        elif s.score <= 0:
            dropped.append((s, "matches none of the segment's topics"))
        else:
            scored.append(s)
    scored.sort(key=_order)

    kept: list[ScoredArticle] = []
    seen_url: dict[str, int] = {}
    seen_title: dict[str, int] = {}
    for s in scored:
        key = title_key(s.article.title)
        idx = seen_url.get(s.article.url)
        if idx is None and key:
            idx = seen_title.get(key)
        if idx is not None:
            winner = kept[idx]
            kept[idx] = replace(winner, duplicates=(*winner.duplicates, s.article.uid))
            dropped.append((s, f"duplicate of {winner.article.url}"))
            continue
        seen_url[s.article.url] = len(kept)
        if key:
            seen_title[key] = len(kept)
        kept.append(s)

    selected: list[ScoredArticle] = []
    per_topic: dict[str | None, int] = {}
    limit = max(0, inp.segment.max_articles - inp.reserved)
    full = f"beyond max_articles ({inp.segment.max_articles})"
    if inp.reserved:
        full = f"beyond max_articles ({inp.segment.max_articles}, {inp.reserved} pinned)"
    for s in kept:
        n = per_topic.get(s.primary_topic, 0)
        if s.primary_topic is not None and n >= inp.ranking.max_per_topic:
            dropped.append((s, f"more than {inp.ranking.max_per_topic} on {s.primary_topic}"))
            continue
        if len(selected) >= limit:
            dropped.append((s, full))
            continue
        per_topic[s.primary_topic] = n + 1
        selected.append(s)
    return RankResult(selected=tuple(selected), dropped=tuple(dropped))
