"""Helpers for the ops tests: a sent edition on any database, metrics parsed back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from digest.app import App
from digest.models import Edition
from digest.sending import send_edition
from digest.store.schema import DeliveryRow
from tests.send.helpers import EDITION_DATE, add_subscribers, store_edition


def sent_edition(app: App, n: int = 12, *, segment: str = "markets-en") -> Edition:
    """An edition of ``segment`` sent through the configured transport to ``n`` readers."""
    add_subscribers(app, n, segment=segment, prefix=f"{segment}-r")
    edition = store_edition(app, segment, "approved", with_article=True)
    send_edition(app, segment, EDITION_DATE, actor="test")
    return edition


def set_delivery_status(app: App, edition_id: int, ids: Iterable[int], status: str) -> None:
    """Rewrite some recipients' ledger rows (a failure or an unknown outcome, for figures)."""
    with app.engine.begin() as conn:
        conn.execute(
            update(DeliveryRow)
            .where(DeliveryRow.edition_id == edition_id, DeliveryRow.subscriber_id.in_(list(ids)))
            .values(status=status, error=f"set {status} by the test")
        )


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, keyed by (name, sorted labels); fails if it does not parse."""
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(scrape: dict[Any, float], name: str, **labels: str) -> float:
    """One sample's value (KeyError naming it if absent)."""
    key = (name, tuple(sorted(labels.items())))
    if key not in scrape:
        known = sorted(k for k in scrape if k[0] == name)
        raise KeyError(f"{key} not in the scrape; {name} has {known}")
    return scrape[key]
