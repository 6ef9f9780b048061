"""Bulk subscriber import: stage every row, then merge with a few set-based statements.

Everything happens in the caller's transaction, so an import that fails or is killed part-way
changes nothing. Rows stream into a temporary staging table (PostgreSQL: ``COPY … FROM
STDIN``; SQLite: ``executemany`` on one prepared ``INSERT``), so memory stays flat whatever
the file's size. Then, set by set:

1. rows whose address appeared on an earlier line are dropped (the first row counts) and
   reported with both line numbers;
2. each row is classified against the stored subscriber: new (no state), changed, or
   unchanged (name, locale, time zone, topics and segments all equal);
3. changed subscribers are updated and their segments replaced; their status is never
   touched, so an import never re-subscribes someone who left;
4. new subscribers are inserted active, with their segments and an ``import`` consent record
   (on PostgreSQL in one statement, the new ids flowing from the insert to the other two).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, Connection, bindparam, text
from sqlalchemy.exc import IntegrityError

from digest.store.schema import UTCDateTime

STAGING = "import_staging"
_SQLITE_CHUNK = 10_000
CHANGED, UNCHANGED = 1, 2


class StagedRow(NamedTuple):
    """One valid CSV row; ``topics`` as the JSON the subscribers table holds."""

    line: int
    email: str
    name: str
    locale: str
    timezone: str
    topics: str
    segments: tuple[str, ...]  # sorted


@dataclass(frozen=True, slots=True)
class MergeResult:
    """What the merge did, and the first duplicate rows as (line, line it repeats)."""

    new: int
    updated: int
    unchanged: int
    duplicates: int
    duplicate_lines: tuple[tuple[int, int], ...]


def topics_json(topics: Iterable[str]) -> str:
    """Topics as the JSON text SQLAlchemy writes to the subscribers table (compared as text)."""
    return json.dumps(list(topics))


def import_staged_rows(
    conn: Connection,
    rows: Iterable[StagedRow],
    *,
    now: datetime,
    source: str,
    report_duplicates: int = 50,
) -> MergeResult:
    """Stage ``rows`` and merge them into the subscribers, inside the caller's transaction."""
    pg = conn.dialect.name == "postgresql"
    _create_staging(conn, pg)
    try:
        (_copy_rows if pg else _insert_rows)(conn, rows)
        conn.exec_driver_sql(f"CREATE INDEX {STAGING}_email ON {STAGING} (email, line)")
        conn.exec_driver_sql(f"ANALYZE {STAGING}")
        duplicates, shown = _drop_duplicates(conn, report_duplicates)
        _classify(conn, pg)
        _update_changed(conn, pg, now)
        new = (_insert_new_pg if pg else _insert_new_sqlite)(conn, now, source)
        counts: dict[int, int] = dict(
            conn.exec_driver_sql(
                f"SELECT state, count(*) FROM {STAGING} WHERE state IS NOT NULL GROUP BY state"
            ).all()
        )
    finally:
        if not pg:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{STAGING}")
    return MergeResult(
        new=new,
        updated=int(counts.get(CHANGED, 0)),
        unchanged=int(counts.get(UNCHANGED, 0)),
        duplicates=duplicates,
        duplicate_lines=shown,
    )


def _create_staging(conn: Connection, pg: bool) -> None:
    if pg:  # the merge sorts and hashes a million rows: in memory, not in temporary files
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    else:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{STAGING}")
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {STAGING} (line INTEGER NOT NULL, email TEXT NOT NULL, "
        "name TEXT NOT NULL, locale TEXT NOT NULL, timezone TEXT NOT NULL, topics TEXT NOT NULL, "
        f"segments {'TEXT[]' if pg else 'TEXT'} NOT NULL, subscriber_id BIGINT, state SMALLINT)"
        + (" ON COMMIT DROP" if pg else "")
    )


_COLUMNS = "line, email, name, locale, timezone, topics, segments"


