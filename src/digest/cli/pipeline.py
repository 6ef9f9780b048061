"""Pipeline commands: init, segments, preview (ingest and run: cli/ingest_run.py)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from digest.cli import CliContext, CliError, _safe_url, json_option
from digest.config import Segment
from digest.editions import (
    local_today,
)
from digest.models import RankResult
from digest.text_safety import for_terminal

pass_ctx = click.make_pass_decorator(CliContext)


def _parse_date(value: str | None, segment: Segment, now: datetime) -> date:
    if value is None:
        return local_today(segment, now)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CliError(f"--date must be YYYY-MM-DD, got {value!r}") from None


def next_run(segment: Segment, now: datetime) -> datetime:
    """The segment's next scheduled time after ``now``."""
    from digest.schedule import next_run_time

    return next_run_time(segment, now)


@click.command("init")
@json_option
@pass_ctx
def init_cmd(obj: CliContext, as_json: bool) -> None:
    """Set up digest here: a starter config (never overwritten), the database, the keys.

    Safe to repeat: it also upgrades the database after installing a newer digest.
    """
    from digest.initialise import InitError, install, next_commands, write_starter_config

    path = obj.config_path.absolute()
    try:
        steps = [write_starter_config(path)]
    except InitError as exc:
        raise CliError(str(exc)) from None
    app = obj.app(require_schema=False)
    steps += install(app)
    commands = next_commands(app.config, obj.config_flag())
    if as_json:
        payload = {
            "config": str(path),
            "database": _safe_url(app.config.database.url),
            "steps": [{"step": s.step, "outcome": s.outcome, "detail": s.detail} for s in steps],
            "next": commands,
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    for step in steps:
        click.echo(_init_line(step, _safe_url(app.config.database.url)))
    click.echo("next:")
    if steps[0].outcome == "written":
        click.echo(f"  edit {path}: your publication, sources, topics and segments")
    for command in commands:
        click.echo(f"  {command}")


def _init_line(step: Any, database: str) -> str:
    from digest.initialise import Outcome

    texts = {
        ("config", Outcome.WRITTEN): f"wrote a starter configuration: {step.detail}",
        ("config", Outcome.KEPT): f"kept the existing configuration: {step.detail}",
        ("database", Outcome.CREATED): f"database: created at {step.detail} ({database})",
        ("database", Outcome.UPGRADED): f"database: upgraded {step.detail} ({database})",
        ("database", Outcome.CURRENT): f"database: already current at {step.detail} ({database})",
        ("signing key", Outcome.CREATED): "signing key: created and kept in the database",
        ("signing key", Outcome.KEPT): "signing key: kept (already in the database)",
        ("signing key", Outcome.ENVIRONMENT): "signing key: from DIGEST_SECRET_KEY",
        ("web push key", Outcome.CREATED): "web push (VAPID) key: created and kept in the "
        f"database; public key {step.detail}",
        ("web push key", Outcome.KEPT): "web push (VAPID) key: kept (already in the "
        f"database); public key {step.detail}",
        ("web push key", Outcome.ENVIRONMENT): "web push (VAPID) key: from "
        f"DIGEST_VAPID_PRIVATE_KEY; public key {step.detail}",
    }
    return texts.get((step.step, step.outcome), f"{step.step}: {step.outcome} {step.detail}")


@click.command("segments")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def segments_cmd(obj: CliContext, as_json: bool) -> None:
    """Each segment: its subscribers, its next scheduled time and its latest edition."""
    from digest.segments import segment_summaries

    rows = segment_summaries(obj.app())
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        last = r["last_edition"]
        last_txt = "none yet"
        if last:
            last_txt = f"{last['date']} {last['status']}" + (
                f" ({last['reason']})" if last["reason"] else ""
            )
        click.echo(
            f"{r['segment']}: {r['subscribers']} subscriber(s); locale {r['locale']}; "
            f"'{r['schedule']}' {r['timezone']}; next run {r['next_run']}; last edition {last_txt}"
        )
        run = r["last_scheduler_run"]
        if run:
            click.echo(
                f"    scheduler: {run['edition_date']} (due {run['due_at']}) {run['outcome']}"
                + (f": {run['reason']}" if run["reason"] else "")
            )


def _explain(result: RankResult) -> list[str]:
    lines = ["selected:"]
    for i, s in enumerate(result.selected, 1):
        parts = " + ".join(f"{p.topic} {p.weight:g}×{p.match:g}" for p in s.parts) or "none"
        lines.append(
            f"  {i}. {s.score:.4f} = affinity {s.affinity:.3f} ({parts}) × decay {s.decay:.3f}"
            f"  [{s.primary_topic or '-'}] {s.article.title}"
        )
        if s.duplicates:
            lines.append(f"       collapsed duplicates: {', '.join(s.duplicates)}")
    if result.dropped:
        lines.append("left out:")
        for s, reason in result.dropped:
            lines.append(f"  - {s.score:.4f} {s.article.title}: {reason}")
    return lines


@click.command("preview")
@click.argument("segment")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "text", "eml", "json"]),
    default="text",
    show_default=True,
    help="The text part, the HTML, the whole message, or the edition as JSON.",
)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write to this file.")
@click.option(
    "--date", "date_s", help="Edition date YYYY-MM-DD (default: today in the segment's timezone)."
)
@click.option(
    "--explain", is_flag=True, help="Show each article's score parts and what was left out."
)
@click.option(
    "--locale", help="Render this locale variant: one of the segment's locales (default: its own)."
)
@pass_ctx
def preview_cmd(
    obj: CliContext,
    segment: str,
    fmt: str,
    out: str | None,
    date_s: str | None,
    explain: bool,
    locale: str | None,
) -> None:
    """Show the segment's edition as subscribers will get it (stored, or a draft of now).

    Nothing is stored. `--format json` prints {"segment", "date", "subject", "articles":
    [{"url", "title", "author", "published", "topics", "score"}]}; articles dropped for the
    size budget are named on stderr.
    """
    from digest.previews import explain as explain_preview
    from digest.previews import preview_edition, preview_mime, sample_values

    seg = obj.config().segment(segment)
    locale = _preview_locale(seg, locale)  # checked before the database is opened
    app = obj.app()
    shown = preview_edition(app, segment, _parse_date(date_s, seg, app.clock()))
    edition = shown.edition
    if explain:
        for line in _explain(explain_preview(app, shown)):
            click.echo(for_terminal(line), err=fmt != "text" and out is None)
    if edition.status == "skipped" and not edition.items:
        click.echo(
            f"edition {segment} {edition.edition_date} is skipped: {edition.skip_reason}", err=True
        )
        if fmt != "json":
            return
    if fmt == "json":
        payload = {
            "segment": edition.segment,
            "date": edition.edition_date.isoformat(),
            "status": edition.status,
            "subject": edition.subject,
            "articles": [
                {
                    "url": it.article.url,
                    "title": it.article.title,
                    "author": it.article.author,
                    "published": it.article.published_at.isoformat(),
                    "topics": list(it.topics),
                    "score": round(it.score, 6),
                }
                for it in edition.items
            ],
        }
        _emit(json.dumps(payload, indent=2, ensure_ascii=False), out)
        return
    rendered, eml = preview_mime(app, edition, locale)
    if rendered.dropped_for_budget:
        click.echo(
            f"note: {len(rendered.dropped_for_budget)} article(s) dropped to stay within "
            f"{app.config.email.html_budget_kb:g} KB: " + "; ".join(rendered.dropped_for_budget),
            err=True,
        )
    if fmt == "eml":
        _emit(eml, out)
        return
    from digest.previews import personalised

    email = personalised(app, edition, rendered, sample_values(app))
    if fmt == "html":
        _emit(email.html, out)
    else:
        _emit(f"Subject: {email.subject}\n\n{email.text}", out)


def _preview_locale(segment: Segment, locale: str | None) -> str:
    """The variant to preview: the segment's locale, or another of those it sends in."""
    if locale is None:
        return segment.locale
    if locale not in segment.send_locales:
        raise CliError(
            f"--locale {locale!r}: segment {segment.name} sends in: "
            f"{', '.join(segment.send_locales)} (segments[].locales)"
        )
    return locale


def _emit(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text)


def register(group: click.Group) -> None:
    """Add the pipeline commands to the root group."""
    for cmd in (init_cmd, segments_cmd, preview_cmd):
        group.add_command(cmd)
