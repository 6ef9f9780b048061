"""Web Push throughput: pushes per second to a loopback push service, encryption included.

    python benchmarks/push_benchmark.py [--subscriptions 100000] [--concurrency 64]

The push service stand-in (tests/fakes/push_service.py) runs as its own process on
127.0.0.1 over TLS; it checks every request's VAPID JWT and decrypts every body (or one in
``--decrypt-every``). The sender is the real one (digest.push.sender.WebPushSender) with its
ledger on SQLite (or ``--database-url``): plan, claim, mark posting, encrypt (RFC 8291,
a fresh ECDH key per push), post, record. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from ssl import create_default_context

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from digest.app import build  # noqa: E402
from digest.channel_run import KeepGoing  # noqa: E402
from digest.config import Secrets, parse_config  # noqa: E402
from digest.push.sender import WebPushSender  # noqa: E402
from digest.store.db import upgrade  # noqa: E402
from digest.store.push import endpoint_hash  # noqa: E402
from digest.store.schema import PushSubscriptionRow, PushSubscriptionSegmentRow  # noqa: E402
from tests.conftest import TEST_SECRET  # noqa: E402
from tests.fakes.push_service import browser_subscriptions, write_keys_file  # noqa: E402
from tests.fakes.tls import make_loopback_certificate  # noqa: E402
from tests.push.helpers import push_config_dict, store_edition  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_service(work: Path, keys: Path, decrypt_every: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ready = work / "ready"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.push_service",
            "--port",
            str(port),
            "--cert-dir",
            str(work / "tls"),
            "--keys",
            str(keys),
            "--ready-file",
            str(ready),
            "--decrypt-every",
            str(decrypt_every),
        ],
        cwd=REPO,
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the push service stand-in did not start")
        time.sleep(0.05)
    return proc, ready.read_text()


def store_subscriptions(app, subs, segment: str) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "id": i + 1,
            "endpoint": s.endpoint,
            "endpoint_hash": endpoint_hash(s.endpoint),
            "p256dh": s.p256dh,
            "auth": s.auth,
            "locale": "he" if i % 5 == 0 else "en",
            "timezone": "UTC",
            "created_at": now,
            "updated_at": now,
        }
        for i, s in enumerate(subs)
    ]
    with app.engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            conn.execute(insert(PushSubscriptionRow), chunk)
            conn.execute(
                insert(PushSubscriptionSegmentRow),
                [{"subscription_id": r["id"], "segment": segment} for r in chunk],
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--claim-size", type=int, default=2000)
    parser.add_argument("--decrypt-every", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="push-bench-") as tmp:
        work = Path(tmp)
        cert = make_loopback_certificate(work / "tls")
        t0 = time.perf_counter()
        made = write_keys_file(work / "keys.jsonl", args.subscriptions)
        print(
            f"browser keys for {args.subscriptions:,} subscriptions: "
            f"{time.perf_counter() - t0:.1f} s"
        )
        service, origin = start_service(work, work / "keys.jsonl", args.decrypt_every)
        try:
            raw = push_config_dict(
                work,
                cert.cert_file,
                args.database_url,
                concurrency=args.concurrency,
                claim_size=args.claim_size,
            )
            app = build(parse_config(raw, "bench"), Secrets(secret_key=TEST_SECRET))
            upgrade(app.engine)
            store_subscriptions(app, browser_subscriptions(origin, made), "markets-en")
            edition = store_edition(app)
            sender = WebPushSender(app)
            t0 = time.perf_counter()
            with app.engine.begin() as conn:
                sender.prepare(conn, edition, app.clock())
            plan = time.perf_counter() - t0
            service_cpu0 = process_cpu(service.pid)
            load0 = os.getloadavg()[0]
            cpu0, t0 = cpu_seconds(), time.perf_counter()
            run = sender.run(edition, KeepGoing())
            wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
            service_cpu = process_cpu(service.pid) - service_cpu0
            load1 = os.getloadavg()[0]
            context = create_default_context(cafile=str(cert.cert_file))
            with urllib.request.urlopen(f"{origin}/_stats", context=context) as answer:
                stats = json.load(answer)
        finally:
            service.terminate()
            service.wait()
    sent = run.counts["sent"]
    print(f"ledger planned in {plan:.2f} s")
    print(
        f"sent {sent:,} of {args.subscriptions:,} in {wall:.1f} s: {sent / wall:,.0f} pushes/s "
        f"(concurrency {args.concurrency}, claim size {args.claim_size})"
    )
    print(
        f"sender CPU {cpu:.1f} s = {cpu / max(sent, 1) * 1e6:,.0f} µs per push "
        "(encryption, VAPID header, HTTP, ledger)"
    )
    print(
        f"push service: {stats['requests']:,} requests, statuses {stats['statuses']}, "
        f"decrypted 1 in {args.decrypt_every}; its CPU {service_cpu:.1f} s"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load0:.1f} before, {load1:.1f} after "
        "(other processes share the cores)"
    )
    print(f"ledger: {run.counts}")


if __name__ == "__main__":
    main()
