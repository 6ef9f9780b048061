"""``digest schedule``: the scheduler's jobs, their next run, last outcome and job store state."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click

from digest.cli import EXIT_FAILED, CliContext, CliError, json_option

pass_ctx = click.make_pass_decorator(CliContext)


def _local(when: datetime | None, tz: str) -> str:
    if when is None:
        return "-"
    return when.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _run_dict(run: Any) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "segment": run.segment,
        "edition_date": run.edition_date.isoformat(),
        "due_at": _iso(run.due_at),
        "ran_at": _iso(run.ran_at),
        "outcome": run.outcome,
        "reason": run.reason,
        "host": run.host,
    }


@click.command("schedule")
@click.option("--segment", "segment_name", default=None, help="Only this segment.")
@click.option(
    "--runs",
    "n_runs",
    type=click.IntRange(0, 1000),
    default=10,
    show_default=True,
    help="How many recent scheduler decisions to list.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def schedule_cmd(obj: CliContext, segment_name: str | None, n_runs: int, as_json: bool) -> None:
    """List the scheduler's jobs: next run, last outcome and what the job store holds."""
    from digest.schedule import (
        ScheduleError,
        recent_decisions,
        schedule_overview,
        stored_job_list,
    )
    from digest.scheduling.service import INGEST_JOB_ID

    app = obj.app()
    if segment_name is not None:
        app.config.segment(segment_name)
    try:
        overview = [s for s in schedule_overview(app) if segment_name in (None, s.segment)]
        jobs = stored_job_list(app)
        runs = recent_decisions(app, segment_name, n_runs) if n_runs else []
    except ScheduleError as exc:
        raise CliError(str(exc)) from None
    interval = app.config.scheduler.ingest_interval_minutes
    if as_json:
        payload = {
            "segments": [
                {
                    "segment": s.segment,
                    "schedule": s.schedule,
                    "timezone": s.timezone,
                    "next_run": _iso(s.next_run),
                    "last_due": _iso(s.last_due),
                    "last_outcome": _run_dict(s.last_run),
                    "job_store": (
                        {"id": s.stored_job.id, "next_run_time": _iso(s.stored_job.next_run_time)}
                        if s.stored_job
                        else None
                    ),
                }
                for s in overview
            ],
            "ingest_interval_minutes": interval,
            "job_store": [{"id": j.id, "next_run_time": _iso(j.next_run_time)} for j in jobs],
            "recent_runs": [_run_dict(r) for r in runs],
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    for s in overview:
        click.echo(f"{s.segment}: '{s.schedule}' in {s.timezone}")
        click.echo(f"  next run:     {_local(s.next_run, s.timezone)}  ({_iso(s.next_run)})")
        click.echo(f"  last due:     {_local(s.last_due, s.timezone)}")
        last = s.last_run
        if last is None:
            click.echo("  last outcome: none recorded")
        else:
            reason = f" — {last.reason}" if last.reason else ""
            click.echo(
                f"  last outcome: {last.outcome} for {last.edition_date} "
                f"(due {_local(last.due_at, s.timezone)}, by {last.host or '?'}){reason}"
            )
        if s.stored_job is None:
            click.echo("  job store:    not registered (no scheduler has started with it)")
        else:
            state = _iso(s.stored_job.next_run_time) or "paused"
            click.echo(f"  job store:    {s.stored_job.id}, next run {state}")
    ingest = next((j for j in jobs if j.id == INGEST_JOB_ID), None)
    ingest_state = (
        f"next run {_iso(ingest.next_run_time) or 'paused'}" if ingest else "not registered"
    )
    click.echo(f"ingest: every {interval} min; job store: {ingest_state}")
    known = {f"digest:segment:{s.name}" for s in app.config.segments} | {INGEST_JOB_ID}
    for job in jobs:
        if job.id not in known:
            click.echo(f"stale job in store: {job.id} (removed when the scheduler next starts)")
    if runs:
        click.echo("recent decisions:")
        for r in runs:
            reason = f" — {r.reason}" if r.reason else ""
            click.echo(
                f"  {r.segment} {r.edition_date} due {_iso(r.due_at)}: {r.outcome}"
                f" at {_iso(r.ran_at)} by {r.host or '?'}{reason}"
            )


@click.command("scheduler")
@click.option(
    "--once",
    is_flag=True,
    help="Settle whatever is due now (run it, or record it as missed), then exit.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve Prometheus /metrics on this port (default: scheduler.metrics_port).",
)
@click.option(
    "--health-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve /healthz (last tick, database) on this port (default: scheduler.health_port).",
)
@json_option
@pass_ctx
def scheduler_cmd(
    obj: CliContext,
    once: bool,
    metrics_port: int | None,
    health_port: int | None,
    as_json: bool,
) -> None:
    """Run the scheduler: ingest every few minutes, send each segment on its schedule.

    Runs until SIGTERM or Ctrl-C (running jobs finish first; a second signal stops at once,
    exit 130). The top-level scheduler.py runs this same command.
    """
    from digest.schedule import run_scheduler

    obj.service_logging()
    app = obj.app(require_schema=False)  # the scheduler checks the schema with its own message
    runs = run_scheduler(app, once=once, metrics_port=metrics_port, health_port=health_port)
    if as_json:
        click.echo(json.dumps({"runs": [_run_dict(r) for r in runs]}, ensure_ascii=False))
    else:
        for run in runs:
            reason = f" — {run.reason}" if run.reason else ""
            click.echo(
                f"{run.segment} {run.edition_date} due {_iso(run.due_at)}: {run.outcome}{reason}"
            )
    if any(run.outcome == "failed" for run in runs):
        sys.exit(EXIT_FAILED)


def register(cli_group: click.Group) -> None:
    """Add ``digest schedule`` and ``digest scheduler`` to the CLI."""
    cli_group.add_command(schedule_cmd)
    cli_group.add_command(scheduler_cmd)
