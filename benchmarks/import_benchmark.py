"""Benchmark: `digest subscribers import` of an N-row CSV, as a real subprocess.

Prints the wall time, rows per second and the peak RSS of the import process.

    python benchmarks/import_benchmark.py --n 1000000            # SQLite file
    python benchmarks/import_benchmark.py --n 1000000 --postgres # PostgreSQL at 127.0.0.1
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import TEST_SECRET, config_dict  # noqa: E402

PG_ADMIN = os.environ.get("DIGEST_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ZONES = ("Europe/London", "Asia/Jerusalem", "America/New_York", "UTC")


def write_csv(path: Path, n: int) -> None:
    """N valid rows spread over both demo segments, locales and a few timezones."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["email", "name", "locale", "timezone", "topics", "segments"])
        for i in range(n):
            he = i % 3 == 0
            w.writerow(
                [
                    f"reader{i}@example.com",
                    f"Reader {i}",
                    "he" if he else "en",
                    ZONES[i % len(ZONES)],
                    "tech;autos" if he else "markets",
                    "tech-he" if he else "markets-en;tech-he" if i % 7 == 0 else "markets-en",
                ]
            )


def run(args: list[str], cwd: Path) -> float:
    env = dict(os.environ, DIGEST_SECRET_KEY=TEST_SECRET)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from digest.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db_name = None
        url = f"sqlite:///{work / 'digest.db'}"
        if opts.postgres:
            db_name = f"digest_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{db_name}"'))
            url = PG_ADMIN.rsplit("/", 1)[0] + f"/{db_name}"
        try:
            (work / "config.yaml").write_text(yaml.safe_dump(config_dict(work, url)))
            run(["init"], work)
            data = work / "subscribers.csv"
            t0 = time.perf_counter()
            write_csv(data, opts.n)
            gen = time.perf_counter() - t0
            took = run(["subscribers", "import", str(data)], work)
            rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            again = run(["subscribers", "import", str(data)], work)
            print(f"database: {'postgresql' if opts.postgres else 'sqlite'}")
            print(
                f"rows: {opts.n:,} (CSV written in {gen:.1f} s, {data.stat().st_size / 1e6:.0f} MB)"
            )
            print(f"first import: {took:.1f} s, {opts.n / took:,.0f} rows/s")
            print(f"re-import (all updates): {again:.1f} s, {opts.n / again:,.0f} rows/s")
            print(f"peak RSS of the import process: {rss_mb:.0f} MB")
        finally:
            if db_name:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
