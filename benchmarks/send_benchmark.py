"""Benchmark: a real ``digest send`` of N recipients to a SendGrid stand-in on 127.0.0.1.

Prints wall time, recipients per second and peak RSS of the ``digest send`` process, next to
a bare client posting pre-built 1000-recipient bodies to the same stand-in in the same run
(the practical limit of this machine), and the share of the send spent making the signed
unsubscribe/preference tokens.

    python benchmarks/send_benchmark.py --n 1000000            # PostgreSQL at 127.0.0.1
    python benchmarks/send_benchmark.py --n 100000 --sqlite

Targets (issue 4): 1,000,000 recipients in at most 30 s, at least 30% of the bare client's
rate, peak RSS at most 256 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.procstat import processes  # noqa: E402
from tests.conftest import TEST_SECRET, config_dict  # noqa: E402
from tests.fakes.sendgrid_server import VALID_KEY  # noqa: E402
from tests.send.helpers import EDITION_DATE  # noqa: E402

PG_ADMIN = os.environ.get("DIGEST_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NOW = datetime.now(UTC).replace(microsecond=0)


def start_standin(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The stand-in as its own process (no schema validation: it would dominate the run)."""
    ready = workdir / "standin.url"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.sendgrid_server",
            "--ready-file",
            str(ready),
            "--no-validate",
        ],
        cwd=str(REPO),
    )
    for _ in range(200):
        if ready.exists() and ready.read_text():
            return proc, ready.read_text()
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("the stand-in did not start")


def make_database(sqlite: bool, workdir: Path) -> tuple[str, str | None]:
    """A fresh database URL (and the PostgreSQL database name to drop afterwards)."""
    if sqlite:
        return f"sqlite:///{workdir / 'bench.db'}", None
    name = f"digest_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", name


def drop_database(name: str | None) -> None:
    if name is None:
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(url: str, n: int) -> float:
    """N active subscribers opted into markets-en, and an approved edition; seconds taken."""
    from digest.store.db import make_engine, upgrade
    from tests.send.helpers import store_edition

    started = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    series = (
        "SELECT generate_series(1, :n) AS i"
        if engine.dialect.name == "postgresql"
        else "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "
        "SELECT i FROM s"
    )
    now = NOW if engine.dialect.name == "postgresql" else NOW.replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO subscribers (id, email, name, locale, timezone, topics, attributes, "
                "status, created_at, updated_at, confirmed_at) "
                f"SELECT i, 'reader' || i || '@example.com', 'Reader ' || i, "
                "CASE WHEN i % 10 = 0 THEN 'he' ELSE 'en' END, 'UTC', '[]', '{}', 'active', "
                f":now, :now, :now FROM ({series}) AS g"
            ),
            {"n": n, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO subscriber_segments (subscriber_id, segment) "
                f"SELECT i, 'markets-en' FROM ({series}) AS g"
            ),
            {"n": n},
        )
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('subscribers_id_seq', :n)"), {"n": n})
    with engine.begin() as conn:
        conn.execute(text("ANALYZE")) if engine.dialect.name == "postgresql" else None

    class _App:  # store_edition only needs an engine
        pass

    app = _App()
    app.engine = engine  # type: ignore[attr-defined]
    store_edition(app, with_article=True)  # type: ignore[arg-type]
    engine.dispose()
    return time.perf_counter() - started


def bare_client_rate(url: str, requests: int) -> float:
    """Recipients per second for pre-built 1000-recipient bodies posted one after another."""
    personalizations = [
        {
            "to": [{"email": f"bare{i}@example.com", "name": f"Reader {i}"}],
            "headers": {"List-Unsubscribe": f"<https://digest.skn.example/u/{'x' * 120}>"},
            "substitutions": {
                "%%digest-html:name%%": f"Reader {i}",
                "%%digest-text:name%%": f"Reader {i}",
                "%%digest-html:unsubscribe_url%%": f"https://digest.skn.example/u/{'x' * 120}",
                "%%digest-text:unsubscribe_url%%": f"https://digest.skn.example/u/{'x' * 120}",
                "%%digest-html:preferences_url%%": f"https://digest.skn.example/p/{'y' * 100}",
                "%%digest-text:preferences_url%%": f"https://digest.skn.example/p/{'y' * 100}",
            },
        }
        for i in range(1000)
    ]
    body = json.dumps(
        {
            "personalizations": personalizations,
            "from": {"email": "digest@skn.example"},
            "subject": "bare",
            "content": [
                {"type": "text/plain", "value": "x" * 4000},
                {"type": "text/html", "value": "<p>x</p>" * 2000},
            ],
        }
    ).encode()
    headers = {"Authorization": f"Bearer {VALID_KEY}", "Content-Type": "application/json"}
    started = time.perf_counter()
    for _ in range(requests):
        req = urllib.request.Request(f"{url}/v3/mail/send", data=body, headers=headers)
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()
    return requests * 1000 / (time.perf_counter() - started)


