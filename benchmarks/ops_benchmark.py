"""Benchmark: what a /metrics scrape and the console's Sends figures cost on a large ledger.

Builds, on a fresh PostgreSQL database (or SQLite with --sqlite), E editions of N recipients
each — all but the last sent, the last half-way through its send — straight into the ledger
tables (INSERT … SELECT, no subscribers needed: the ledger has no foreign key to them), then
times:

- the first scrape (every finished edition counted once and kept in ledger_summaries),
- the following scrapes (finished editions read from their summaries; the running one
  counted afresh),
- the console's Sends lines (send_lines: last 30 days, rate and ETA), as polled every 2 s.

    python benchmarks/ops_benchmark.py --editions 30 --n 100000
    python benchmarks/ops_benchmark.py --editions 5 --n 20000 --sqlite
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from digest.app import build  # noqa: E402
from digest.config import Secrets, parse_config  # noqa: E402
from digest.metrics import build_registry, render  # noqa: E402
from digest.store.db import upgrade  # noqa: E402
from digest.store.schema import EditionRow, SendBatchRow, SendPlanRow  # noqa: E402
from tests.conftest import TEST_SECRET, config_dict  # noqa: E402

PG_ADMIN = os.environ.get("DIGEST_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BATCH = 1000


def fill(app: object, editions: int, n: int, now: datetime) -> None:
    """E editions of n recipients in the ledger: sent ones, and one half sent."""
    engine = app.engine  # type: ignore[attr-defined]
    for e in range(editions):
        running = e == editions - 1
        day = now.date() - timedelta(days=editions - 1 - e)
        with engine.begin() as conn:
            eid = conn.execute(
                insert(EditionRow)
                .values(
                    segment="markets-en",
                    edition_date=day,
                    status="sending" if running else "sent",
                    window_start=now,
                    cutoff_at=now,
                    subject="Markets",
                    created_at=now,
                    send_started_at=now - timedelta(minutes=5),
                    finished_at=None if running else now,
                )
                .returning(EditionRow.id)
            ).scalar_one()
            batches = (n + BATCH - 1) // BATCH
            conn.execute(
                insert(SendBatchRow),
                [
                    {
                        "edition_id": eid,
                        "seq": s,
                        "locale": "en",
                        "status": "pending" if running and s >= batches // 2 else "accepted",
                        "recipient_count": min(BATCH, n - s * BATCH),
                        "attempts": 0 if running and s >= batches // 2 else 1,
                        "updated_at": now - timedelta(seconds=(batches - s) % 90),
                    }
                    for s in range(batches)
                ],
            )
            conn.execute(
                text(
                    "INSERT INTO deliveries (edition_id, subscriber_id, batch_seq, status, "
                    "updated_at) SELECT :eid, i, (i - 1) / :batch, 'pending', :now "
                    + (
                        "FROM generate_series(1, :n) AS i"
                        if conn.dialect.name == "postgresql"
                        else "FROM (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                        "FROM c WHERE i < :n) SELECT i FROM c)"
                    )
                ),
                {"eid": eid, "batch": BATCH, "now": now, "n": n},
            )
            conn.execute(
                insert(SendPlanRow).values(
                    edition_id=eid,
                    planned_at=now - timedelta(minutes=5),
                    planned_by="benchmark",
                    recipients=n,
                    batches=batches,
                    batch_size=BATCH,
                    local_time=False,
                )
            )
        if engine.dialect.name == "postgresql":
            with engine.connect() as c:
                c.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def timed(fn: object, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editions", type=int, default=30)
    parser.add_argument("--n", type=int, default=100_000, help="recipients per edition")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="digest-ops-bench-"))
    name = f"digest_bench_{uuid.uuid4().hex[:8]}"
    admin = None
    if args.sqlite:
        url = f"sqlite:///{workdir / 'digest.db'}"
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        app = build(
            parse_config(config_dict(workdir, url), "bench"), Secrets(secret_key=TEST_SECRET)
        )
        upgrade(app.engine)
        started = time.perf_counter()
        fill(app, args.editions, args.n, now)
        built = time.perf_counter() - started
        registry = build_registry(app)
        from digest.console import send_lines

        first = timed(lambda: render(registry), 1)[0]
        warm = timed(lambda: render(registry), args.repeat)
        lines = timed(lambda: send_lines(app), args.repeat)
        rows = args.editions * args.n
        print(f"database: {'SQLite' if args.sqlite else 'PostgreSQL'}; "
              f"{args.editions} editions x {args.n:,} recipients = {rows:,} ledger rows "
              f"(built in {built:.1f}s); last edition half sent")  # fmt: skip
        print(f"first /metrics scrape (counts every finished edition once): {first:.2f}s")
        print(f"later scrapes: median {statistics.median(warm):.3f}s, max {max(warm):.3f}s "
              f"(the running edition counted afresh: {args.n:,} rows)")  # fmt: skip
        print(f"console Sends lines: median {statistics.median(lines):.3f}s, "
              f"max {max(lines):.3f}s (polled every 2 s per open page)")  # fmt: skip
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU(s)")
        app.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
