"""Start the digest scheduler: ``python scheduler.py [--config PATH] [--once] [--json]
[--log-level LEVEL] [--log-format text|json] [--metrics-port P] [--health-port P]``.

The design card's entry point, kept thin on purpose: it runs ``digest scheduler`` (the same
code, options and exit codes): 0 stopped cleanly (or --once settled everything); 1 a run in
--once failed; 2 configuration, schedule or database problem; 130 stopped hard by a second
signal.
"""

from __future__ import annotations

import argparse

from digest.cli import main as digest_main
from digest.logging_setup import FORMATS, LEVELS


def digest_args(argv: list[str] | None = None) -> list[str]:
    """The ``digest`` command line equivalent to this script's arguments."""
    parser = argparse.ArgumentParser(
        prog="scheduler.py", description="Run digest's scheduler (same as `digest scheduler`)."
    )
    parser.add_argument(
        "--config", help="config file (default: $DIGEST_CONFIG, else ./config.yaml)"
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="settle whatever is due now (run, or record as missed), then exit",
    )
    parser.add_argument("--json", action="store_true", help="print the runs of --once as JSON")
    parser.add_argument("--log-level", type=str.lower, choices=LEVELS, default=None)
    parser.add_argument("--log-format", type=str.lower, choices=FORMATS, default=None)
    parser.add_argument("--metrics-port", type=int, default=None, help="serve /metrics here")
    parser.add_argument("--health-port", type=int, default=None, help="serve /healthz here")
    args = parser.parse_args(argv)
    out: list[str] = []
    for flag, value in (
        ("--config", args.config),
        ("--log-level", args.log_level),
        ("--log-format", args.log_format),
    ):
        if value:
            out += [flag, value]
    return [
        *out,
        "scheduler",
        *(["--once"] if args.once else []),
        *(["--json"] if args.json else []),
        *(["--metrics-port", str(args.metrics_port)] if args.metrics_port is not None else []),
        *(["--health-port", str(args.health_port)] if args.health_port is not None else []),
    ]


if __name__ == "__main__":
    digest_main(digest_args())
