"""Grouped counts for monitoring: scheduler decisions, sources, provider answers, audiences.

Each function is one grouped query over a small table (or an indexed column); the ledger's
own figures come from ``ledger_totals`` and the engagement counts from ``engagement``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from digest.store.db import upsert_insert
from digest.store.schema import (
    ArticleRow,
    FeedStateRow,
    ProviderAnswerRow,
    ScheduleRunRow,
    SettingRow,
    SubscriberRow,
)


@dataclass(frozen=True, slots=True)
class SourceFigures:
    """A source's fetch history and what it brought."""

    source: str
    fetches: int
    errors: int
    articles: int
    last_fetched_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None


def schedule_outcomes(conn: Connection) -> dict[tuple[str, str], int]:
    """Recorded scheduler decisions per (segment, outcome)."""
    rows = conn.execute(
        select(ScheduleRunRow.segment, ScheduleRunRow.outcome, func.count()).group_by(
            ScheduleRunRow.segment, ScheduleRunRow.outcome
        )
    )
    return {(str(s), str(o)): int(n) for s, o, n in rows}


def articles_per_source(conn: Connection, since: datetime | None = None) -> dict[str, int]:
    """Articles stored per source (first seen at or after ``since`` when given)."""
    query = select(ArticleRow.source, func.count()).group_by(ArticleRow.source)
    if since is not None:
        query = query.where(ArticleRow.first_seen_at >= since)
    return {str(s): int(n) for s, n in conn.execute(query)}


def source_figures(conn: Connection, sources: list[str]) -> list[SourceFigures]:
    """Each named source's fetches, failures, stored articles and last outcome, by name."""
    states = {r.source: r for r in conn.execute(select(FeedStateRow))}
    articles = articles_per_source(conn)
    names = list(dict.fromkeys([*sources, *sorted(states)]))
    out = []
    for name in names:
        state = states.get(name)
        out.append(
            SourceFigures(
                source=name,
                fetches=int(state.fetch_count or 0) if state else 0,
                errors=int(state.error_count or 0) if state else 0,
                articles=articles.get(name, 0),
                last_fetched_at=state.last_fetched_at if state else None,
                last_ok_at=state.last_ok_at if state else None,
                last_error=state.last_error if state else None,
            )
        )
    return out


def subscribers_by_status(conn: Connection) -> dict[str, int]:
    """Subscribers per status (active, pending, unsubscribed, bounced, complained)."""
    rows = conn.execute(select(SubscriberRow.status, func.count()).group_by(SubscriberRow.status))
    return {str(s): int(n) for s, n in rows}


def record_provider_answers(
    conn: Connection,
    edition_id: int,
    transport: str,
    answers: Mapping[str, int],
    now: datetime,
) -> None:
    """Add a batch's provider answers (status code -> how many) to the edition's tally."""
    if not answers:
        return
    stmt = upsert_insert(conn, ProviderAnswerRow)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["edition_id", "transport", "code"],
            set_={"count": ProviderAnswerRow.count + stmt.excluded.count, "updated_at": now},
        ),
        [
            {
                "edition_id": edition_id,
                "transport": transport[:30],
                "code": code[:20],
                "count": n,
                "updated_at": now,
            }
            for code, n in sorted(answers.items())
        ],
    )


def provider_answers(conn: Connection) -> dict[tuple[str, str], int]:
    """Every provider answer so far per (transport, status code)."""
    rows = conn.execute(
        select(
            ProviderAnswerRow.transport, ProviderAnswerRow.code, func.sum(ProviderAnswerRow.count)
        ).group_by(ProviderAnswerRow.transport, ProviderAnswerRow.code)
    )
    return {(str(t), str(c)): int(n or 0) for t, c, n in rows}


def write_setting(conn: Connection, key: str, value: str) -> None:
    """Keep a small value under ``key`` (replacing the one kept)."""
    stmt = upsert_insert(conn, SettingRow).values(key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def read_setting(conn: Connection, key: str) -> str | None:
    """The value kept under ``key``, if any."""
    return conn.execute(select(SettingRow.value).where(SettingRow.key == key)).scalar_one_or_none()