class CpuSampler(threading.Thread):
    """CPU seconds used by PostgreSQL's processes and by the stand-in while a send runs.

    Reads /proc five times a second and adds up each process's growth (Linux only; a
    PostgreSQL backend that starts and ends between two readings is missed).
    """

    def __init__(self, standin_pid: int) -> None:
        super().__init__(daemon=True)
        self._standin = standin_pid
        self._halt = threading.Event()
        self.seconds = {"postgres": 0.0, "stand-in": 0.0}

    def _read(self) -> dict[int, tuple[str, float]]:
        """CPU seconds so far of each PostgreSQL process and of the stand-in."""
        seen: dict[int, tuple[str, float]] = {}
        for pid, proc in processes().items():
            kind = (
                "stand-in"
                if pid == self._standin
                else "postgres"
                if proc.name == "postgres"
                else ""
            )
            if kind:
                seen[pid] = (kind, proc.cpu)
        return seen

    def run(self) -> None:
        last = self._read()
        while not self._halt.wait(0.2):
            now = self._read()
            for pid, (kind, cpu) in now.items():
                before = last[pid][1] if pid in last else 0.0  # a new process: all of it
                self.seconds[kind] += cpu - before
            last = now

    def stop(self) -> dict[str, float]:
        self._halt.set()
        self.join()
        return self.seconds


def token_seconds(sample: int) -> float:
    """Seconds per recipient spent making the signed links (one manage token for both)."""
    from digest.tokens import LinkBuilder, TokenSigner

    links = LinkBuilder("https://digest.skn.example", TokenSigner(TEST_SECRET, 86400))
    started = time.perf_counter()
    for i in range(sample):
        links.manage_urls(i, "markets-en")
    return (time.perf_counter() - started) / sample


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description="digest send benchmark")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--sqlite", action="store_true", help="use SQLite instead of PostgreSQL")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--bare-requests", type=int, default=200)
    parser.add_argument("--workers", type=int, help="digest send --workers (default: CPUs)")
    parser.add_argument(
        "--profile", metavar="PATH", help="record the send with py-spy (collapsed stacks) into PATH"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="digest-bench-"))
    standin, url = start_standin(workdir)
    db_url, db_name = make_database(args.sqlite, workdir)
    try:
        seeded = seed(db_url, args.n)
        raw = config_dict(workdir, db_url)
        raw["transport"] = {
            "kind": "sendgrid",
            "concurrency": args.concurrency,
            "sendgrid": {"host": url, "timeout_seconds": 60},
        }
        config = workdir / "config.yaml"
        config.write_text(yaml.safe_dump(raw), encoding="utf-8")
        bare = bare_client_rate(url, args.bare_requests)
        sampler = CpuSampler(standin.pid)
        sampler.start()
        wall, rss_kib, report, usage = run_send_with_rusage(config, args.workers, args.profile)
        others = sampler.stop()
        per_token = token_seconds(20_000)
        rate = args.n / wall
        print(f"database            {'SQLite' if args.sqlite else 'PostgreSQL'}")
        print(f"recipients          {args.n:,} (seeded in {seeded:.1f}s)")
        print(f"digest send wall    {wall:.1f} s (includes process start and planning)")
        print(f"digest send rate    {rate:,.0f} recipients/s")
        print(f"send loop rate      {report['rate']:,.0f} recipients/s (inside the process)")
        print(f"peak RSS            {rss_kib / 1024:.0f} MB")
        print(
            f"CPU during the send {usage.ru_utime + usage.ru_stime:.1f} s digest send (all its "
            f"processes), {others['postgres']:.1f} s PostgreSQL, {others['stand-in']:.1f} s "
            f"stand-in, on {os.cpu_count()} CPUs"
        )
        print(f"bare client rate    {bare:,.0f} recipients/s (pre-built 1000-recipient bodies)")
        print(f"share of bare       {100 * rate / bare:.0f}%")
        print(
            f"token generation    {per_token * 1e6:.1f} µs/recipient -> "
            f"{per_token * args.n:.1f} s for the list ({100 * per_token * args.n / wall:.0f}% "
            "of the wall time, single core)"
        )
        print(
            f"report              sent {report['sent']:,} failed {report['failed']} "
            f"unknown {report['unknown']} pending {report['pending']}"
        )
    finally:
        standin.terminate()
        standin.wait()
        drop_database(db_name)


def run_send_with_rusage(
    config: Path, workers: int | None, profile: str | None = None
) -> tuple[float, int, dict[str, object], os.struct_rusage]:
    """Like run_send, reaping the child with wait4 so its own peak RSS is known."""
    # this checkout's code first, whatever copy of digest is installed
    env = dict(
        os.environ,
        DIGEST_SECRET_KEY=TEST_SECRET,
        SENDGRID_API_KEY=VALID_KEY,
        PYTHONPATH=os.pathsep.join((str(REPO / "src"), str(REPO))),
    )
    out_path = config.parent / "report.json"
    err_path = config.parent / "send.err"
    started = time.perf_counter()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        wrap = (
            [
                "py-spy",
                "record",
                "--format",
                "raw",
                "--subprocesses",
                "--rate",
                "200",
                "-o",
                profile,
                "--",
            ]
            if profile
            else []
        )
        proc = subprocess.Popen(
            [
                *wrap,
                sys.executable,
                "-c",
                "from digest.cli import main; main()",
                "--config",
                str(config),
                "send",
                "markets-en",
                "--date",
                EDITION_DATE.isoformat(),
                "--yes",
                "--json",
                *(["--workers", str(workers)] if workers else []),
            ],
            stdout=out,
            stderr=err,
            env=env,
            cwd=str(config.parent),
        )
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in (0, 1):
        raise SystemExit(f"digest send failed ({code}): {err_path.read_text()[-2000:]}")
    lines = [ln for ln in out_path.read_text().splitlines() if ln.startswith("{")]
    return wall, usage.ru_maxrss, json.loads(lines[-1]), usage


if __name__ == "__main__":
    main()
