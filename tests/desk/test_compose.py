"""Pure composition: pins placed where asked, exclusions left out with why, moves, refusals."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from digest.compose import (
    EXCLUDED_REASON,
    Overrides,
    Pin,
    PinRefused,
    compose,
    move_pins,
    place_pin,
)
from digest.config import parse_config
from digest.rank import RankInput
from tests.conftest import BASE_CONFIG
from tests.factories import NOW, article

CONFIG = parse_config(BASE_CONFIG, "test")
SEGMENT = CONFIG.segment("markets-en").model_copy(update={"max_articles": 4})
ARTICLES = [
    replace(article(f"DAX story {i}", categories=("Markets",), hours_ago=i + 1), id=i + 1)
    for i in range(3)
] + [
    replace(article(f"Nvidia story {i}", categories=("Technology",), hours_ago=i + 1), id=10 + i)
    for i in range(3)
]
OLD = replace(article("An old DAX story", categories=("Markets",), hours_ago=100), id=99)


def _inp() -> RankInput:
    return RankInput(
        segment=SEGMENT,
        topics=CONFIG.topics,
        ranking=CONFIG.ranking,
        window_start=NOW - timedelta(hours=24),
        now=NOW,
    )


def _titles(composition) -> list[str]:  # noqa: ANN001
    return [p.item.article.title for p in composition.placed]


def test_without_overrides_it_is_the_ranking() -> None:
    c = compose(ARTICLES, {}, Overrides(), _inp())
    assert _titles(c) == ["DAX story 0", "DAX story 1", "DAX story 2", "Nvidia story 0"]
    assert [p.item.position for p in c.placed] == [0, 1, 2, 3]
    assert not any(p.item.pinned for p in c.placed)
    assert [(s.article.title, why) for s, why in c.left_out] == [
        ("Nvidia story 1", "beyond max_articles (4)"),
        ("Nvidia story 2", "beyond max_articles (4)"),
    ]


def test_a_pin_takes_its_place_and_the_ranking_fills_the_rest() -> None:
    pins = Overrides(pins=(Pin(12, 0),))
    c = compose(ARTICLES, {12: ARTICLES[5]}, pins, _inp())
    assert _titles(c) == ["Nvidia story 2", "DAX story 0", "DAX story 1", "DAX story 2"]
    assert c.placed[0].item.pinned and c.placed[0].candidate
    assert ("Nvidia story 0", "beyond max_articles (4, 1 pinned)") in [
        (s.article.title, why) for s, why in c.left_out
    ]


def test_an_article_outside_the_window_can_be_pinned() -> None:
    c = compose(ARTICLES, {99: OLD}, Overrides(pins=(Pin(99, 3),)), _inp())
    assert _titles(c)[3] == "An old DAX story"
    assert not c.placed[3].candidate and c.placed[3].item.pinned


def test_a_pin_beyond_the_articles_there_are_lands_last() -> None:
    few = ARTICLES[:1]
    c = compose(few, {12: ARTICLES[5]}, Overrides(pins=(Pin(12, 3),)), _inp())
    assert _titles(c) == ["DAX story 0", "Nvidia story 2"]


def test_exclusions_are_left_out_with_why_and_the_next_takes_the_place() -> None:
    c = compose(ARTICLES, {}, Overrides(excluded=frozenset({1})), _inp())
    assert "DAX story 0" not in _titles(c)
    assert _titles(c) == ["DAX story 1", "DAX story 2", "Nvidia story 0", "Nvidia story 1"]
    assert (ARTICLES[0].title, EXCLUDED_REASON) in [(s.article.title, w) for s, w in c.left_out]


def test_place_pin_moves_a_pin_already_there_one_place_down() -> None:
    pins = (Pin(1, 0), Pin(2, 1))
    assert place_pin(pins, 3, 0, 4) == (Pin(3, 0), Pin(1, 1), Pin(2, 2))
    assert place_pin(pins, 2, 0, 4) == (Pin(2, 0), Pin(1, 1))  # re-pinning moves it


@pytest.mark.parametrize(
    ("pins", "position", "message"),
    [
        ((), 4, "position 5 is beyond max_articles (4); choose 1 to 4"),
        ((), -1, "position 0 is beyond max_articles"),
        ((Pin(1, 2), Pin(2, 3)), 2, "would push another pinned article beyond max_articles (4)"),
    ],
)
def test_place_pin_refuses_beyond_max_articles(pins, position, message) -> None:  # noqa: ANN001
    with pytest.raises(PinRefused, match=re.escape(message)):
        place_pin(pins, 9, position, 4)


def test_moves_pin_the_article_and_swap_with_a_pinned_neighbour() -> None:
    c = compose(ARTICLES, {}, Overrides(), _inp())
    assert move_pins((), c, 3, -1, 4) == (Pin(3, 1),)
    pinned = compose(ARTICLES, {1: ARTICLES[0]}, Overrides(pins=(Pin(1, 0),)), _inp())
    assert move_pins((Pin(1, 0),), pinned, 2, -1, 4) == (Pin(2, 0), Pin(1, 1))
    with pytest.raises(PinRefused, match="already first"):
        move_pins((), c, 1, -1, 4)
    with pytest.raises(PinRefused, match="already last"):
        move_pins((), c, 10, 1, 4)
    with pytest.raises(PinRefused, match="not in the edition"):
        move_pins((), c, 12, 1, 4)
