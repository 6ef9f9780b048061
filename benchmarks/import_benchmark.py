"""Benchmark: `digest subscribers import` of an N-row CSV, as a real subprocess.

Prints, for a first import (all new) and a re-import of the same file (all unchanged), the
wall time, rows per second, the peak RSS of the import process, and the CPU seconds spent by
the import process and by PostgreSQL meanwhile (on a busy machine the CPU seconds say more
than the wall time).

    python benchmarks/import_benchmark.py --n 1000000            # SQLite file
    python benchmarks/import_benchmark.py --n 1000000 --postgres # PostgreSQL at 127.0.0.1

Targets (issue 14): 1,000,000 rows in at most 15 s on PostgreSQL and 60 s on SQLite, with
memory flat in the file's size.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.send_benchmark import CpuSampler, drop_database, make_database  # noqa: E402
from tests.conftest import TEST_SECRET, config_dict  # noqa: E402

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


def run(args: list[str], cwd: Path) -> tuple[float, float, float, float]:
    """Run ``digest ARGS``: wall seconds, peak RSS (MB), its CPU seconds, PostgreSQL's."""
    env = dict(
        os.environ,
        DIGEST_SECRET_KEY=TEST_SECRET,
        PYTHONPATH=os.pathsep.join((str(REPO / "src"), str(REPO))),
    )
    sampler = CpuSampler(standin_pid=-1)
    sampler.start()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from digest.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    postgres = sampler.stop()["postgres"]
    out = proc.stdout.read().decode() if proc.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"digest {' '.join(args)} failed: {out}")
    print(f"  {out.strip()}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, postgres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url, db_name = make_database(not opts.postgres, work)
        try:
            (work / "config.yaml").write_text(yaml.safe_dump(config_dict(work, url)))
            run(["init"], work)
            data = work / "subscribers.csv"
            t0 = time.perf_counter()
            write_csv(data, opts.n)
            gen = time.perf_counter() - t0
            print(f"database: {'postgresql' if opts.postgres else 'sqlite'}")
            print(
                f"rows: {opts.n:,} (CSV written in {gen:.1f} s, {data.stat().st_size / 1e6:.0f} MB)"
            )
            for label in ("first import (all new)", "re-import (all unchanged)"):
                wall, rss, cpu, pg = run(["subscribers", "import", str(data)], work)
                print(
                    f"{label}: {wall:.1f} s, {opts.n / wall:,.0f} rows/s, peak RSS {rss:.0f} MB, "
                    f"CPU {cpu:.1f} s import process + {pg:.1f} s PostgreSQL "
                    f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
                )
        finally:
            drop_database(db_name)


if __name__ == "__main__":
    main()
