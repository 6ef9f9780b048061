"""``digest status``, ``digest pause`` and ``digest cancel``: an edition's state, and changes.

Exit codes: 0 done; 1 (status) some recipients failed or are unknown; 2 usage or
configuration; 4 the lifecycle refuses the change (pausing what is not sending, cancelling
what was sent) or there is no edition.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from digest.cli.sending import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REFUSED,
    _app,
    _check_segment,
    _edition_date,
    _fail,
)


def register(cli_group: click.Group) -> None:
    """Add status, pause and cancel to the root command group."""

    @cli_group.command("status")
    @click.argument("segment")
    @click.option("--date", "date_", help="Edition date (YYYY-MM-DD); default: today there.")
    @click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
    @click.pass_context
    def status_cmd(ctx: click.Context, segment: str, date_: str | None, as_json: bool) -> None:
        """Where SEGMENT's edition stands: its state, its history and every recipient's outcome."""
        from digest.alerts import active_alerts
        from digest.sending import edition_status

        app = _app(ctx)
        _check_segment(app, segment)
        edition_date = _edition_date(app, segment, date_)
        view = edition_status(app, segment, edition_date)
        data = view.as_dict()
        alerts = active_alerts(app, segment)
        data["alerts"] = [a.as_dict() for a in alerts]
        if not as_json:
            for line in alert_lines(alerts):
                click.echo(line)
        if as_json:
            click.echo(json.dumps(data))
        elif view.edition is None:
            click.echo(f"{segment} {edition_date}: no edition yet")
        else:
            click.echo(f"{segment} {edition_date}: edition {view.edition.id}, {view.state}")
            if view.edition.skip_reason:
                click.echo(f"  skipped: {view.edition.skip_reason}")
            for key in STATUS_KEYS:
                click.echo(f"  {key.replace('_', ' ')}: {data[key]}")
            for h in view.history:
                why = f" — {h.reason}" if h.reason else ""
                click.echo(f"  {h.at.isoformat()} {h.action} → {h.state} by {h.by}{why}")
        sys.exit(EXIT_FAILED if data["failed"] or data["unknown"] else EXIT_OK)

    for name, verb in (("pause", "pause"), ("cancel", "cancel")):
        cli_group.add_command(_state_command(name, verb))


def alert_lines(alerts: list[Any]) -> list[str]:
    """Alerts nobody acknowledged, one line each with what to do (shown before the status)."""
    return [
        f"ALERT {a.record.kind} {a.record.segment} {a.record.edition_date}: "
        f"{a.record.message} — {a.hint} (`digest alerts --ack {a.record.id}` once dealt with)"
        for a in alerts
    ]


STATUS_KEYS = (
    "recipients",
    "sent",
    "failed",
    "suppressed",
    "unknown",
    "pending",
    "held",
    "in_flight",
)

_STATE_HELP = {
    "pause": "Pause SEGMENT's running send: every sender stops after its in-flight batches; "
    "`digest resume` (or `digest send`) goes on.",
    "cancel": "Cancel SEGMENT's edition for good: every sender stops after its in-flight "
    "batches and nothing more is sent.",
}


def _state_command(name: str, verb: str) -> click.Command:
    """``digest pause`` or ``digest cancel``: one lifecycle change, then what is left."""

    @click.command(name, help=_STATE_HELP[name])
    @click.argument("segment")
    @click.option("--date", "date_", help="Edition date (YYYY-MM-DD); default: today there.")
    @click.option("--reason", help="Why (recorded in the edition's history).")
    @click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
    @click.pass_context
    def command(
        ctx: click.Context, segment: str, date_: str | None, reason: str | None, as_json: bool
    ) -> None:
        from digest.cli import cli_actor
        from digest.lifecycle import EditionError
        from digest.sending import cancel_edition, edition_status, pause_edition

        app = _app(ctx)
        _check_segment(app, segment)
        edition_date = _edition_date(app, segment, date_)
        change = pause_edition if verb == "pause" else cancel_edition
        try:
            state = change(app, segment, edition_date, actor=cli_actor(), reason=reason)
        except EditionError as exc:
            _fail(str(exc), EXIT_REFUSED)
        view = edition_status(app, segment, edition_date)
        counts = view.as_dict()
        if as_json:
            click.echo(json.dumps(counts))
            return
        click.echo(
            f"{segment} {edition_date} {state}; running senders stop after their in-flight batches"
        )
        click.echo(
            f"  sent {counts['sent']}, not sent {counts['pending']}, in flight "
            f"{counts['in_flight']}, unknown {counts['unknown']}"
        )

    return command
