"""Ranking is pure: affinity × decay, window, history, duplicates, per-topic cap, ties."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digest.config import Ranking, Segment, Topic
from digest.rank import RankInput, rank, title_key, topic_match
from tests.factories import NOW, article

TOPICS = {
    "markets": Topic(categories=["Markets"], keywords=["index", "DAX"]),
    "tech": Topic(categories=["Technology"], keywords=["AI", "Nvidia"]),
}


def seg(**kw) -> Segment:
    base = {"name": "s", "topics": {"markets": 1.0, "tech": 0.5}, "max_articles": 10}
    base.update(kw)
    return Segment(**base)


def inp(segment: Segment | None = None, **kw) -> RankInput:
    base = dict(
        segment=segment or seg(),
        topics=TOPICS,
        ranking=Ranking(half_life_hours=12, max_per_topic=3),
        window_start=NOW - timedelta(hours=24),
        now=NOW,
    )
    base.update(kw)
    return RankInput(**base)


def test_topic_match_strengths() -> None:
    t = TOPICS["markets"]
    assert topic_match(article("x", categories=("markets",)), t) == 1.0
    assert topic_match(article("The DAX rallies"), t) == 0.8
    assert topic_match(article("Quiet day", summary="the index fell"), t) == 0.5
    # whole words only, case-insensitive
    assert topic_match(article("Indexing strategies", summary="reindex"), t) == 0.0
    assert topic_match(article("dax slips"), t) == 0.8
    assert topic_match(article("SAID nothing", summary="maid"), TOPICS["tech"]) == 0.0


def test_score_is_affinity_times_half_life_decay() -> None:
    fresh = article("DAX up", hours_ago=0)
    old = article("DAX down", hours_ago=12)
    res = rank([old, fresh], inp())
    by_title = {s.article.title: s for s in res.selected}
    assert by_title["DAX up"].affinity == pytest.approx(0.8)
    assert by_title["DAX up"].decay == pytest.approx(1.0)
    assert by_title["DAX down"].decay == pytest.approx(0.5)
    assert by_title["DAX down"].score == pytest.approx(0.4)
    assert [s.article.title for s in res.selected] == ["DAX up", "DAX down"]


def test_weights_change_the_order() -> None:
    a = article("Nvidia results", categories=("Technology",), hours_ago=1)
    b = article("Index slips", categories=("Markets",), hours_ago=1)
    markets_first = rank([a, b], inp(seg(topics={"markets": 1.0, "tech": 0.5})))
    tech_first = rank([a, b], inp(seg(topics={"markets": 0.2, "tech": 1.0})))
    assert markets_first.selected[0].article.title == "Index slips"
    assert tech_first.selected[0].article.title == "Nvidia results"
    explained = tech_first.selected[0]
    assert [(p.topic, p.weight, p.match) for p in explained.parts] == [("tech", 1.0, 1.0)]


def test_window_future_and_history_are_excluded_with_reasons() -> None:
    inside = article("DAX in window", hours_ago=2, id=1)
    before = article("DAX before window", hours_ago=30, id=2)
    future = article("DAX tomorrow", hours_ago=-3, id=3)
    carried = article("DAX carried", hours_ago=1, id=4)
    off_topic = article("Football scores", hours_ago=1, id=5)
    res = rank([inside, before, future, carried, off_topic], inp(exclude_ids=frozenset({4})))
    assert [s.article.title for s in res.selected] == ["DAX in window"]
    reasons = {s.article.title: r for s, r in res.dropped}
    assert "before this edition's window" in reasons["DAX before window"]
    assert "later publication" in reasons["DAX tomorrow"]
    assert "earlier edition" in reasons["DAX carried"]
    assert "none of the segment's topics" in reasons["Football scores"]


def test_near_duplicates_collapse_into_the_best_copy() -> None:
    a = article("SKN | Can the DAX Maintain Its Momentum?", hours_ago=1, uid="a")
    b = article("can the dax maintain its momentum", hours_ago=3, uid="b")
    c = article("Another DAX story", url=a.url, hours_ago=2, uid="c")
    res = rank([b, c, a], inp())
    assert [s.article.uid for s in res.selected] == ["a"]
    assert set(res.selected[0].duplicates) == {"b", "c"}
    assert all("duplicate of" in r for _, r in res.dropped)


def test_title_key_strips_brand_prefix_case_and_punctuation() -> None:
    assert title_key("SKN | Nvidia’s CEO Signals Deeper Bet!") == title_key(
        "nvidia s ceo signals deeper bet"
    )
    assert title_key("BREAKING: DAX falls") == "dax falls"
    assert title_key('מדד ת"א 35 נסגר בעלייה') == "מדד ת א 35 נסגר בעלייה"


def test_max_per_topic_and_max_articles() -> None:
    arts = [article(f"DAX story {i}", categories=("Markets",), hours_ago=i + 1) for i in range(5)]
    arts += [
        article(f"Nvidia story {i}", categories=("Technology",), hours_ago=i + 1) for i in range(5)
    ]
    res = rank(arts, inp(seg(max_articles=5)))
    topics = [s.primary_topic for s in res.selected]
    assert topics.count("markets") == 3
    assert len(res.selected) == 5
    assert any("more than 3 on markets" in r for _, r in res.dropped)
    assert any("beyond max_articles" in r for _, r in res.dropped)


def test_ties_break_deterministically() -> None:
    x = article("DAX x", hours_ago=1, uid="x")
    y = article("DAX y", hours_ago=1, uid="y")
    assert [s.article.uid for s in rank([y, x], inp()).selected] == ["x", "y"]
    assert [s.article.uid for s in rank([x, y], inp()).selected] == ["x", "y"]


def test_late_arrivals_count_once_a_feed_catches_up() -> None:
    from dataclasses import replace

    lagged = replace(
        article("DAX story the feed published late", hours_ago=30),
        first_seen_at=NOW - timedelta(hours=1),
    )
    ancient = replace(
        article("DAX archive item", hours_ago=24 * 30), first_seen_at=NOW - timedelta(hours=1)
    )
    strict = rank([lagged, ancient], inp())
    assert strict.selected == ()
    lenient = rank([lagged, ancient], inp(late_since=NOW - timedelta(hours=48)))
    assert [s.article.title for s in lenient.selected] == ["DAX story the feed published late"]