def _copy_rows(conn: Connection, rows: Iterable[StagedRow]) -> None:
    """PostgreSQL: stream the rows with COPY on the transaction's own connection."""
    driver: Any = conn.connection.driver_connection
    arrays: dict[tuple[str, ...], list[str]] = {}  # a list is what psycopg writes as text[]
    with driver.cursor() as cursor, cursor.copy(f"COPY {STAGING} ({_COLUMNS}) FROM STDIN") as copy:
        for row in rows:
            segments = arrays.get(row.segments)
            if segments is None:
                segments = arrays[row.segments] = list(row.segments)
            copy.write_row((*row[:6], segments))


def _insert_rows(conn: Connection, rows: Iterable[StagedRow]) -> None:
    """SQLite: executemany on one prepared INSERT, a chunk of rows at a time."""
    sql = f"INSERT INTO {STAGING} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
    lists: dict[tuple[str, ...], str] = {}

    def with_json(row: StagedRow) -> tuple[Any, ...]:
        segments = lists.get(row.segments)
        if segments is None:
            segments = lists[row.segments] = json.dumps(list(row.segments), separators=(",", ":"))
        return (*row[:6], segments)

    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        it: Iterator[StagedRow] = iter(rows)
        while chunk := list(islice(it, _SQLITE_CHUNK)):
            cursor.executemany(sql, [with_json(r) for r in chunk])
    finally:
        cursor.close()


def _drop_duplicates(conn: Connection, show: int) -> tuple[int, tuple[tuple[int, int], ...]]:
    """Drop every row whose address an earlier line had; (how many, the first ``show``)."""
    repeated = (
        f"SELECT line, first_line FROM (SELECT line, min(line) OVER (PARTITION BY email) "
        f"AS first_line FROM {STAGING}) AS d WHERE line <> first_line"
    )
    count = int(conn.exec_driver_sql(f"SELECT count(*) FROM ({repeated}) AS r").scalar_one())
    if not count:
        return 0, ()
    shown = conn.exec_driver_sql(f"{repeated} ORDER BY line LIMIT {int(show)}").all()
    conn.exec_driver_sql(
        f"DELETE FROM {STAGING} WHERE line IN (SELECT line FROM ({repeated}) AS r)"
    )
    return count, tuple((int(a), int(b)) for a, b in shown)


def _classify(conn: Connection, pg: bool) -> None:
    """Name each staged row's subscriber and whether the row changes it (NULL: new)."""
    if pg:
        segments = (
            # byte order (COLLATE "C"), as Python sorted the file's segments
            'coalesce((SELECT array_agg(g.segment::text ORDER BY g.segment COLLATE "C") '
            "FROM subscriber_segments g WHERE g.subscriber_id = s.id), '{}'::text[]) "
            "= st.segments"
        )
    else:
        segments = (
            "coalesce((SELECT json_group_array(segment) FROM (SELECT g.segment FROM "
            "subscriber_segments g WHERE g.subscriber_id = s.id ORDER BY g.segment)), '[]') "
            "= st.segments"
        )
    topics = "s.topics::text" if pg else "s.topics"
    conn.exec_driver_sql(
        f"UPDATE {STAGING} AS st SET subscriber_id = s.id, state = CASE WHEN s.name = st.name "
        f"AND s.locale = st.locale AND s.timezone = st.timezone AND {topics} = st.topics "
        f"AND {segments} THEN {UNCHANGED} ELSE {CHANGED} END "
        "FROM subscribers AS s WHERE s.email = st.email"
    )


