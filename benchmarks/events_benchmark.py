"""Benchmark: signed SendGrid Event Webhook bursts against a real ``digest serve``.

Starts ``digest serve`` on 127.0.0.1 (PostgreSQL by default), then P concurrent posters each
post R signed batches of E events (processed, delivered, open, click and a few bounces,
drops, spam reports and unsubscribes, as a large send produces them). Prints events per
second over the whole burst, then replays every post and checks that the replay changed
nothing (counters, suppressions, stored events), and that every bounce was suppressed.

    python benchmarks/events_benchmark.py                       # 4 posters x 1,000 events
    python benchmarks/events_benchmark.py --workers 2 --rounds 10
    python benchmarks/events_benchmark.py --sqlite

Target (issue 14): at least 20,000 events/s with 4 concurrent posters of 1,000 events on
PostgreSQL, on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.procstat import processes  # noqa: E402
from benchmarks.send_benchmark import drop_database, make_database  # noqa: E402
from tests.conftest import TEST_SECRET, config_dict  # noqa: E402
from tests.web.webhook_helpers import Signer  # noqa: E402

PG_ADMIN = os.environ.get("DIGEST_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SIG = "X-Twilio-Email-Event-Webhook-Signature"
TS = "X-Twilio-Email-Event-Webhook-Timestamp"
EDITIONS = (101, 102)
# out of every 100 events: what a big send's first hour looks like
MIX = (
    ("processed", 32),
    ("delivered", 32),
    ("open", 20),
    ("click", 8),
    ("bounce", 4),
    ("dropped", 1),
    ("spamreport", 1),
    ("unsubscribe", 1),
    ("group_unsubscribe", 1),
)
KINDS = [kind for kind, share in MIX for _ in range(share)]
COUNTED = ("processed", "delivered", "open", "click", "bounce")
SUPPRESSING = ("bounce", "dropped", "spamreport", "unsubscribe", "group_unsubscribe")


def make_posts(posters: int, rounds: int, events: int, subscribers: int) -> list[list[bytes]]:
    """posters x rounds bodies of ``events`` events each, every event id unique."""
    out: list[list[bytes]] = []
    stamp = int(time.time()) - 60
    n = 0
    for p in range(posters):
        bodies: list[bytes] = []
        for _ in range(rounds):
            batch: list[dict[str, Any]] = []
            for _ in range(events):
                kind = KINDS[n % len(KINDS)]
                event: dict[str, Any] = {
                    "email": f"reader{(n * 7919) % subscribers}@example.com",
                    "timestamp": stamp,
                    "event": kind,
                    "sg_event_id": f"bench-{p}-{n}-{uuid.uuid4().hex[:12]}",
                    "sg_message_id": f"msg{n // 1000}.filter0001.{n}",
                    "edition_id": str(EDITIONS[n % len(EDITIONS)]),
                    "category": ["digest"],
                }
                if kind == "bounce":
                    event.update(type="bounce", status="5.1.1", reason="550 5.1.1 no such user")
                elif kind == "click":
                    event["url"] = "https://www.skn.example/markets/article-1"
                elif kind in ("open", "click"):
                    event["useragent"] = "Mozilla/5.0"
                batch.append(event)
                n += 1
            bodies.append(json.dumps(batch).encode())
        out.append(bodies)
    return out


def expected(posts: list[list[bytes]]) -> tuple[dict[tuple[int, str], int], set[str]]:
    """The counters per (edition, kind) and the suppressed addresses the posts should leave."""
    counters: dict[tuple[int, str], int] = {}
    suppressed: set[str] = set()
    for bodies in posts:
        for body in bodies:
            for event in json.loads(body):
                if event["event"] in COUNTED:
                    key = (int(event["edition_id"]), event["event"])
                    counters[key] = counters.get(key, 0) + 1
                if event["event"] in SUPPRESSING:
                    suppressed.add(event["email"])
    return counters, suppressed


def seed(url: str, subscribers: int) -> None:
    """The schema, ``subscribers`` active readers and the editions the events name."""
    from digest.store.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    pg = engine.dialect.name == "postgresql"
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = now if pg else now.replace(tzinfo=None)
    series = (
        "SELECT generate_series(0, :n - 1) AS i"
        if pg
        else "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < :n - 1) "
        "SELECT i FROM s"
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO subscribers (email, name, locale, timezone, topics, attributes, "
                "status, created_at, updated_at, confirmed_at) "
                "SELECT 'reader' || i || '@example.com', 'Reader ' || i, 'en', 'UTC', '[]', "
                f"'{{}}', 'active', :now, :now, :now FROM ({series}) AS g"
            ),
            {"n": subscribers, "now": stamp},
        )
        for i, edition_id in enumerate(EDITIONS):
            conn.execute(
                text(
                    "INSERT INTO editions (id, segment, edition_date, status, window_start, "
                    "cutoff_at, subject, created_at, processed_count, delivered_count, "
                    "open_count, click_count, bounce_count) VALUES (:id, 'markets-en', :d, "
                    "'sent', :now, :now, 'bench', :now, 0, 0, 0, 0, 0)"
                ),
                {"id": edition_id, "d": (now - timedelta(days=i)).date(), "now": stamp},
            )
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    config: Path, port: int, signer: Signer, workers: int | None
) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        DIGEST_SECRET_KEY=TEST_SECRET,
        SENDGRID_WEBHOOK_PUBLIC_KEY=signer.public_b64,
        PYTHONPATH=os.pathsep.join((str(REPO / "src"), str(REPO))),
    )
    args = [
        sys.executable,
        "-c",
        "from digest.cli import main; main()",
        "--config",
        str(config),
        "--log-level",
        "warning",
        "serve",
        "--port",
        str(port),
        *(["--workers", str(workers)] if workers else []),
    ]
    proc = subprocess.Popen(args, env=env, cwd=str(config.parent))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"digest serve exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("digest serve did not start")


def burst(
    url: str, signer: Signer, posts: list[list[bytes]]
) -> tuple[float, list[dict[str, Any]], list[float]]:
    """Every poster posts its bodies one after another, all posters at once."""
    answers: list[dict[str, Any]] = []
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(len(posts) + 1)
    failures: list[str] = []

    def poster(bodies: list[bytes]) -> None:
        with httpx.Client(timeout=120) as client:
            start.wait()
            for body in bodies:
                t0 = time.perf_counter()
                r = client.post(url, content=body, headers=signer.headers(body, int(time.time())))
                took = time.perf_counter() - t0
                with lock:
                    latencies.append(took)
                    if r.status_code != 200:
                        failures.append(f"{r.status_code}: {r.text[:200]}")
                    else:
                        answers.append(r.json())

    threads = [threading.Thread(target=poster, args=(b,)) for b in posts]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if failures:
        raise SystemExit(f"{len(failures)} post(s) failed, first: {failures[0]}")
    return wall, answers, latencies


def database_state(url: str) -> tuple[dict[tuple[int, str], int], set[str], int]:
    """Counters per (edition, kind), suppressed addresses and stored events, as they are."""
    from digest.store.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        counters: dict[tuple[int, str], int] = {}
        for row in conn.execute(
            text(
                "SELECT id, processed_count, delivered_count, open_count, click_count, "
                "bounce_count FROM editions"
            )
        ):
            for kind, value in zip(COUNTED, row[1:], strict=True):
                if value:
                    counters[(int(row[0]), kind)] = int(value)
        suppressed = set(conn.execute(text("SELECT email FROM suppressions")).scalars())
        events = int(conn.execute(text("SELECT count(*) FROM provider_events")).scalar_one())
    engine.dispose()
    return counters, suppressed, events


def cpu_seconds(root: int) -> dict[str, float]:
    """CPU seconds so far of ``digest serve`` (its process and workers) and of PostgreSQL."""
    out = {"serve": 0.0, "postgres": 0.0}
    for pid, proc in processes().items():
        if pid == root or proc.parent == root:
            out["serve"] += proc.cpu
        elif proc.name == "postgres":
            out["postgres"] += proc.cpu
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description="digest Event Webhook benchmark")
    parser.add_argument("--posters", type=int, default=4)
    parser.add_argument("--events", type=int, default=1000, help="events per post")
    parser.add_argument("--rounds", type=int, default=5, help="posts per poster")
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--workers", type=int, help="digest serve --workers (default: its own)")
    parser.add_argument("--sqlite", action="store_true", help="use SQLite instead of PostgreSQL")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="digest-events-bench-"))
    db_url, db_name = make_database(args.sqlite, workdir)
    server = None
    try:
        seed(db_url, args.subscribers)
        config = workdir / "config.yaml"
        config.write_text(yaml.safe_dump(config_dict(workdir, db_url)), encoding="utf-8")
        signer = Signer()
        port = free_port()
        server = start_server(config, port, signer, args.workers)
        posts = make_posts(args.posters, args.rounds, args.events, args.subscribers)
        want_counters, want_suppressed = expected(posts)
        url = f"http://127.0.0.1:{port}/webhooks/sendgrid"
        total = args.posters * args.rounds * args.events

        before = cpu_seconds(server.pid)
        wall, answers, latencies = burst(url, signer, posts)
        after_burst = cpu_seconds(server.pid)
        applied = sum(a["applied"] for a in answers)
        counters, suppressed, stored = database_state(db_url)
        replay_wall, replay_answers, _ = burst(url, signer, posts)
        after = database_state(db_url)

        print(f"database            {'SQLite' if args.sqlite else 'PostgreSQL'}")
        print(
            f"digest serve        --workers {args.workers or '(default)'} on {os.cpu_count()} CPUs"
        )
        print(
            f"burst               {args.posters} posters x {args.rounds} posts x "
            f"{args.events:,} events = {total:,} events"
        )
        print(f"first delivery      {wall:.2f} s, {total / wall:,.0f} events/s")
        print(
            f"CPU in the burst    {after_burst['serve'] - before['serve']:.2f} s digest serve, "
            f"{after_burst['postgres'] - before['postgres']:.2f} s PostgreSQL (all databases); "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print(
            f"post latency        median {percentile(latencies, 0.5) * 1000:.0f} ms, "
            f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms"
        )
        print(f"replay              {replay_wall:.2f} s, {total / replay_wall:,.0f} events/s")
        print(
            f"applied             {applied:,} of {total:,}; replay applied "
            f"{sum(a['applied'] for a in replay_answers):,}, duplicates "
            f"{sum(a['duplicates'] for a in replay_answers):,}"
        )
        checks = {
            "counters match the events": counters == want_counters,
            "every suppressing event suppressed its address": want_suppressed <= suppressed,
            "every event stored once": stored == total,
            "the replay changed nothing": after == (counters, suppressed, stored),
        }
        for name, ok in checks.items():
            print(f"check               {'ok  ' if ok else 'FAIL'} {name}")
        if not all(checks.values()):
            sys.exit(1)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        drop_database(db_name)


if __name__ == "__main__":
    main()
