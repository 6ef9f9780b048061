"""``digest alerts`` and ``digest engagement``: what needs ops, and what readers did."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import date
from typing import Any

import click

from digest.cli import CliContext, CliError

pass_ctx = click.make_pass_decorator(CliContext)


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


@click.command("alerts")
@click.option("--segment", default=None, help="Only this segment's alerts.")
@click.option("--post", is_flag=True, help="Post alerts not posted yet to alerts.apprise_urls.")
@click.option("--ack", "ack_ids", type=int, multiple=True, help="Acknowledge alert ID (repeat).")
@click.option("--all", "show_all", is_flag=True, help="Also list alerts already resolved.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def alerts_cmd(
    obj: CliContext,
    segment: str | None,
    post: bool,
    ack_ids: tuple[int, ...],
    show_all: bool,
    as_json: bool,
) -> None:
    """List held, missed, failed and outage-stopped editions nobody acknowledged yet.

    Exit code 1 while an alert still needs ops (not resolved, not acknowledged).
    """
    from digest.alerts import AlertError, acknowledge, active_alerts, post_alerts

    app = obj.app()
    if segment is not None:
        app.config.segment(segment)
    try:
        for alert_id in ack_ids:
            acknowledge(app, alert_id, actor=f"cli:{getpass.getuser()}")
        summary = post_alerts(app) if post else None
    except AlertError as exc:
        raise CliError(str(exc)) from None
    views = active_alerts(app, segment, include_resolved=show_all)
    if as_json:
        payload: dict[str, Any] = {"alerts": [v.as_dict() for v in views]}
        if summary is not None:
            payload["posted"] = {"posted": summary.posted, "failed": summary.failed}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for alert_id in ack_ids:
            click.echo(f"alert {alert_id} acknowledged")
        if summary is not None:
            click.echo(f"posted {summary.posted} alert(s), {summary.failed} not taken")
            for error in summary.errors:
                click.echo(f"  {error}", err=True)
        if not views:
            click.echo("no alerts")
        for v in views:
            r = v.record
            state = "resolved" if v.resolved else "open"
            click.echo(f"#{r.id} {r.kind} {r.segment} {r.edition_date} ({state}, {r.post_state})")
            click.echo(f"    {r.message}")
            click.echo(f"    what to do: {v.hint}")
    if any(not v.resolved for v in views):
        sys.exit(1)


@click.command("engagement")
@click.argument("segment")
@click.option(
    "--date", "date_", default=None, help="One edition (YYYY-MM-DD); default: the last 30."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def engagement_cmd(obj: CliContext, segment: str, date_: str | None, as_json: bool) -> None:
    """Provider events per edition: delivered, opened, clicked, bounced, spam, unsubscribed."""
    from digest.engagement import edition_engagement, segment_engagement

    app = obj.app()
    app.config.segment(segment)
    if date_ is not None:
        try:
            day = date.fromisoformat(date_)
        except ValueError:
            raise CliError(f"--date: {date_!r} is not a date (YYYY-MM-DD)") from None
        one = edition_engagement(app, segment, day)
        if one is None:
            raise CliError(f"{segment} has no edition on {day}")
        figures = [one]
    else:
        figures = segment_engagement(app, segment)
    if as_json:
        click.echo(json.dumps([f.as_dict() for f in figures], indent=2, ensure_ascii=False))
        return
    if not figures:
        click.echo(f"{segment}: no edition has been sent yet")
    for f in figures:
        c, r = f.counts, f.rates
        click.echo(f"{f.segment} {f.edition_date} ({f.status}): sent {f.sent}")
        click.echo(
            f"  delivered {c['delivered']} ({_pct(r['delivered'])}), "
            f"opened {c['opened']} ({_pct(r['opened'])}), "
            f"clicked {c['clicked']} ({_pct(r['clicked'])}), "
            f"bounced {c['bounced']} ({_pct(r['bounced'])}), "
            f"spam reports {c['spam_reports']}, unsubscribes {c['unsubscribes']}"
        )


def register(cli_group: click.Group) -> None:
    """Add ``digest alerts`` and ``digest engagement``."""
    cli_group.add_command(alerts_cmd)
    cli_group.add_command(engagement_cmd)