def _update_changed(conn: Connection, pg: bool, now: datetime) -> None:
    """Rewrite the changed subscribers (never their status) and replace their segments."""
    topics = "st.topics::json" if pg else "st.topics"
    conn.execute(
        text(
            f"UPDATE subscribers SET name = st.name, locale = st.locale, timezone = st.timezone, "
            f"topics = {topics}, updated_at = :now FROM {STAGING} AS st "
            f"WHERE st.state = {CHANGED} AND subscribers.id = st.subscriber_id"
        ).bindparams(bindparam("now", now, type_=UTCDateTime))
    )
    conn.exec_driver_sql(
        f"DELETE FROM subscriber_segments WHERE subscriber_id IN "
        f"(SELECT subscriber_id FROM {STAGING} WHERE state = {CHANGED})"
    )
    each = (
        "CROSS JOIN LATERAL unnest(st.segments) AS j(value)"
        if pg
        else "CROSS JOIN json_each(st.segments) AS j"
    )
    conn.exec_driver_sql(
        f"INSERT INTO subscriber_segments (subscriber_id, segment) SELECT st.subscriber_id, "
        f"j.value FROM {STAGING} AS st {each} WHERE st.state = {CHANGED}"
    )


_NEW_SUBSCRIBERS = (
    "INSERT INTO subscribers (email, name, locale, timezone, topics, attributes, status, "
    "created_at, updated_at, confirmed_at) SELECT email, name, locale, timezone, {topics}, "
    f"{{empty}}, 'active', :now, :now, :now FROM {STAGING} WHERE state IS NULL"
)


def _now_and_source(
    now: datetime, source: str
) -> tuple[BindParameter[datetime], BindParameter[str]]:
    """The :now and :source parameters of the statements adding new subscribers."""
    return bindparam("now", now, type_=UTCDateTime), bindparam("source", source[:100])


def _insert_new_pg(conn: Connection, now: datetime, source: str) -> int:
    """New subscribers, their segments and consents in one statement; how many were new.

    A plain INSERT first (no per-row conflict check); only if a concurrent writer added one
    of the addresses meanwhile is it run again skipping those.
    """
    params = _now_and_source(now, source)
    insert = _NEW_SUBSCRIBERS.format(topics="topics::json", empty="'{}'::json")

    def run(conflicts: str) -> int:
        return int(
            conn.execute(
                text(
                    f"WITH added AS ({insert}{conflicts} RETURNING id, email), "
                    f"fresh AS MATERIALIZED (SELECT a.id, st.segments FROM added AS a "
                    f"JOIN {STAGING} AS st ON st.email = a.email), "
                    "segs AS (INSERT INTO subscriber_segments (subscriber_id, segment) "
                    "SELECT id, unnest(segments) FROM fresh) "
                    "INSERT INTO consents (subscriber_id, action, at, source, detail) "
                    "SELECT id, 'import', :now, :source, "
                    "json_build_object('segments', to_json(segments)) FROM fresh"
                ).bindparams(*params)
            ).rowcount
        )

    try:
        with conn.begin_nested():
            return run("")
    except IntegrityError:
        return run(" ON CONFLICT (email) DO NOTHING")


def _insert_new_sqlite(conn: Connection, now: datetime, source: str) -> int:
    """New subscribers, then their segments and consents (matched back by address)."""
    params = _now_and_source(now, source)
    conn.execute(
        text(
            _NEW_SUBSCRIBERS.format(topics="topics", empty="'{}'")
            + " ON CONFLICT (email) DO NOTHING"
        ).bindparams(params[0])
    )
    # created_at = now: only the subscribers this import created (not one a concurrent
    # subscribe request created meanwhile)
    fresh = (
        f"FROM {STAGING} AS st JOIN subscribers AS s ON s.email = st.email "
        "WHERE st.state IS NULL AND s.created_at = :now"
    )
    conn.execute(
        text(
            "INSERT INTO subscriber_segments (subscriber_id, segment) SELECT s.id, j.value "
            + fresh.replace("WHERE", "CROSS JOIN json_each(st.segments) AS j WHERE")
        ).bindparams(params[0])
    )
    return int(
        conn.execute(
            text(
                "INSERT INTO consents (subscriber_id, action, at, source, detail) SELECT s.id, "
                "'import', :now, :source, json_object('segments', json(st.segments)) " + fresh
            ).bindparams(*params)
        ).rowcount
    )
