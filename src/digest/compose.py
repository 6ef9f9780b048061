"""Pure composition of an edition: the ranking's automatic selection plus editors' choices.

An editor pins an article at a position (it is always included there) or excludes one (it
is never included). Everything else is the ranking's, re-run on every view and at send time
until the edition is approved, so a draft keeps following new articles.
No database and no clock: the caller passes the candidates and the ranking input.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from digest.i18n import N_
from digest.models import Article, EditionItem, ScoredArticle
from digest.rank import RankInput, rank, score_article
from digest.texts import Translatable

EXCLUDED_REASON = "excluded by an editor"


class PinRefused(ValueError, Translatable):
    """A pin or move cannot be made as asked (beyond max_articles, already first …)."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(self._set_message(template, dict(params)))


@dataclass(frozen=True, slots=True)
class Pin:
    """An article an editor pinned; ``position`` 0 is the lead story."""

    article_id: int
    position: int


@dataclass(frozen=True, slots=True)
class Overrides:
    """Editors' choices for one edition."""

    pins: tuple[Pin, ...] = ()
    excluded: frozenset[int] = frozenset()

    @property
    def pinned_ids(self) -> frozenset[int]:
        return frozenset(p.article_id for p in self.pins)

    def pin_of(self, article_id: int) -> Pin | None:
        return next((p for p in self.pins if p.article_id == article_id), None)

    @property
    def empty(self) -> bool:
        return not self.pins and not self.excluded


@dataclass(frozen=True, slots=True)
class Placed:
    """An item of the composed edition with its score parts (None if not scored)."""

    item: EditionItem
    scored: ScoredArticle
    candidate: bool  # False: pinned although outside this edition's candidates


@dataclass(frozen=True, slots=True)
class Composition:
    """The edition's items in order and every candidate left out, with why."""

    placed: tuple[Placed, ...]
    left_out: tuple[tuple[ScoredArticle, str], ...]

    @property
    def items(self) -> tuple[EditionItem, ...]:
        return tuple(p.item for p in self.placed)


def _item(position: int, scored: ScoredArticle, pinned: bool) -> EditionItem:
    return EditionItem(
        position=position,
        article=scored.article,
        score=scored.score,
        topics=scored.topics,
        primary_topic=scored.primary_topic,
        pinned=pinned,
    )


def compose(
    candidates: Sequence[Article],
    pinned_articles: Mapping[int, Article],
    overrides: Overrides,
    inp: RankInput,
) -> Composition:
    """Rank the candidates around the pins and exclusions; place the pins where asked."""
    taken = overrides.pinned_ids | overrides.excluded
    free = [a for a in candidates if a.id is None or a.id not in taken]
    result = rank(free, replace(inp, reserved=len(overrides.pins)))
    candidate_ids = {a.id for a in candidates}
    excluded = tuple(
        (score_article(a, inp), EXCLUDED_REASON)
        for a in candidates
        if a.id is not None and a.id in overrides.excluded
    )
    pins = deque(
        sorted(
            (p for p in overrides.pins if p.article_id in pinned_articles),
            key=lambda p: (p.position, p.article_id),
        )
    )
    auto = deque(result.selected)
    placed: list[Placed] = []
    for index in range(len(pins) + len(auto)):
        if pins and (pins[0].position <= index or not auto):
            pin = pins.popleft()
            scored = score_article(pinned_articles[pin.article_id], inp)
            candidate = pin.article_id in candidate_ids
            placed.append(Placed(_item(index, scored, True), scored, candidate))
        else:
            scored = auto.popleft()
            placed.append(Placed(_item(index, scored, False), scored, True))
    return Composition(placed=tuple(placed), left_out=excluded + result.dropped)


def place_pin(
    pins: Sequence[Pin], article_id: int, position: int, max_articles: int
) -> tuple[Pin, ...]:
    """The pins after pinning ``article_id`` at ``position``: a pin already there moves one
    place down (and so on). PinRefused when a pin would land beyond ``max_articles``."""
    if position < 0 or position >= max_articles:
        raise PinRefused(
            N_("position %(position)s is beyond max_articles (%(max)s); choose 1 to %(max)s"),
            position=position + 1,
            max=max_articles,
        )
    others = sorted((p for p in pins if p.article_id != article_id), key=lambda p: p.position)
    out = [Pin(article_id, position)]
    taken = {position}
    for pin in others:
        place = pin.position
        while place in taken:
            place += 1
        if place >= max_articles:
            raise PinRefused(
                N_(
                    "pinning at %(position)s would push another pinned article beyond "
                    "max_articles (%(max)s); unpin one first"
                ),
                position=position + 1,
                max=max_articles,
            )
        taken.add(place)
        out.append(Pin(pin.article_id, place))
    return tuple(sorted(out, key=lambda p: p.position))


def move_pins(
    pins: Sequence[Pin], composition: Composition, article_id: int, step: int, max_articles: int
) -> tuple[Pin, ...]:
    """The pins after moving ``article_id`` one place up (step -1) or down (+1).

    The article is pinned at its new place; a pinned neighbour it swaps with takes the old.
    PinRefused when it is already first or last.
    """
    order = [p.item.article.id for p in composition.placed]
    if article_id not in order:
        raise PinRefused(N_("that article is not in the edition"))
    source = order.index(article_id)
    target = source + step
    if target < 0 or target >= len(order):
        raise PinRefused(
            N_("that article is already first") if step < 0 else N_("that article is already last")
        )
    neighbour = order[target]
    kept = [p for p in pins if p.article_id not in (article_id, neighbour)]
    if any(p.article_id == neighbour for p in pins) and neighbour is not None:
        kept.append(Pin(neighbour, source))
    return place_pin(kept, article_id, target, max_articles)
