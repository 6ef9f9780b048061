"""Start the digest scheduler: ``python scheduler.py [--config PATH] [--once]``.

Thin on purpose: parse the arguments, load the config (--config, else $DIGEST_CONFIG, else
./config.yaml), build the App and hand it to ``digest.schedule.run_scheduler``.
Exit codes: 0 stopped cleanly (or --once settled everything); 1 a run in --once failed;
2 configuration, schedule or database problem; 130 stopped hard by a second signal.
"""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the scheduler from the command line; returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="scheduler.py", description="Run digest's scheduler (ingest and segment digests)."
    )
    parser.add_argument(
        "--config", help="config file (default: $DIGEST_CONFIG, else ./config.yaml)"
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="settle whatever is due now (run, or record as missed), then exit",
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from digest.app import build
    from digest.config import ConfigError, load_config, resolve_config_path
    from digest.schedule import ScheduleError, run_scheduler
    from digest.store.db import StoreError

    try:
        app = build(load_config(resolve_config_path(args.config)))
        try:
            runs = run_scheduler(app, once=args.once)
        finally:
            app.engine.dispose()
    except (ConfigError, ScheduleError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for run in runs:
        reason = f" — {run.reason}" if run.reason else ""
        due = run.due_at.isoformat()
        print(f"{run.segment} {run.edition_date} due {due}: {run.outcome}{reason}")
    return 1 if any(run.outcome == "failed" for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
