"""``digest edition …``: the editors' desk from the command line, for scripts.

The same use cases as the desk (``digest.editorial``, ``digest.edits``, ``digest.approval``,
``digest.proofs``), so the same steps give the same edition. Exit codes: 0 done; 2 bad input
(unknown segment or article, a pin beyond max_articles, an invalid or suppressed address …);
4 the edition's state does not allow it (sending, sent, already approved …). Nothing is
changed when a command fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import click

from digest.audit import cli_actor
from digest.cli import CliContext, CliError, json_option
from digest.config import SUPPORTED_LOCALES
from digest.lifecycle import EditionError, TransitionRefused

pass_ctx = click.make_pass_decorator(CliContext)
EXIT_REFUSED = 4
DATE_OPTION = click.option(
    "--date", "date_s", help="Edition date YYYY-MM-DD (default: the segment's next edition)."
)


def _edition_date(obj: CliContext, segment: str, date_s: str | None) -> date:
    from digest.desk_overview import default_edition_date

    app = obj.app()
    app.config.segment(segment)
    if date_s is None:
        return default_edition_date(app, segment)
    try:
        return date.fromisoformat(date_s)
    except ValueError:
        raise CliError(f"--date must be YYYY-MM-DD, got {date_s!r}") from None


def _run(call: Callable[[], Any]) -> Any:
    """Run a use case; its refusal becomes the command's message and exit code."""
    from digest.editorial import EditorialError

    try:
        return call()
    except TransitionRefused as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None
    except EditorialError as exc:
        refused = "can no longer be changed" in exc.template or "already approved" in exc.template
        raise CliError(str(exc), EXIT_REFUSED if refused else 2) from None
    except EditionError as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None


def _report(
    obj: CliContext, segment: str, day: date, action: str, outcome: Any, text: str, as_json: bool
) -> None:
    """What an edit did, as a line (and a note when it withdrew an approval) or as JSON
    with the edition as it stands after it."""
    withdrawn = getattr(outcome, "withdrawn_approval_of", None)
    if as_json:
        from digest.editorial import edition_view

        edition = view_dict(edition_view(obj.app(), segment, day))
        payload = {"action": action, "withdrawn_approval_of": withdrawn, "edition": edition}
        click.echo(json.dumps(payload, ensure_ascii=False))
        return
    click.echo(text)
    if withdrawn:
        click.echo(f"note: the approval by {withdrawn} was withdrawn because the edition changed")


@click.group("edition")
def edition_group() -> None:
    """Review and adjust a segment's next edition, approve it, send a test."""


def _pinned_at(view: Any, article_id: int | None) -> int | None:
    pin = view.overrides.pin_of(article_id or 0)
    return pin.position + 1 if pin else None


def view_dict(view: Any) -> dict[str, Any]:
    """An EditionView as JSON-ready data (what `digest edition show --json` prints)."""
    state = view.state
    return {
        "segment": view.segment.name,
        "date": view.edition.edition_date.isoformat(),
        "status": str(view.status) if state else "none",
        "version": view.version,
        "follows_news": view.follows_news,
        "subject": view.edition.subject,
        "subject_automatic": view.subject_automatic,
        "editor_note": view.edition.editor_note,
        "content_hash": view.content_hash,
        "approved_by": state.approved_by if state and state.approved_hash else None,
        "approved_hash": state.approved_hash if state else None,
        "articles": [
            {
                "position": i + 1,
                "url": p.item.article.url,
                "title": p.item.article.title,
                "pinned_at": (pin.position + 1)
                if (pin := view.overrides.pin_of(p.item.article.id or 0))
                else None,
                "score": round(p.scored.score, 6),
                "affinity": round(p.scored.affinity, 6),
                "decay": round(p.scored.decay, 6),
                "topics": [
                    {"topic": part.topic, "weight": part.weight, "match": part.match}
                    for part in p.scored.parts
                ],
            }
            for i, p in enumerate(view.placed)
        ],
        "left_out": [
            {
                "url": s.article.url,
                "title": s.article.title,
                "score": round(s.score, 6),
                "reason": reason,
            }
            for s, reason in view.left_out
        ],
    }


@edition_group.command("show")
@click.argument("segment")
@DATE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def show_cmd(obj: CliContext, segment: str, date_s: str | None, as_json: bool) -> None:
    """The edition as it stands: its stories with their score parts, and what was left out."""
    from digest.editorial import edition_view

    day = _edition_date(obj, segment, date_s)
    data = view_dict(edition_view(obj.app(), segment, day))
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    follows = "follows new articles until approved" if data["follows_news"] else "fixed"
    click.echo(f"{segment} {data['date']}: {data['status']} ({follows}); version {data['version']}")
    subject_kind = "automatic" if data["subject_automatic"] else "editor's"
    click.echo(f"subject ({subject_kind}): {data['subject']}")
    if data["editor_note"]:
        click.echo("note: " + data["editor_note"].replace("\n", "\n      "))
    if data["approved_by"]:
        click.echo(f"approved by {data['approved_by']} (content {data['approved_hash'][:12]})")
    for a in data["articles"]:
        pinned = f" [pinned at {a['pinned_at']}]" if a["pinned_at"] else ""
        parts = " + ".join(f"{t['topic']} {t['weight']:g}×{t['match']:g}" for t in a["topics"])
        click.echo(
            f"  {a['position']}. {a['title']}{pinned}\n"
            f"     {a['url']}\n"
            f"     score {a['score']:.4f} = affinity {a['affinity']:.3f} ({parts or 'none'})"
            f" × decay {a['decay']:.3f}"
        )
    if data["left_out"]:
        click.echo("left out:")
        for c in data["left_out"]:
            click.echo(f"  - {c['title']} ({c['url']}): {c['reason']}")


def _article_command(name: str, help_text: str, use_case: str, done: str) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("segment")
    @click.argument("url")
    @DATE_OPTION
    @json_option
    @pass_ctx
    def command(obj: CliContext, segment: str, url: str, date_s: str | None, as_json: bool) -> None:
        from digest import edits

        day = _edition_date(obj, segment, date_s)
        call = getattr(edits, use_case)
        outcome = _run(lambda: call(obj.app(), segment, day, url, actor=cli_actor()))
        _report(obj, segment, day, name, outcome, f"{segment} {day}: {done} {url}", as_json)

    return command


for _name, _help, _use_case, _done in (
    ("unpin", "Let the ranking place the article again.", "unpin_article", "unpinned"),
    ("exclude", "Never include the article in this edition.", "exclude_from_edition", "excluded"),
    ("include", "Undo an exclusion.", "include_in_edition", "included again"),
):
    edition_group.add_command(_article_command(_name, _help, _use_case, _done))


@edition_group.command("pin")
@click.argument("segment")
@click.argument("url")
@click.option("--position", type=int, help="1 = the lead story (default: where it is now).")
@DATE_OPTION
@json_option
@pass_ctx
def pin_cmd(
    obj: CliContext,
    segment: str,
    url: str,
    position: int | None,
    date_s: str | None,
    as_json: bool,
) -> None:
    """Always include the article, at --position."""
    from digest.edits import pin_article

    day = _edition_date(obj, segment, date_s)
    outcome = _run(
        lambda: pin_article(obj.app(), segment, day, url, position=position, actor=cli_actor())
    )
    text = f"{segment} {day}: pinned {url}" + (f" at {position}" if position else "")
    _report(obj, segment, day, "pin", outcome, text, as_json)


@edition_group.command("move")
@click.argument("segment")
@click.argument("url")
@click.argument("direction", type=click.Choice(["up", "down"]))
@DATE_OPTION
@json_option
@pass_ctx
def move_cmd(
    obj: CliContext, segment: str, url: str, direction: str, date_s: str | None, as_json: bool
) -> None:
    """Move the article one place up or down (it is pinned there)."""
    from digest.edits import move_article

    day = _edition_date(obj, segment, date_s)
    step = -1 if direction == "up" else 1
    outcome = _run(lambda: move_article(obj.app(), segment, day, url, step, actor=cli_actor()))
    _report(
        obj, segment, day, "move", outcome, f"{segment} {day}: moved {url} {direction}", as_json
    )


@edition_group.command("subject")
@click.argument("segment")
@click.argument("text")
@DATE_OPTION
@json_option
@pass_ctx
def subject_cmd(
    obj: CliContext, segment: str, text: str, date_s: str | None, as_json: bool
) -> None:
    """Set the subject line of the segment's own language ("" gives the automatic one back)."""
    from digest.edits import set_subject

    day = _edition_date(obj, segment, date_s)
    outcome = _run(lambda: set_subject(obj.app(), segment, day, text, actor=cli_actor()))
    said = f"{segment} {day}: subject " + ("set" if text.strip() else "automatic")
    _report(obj, segment, day, "subject", outcome, said, as_json)


@edition_group.command("note")
@click.argument("segment")
@click.argument("text")
@DATE_OPTION
@json_option
@pass_ctx
def note_cmd(obj: CliContext, segment: str, text: str, date_s: str | None, as_json: bool) -> None:
    """Set the editor's note shown at the top ("" removes it)."""
    from digest.edits import set_note

    day = _edition_date(obj, segment, date_s)
    outcome = _run(lambda: set_note(obj.app(), segment, day, text, actor=cli_actor()))
    said = f"{segment} {day}: note " + ("set" if text.strip() else "removed")
    _report(obj, segment, day, "note", outcome, said, as_json)


@edition_group.command("restore")
@click.argument("segment")
@DATE_OPTION
@json_option
@pass_ctx
def restore_cmd(obj: CliContext, segment: str, date_s: str | None, as_json: bool) -> None:
    """Forget every pin, move and exclusion: the ranking alone chooses again."""
    from digest.edits import restore_selection

    day = _edition_date(obj, segment, date_s)
    outcome = _run(lambda: restore_selection(obj.app(), segment, day, actor=cli_actor()))
    said = f"{segment} {day}: automatic selection restored"
    _report(obj, segment, day, "restore", outcome, said, as_json)


@edition_group.command("approve")
@click.argument("segment")
@DATE_OPTION
@json_option
@pass_ctx
def approve_cmd(obj: CliContext, segment: str, date_s: str | None, as_json: bool) -> None:
    """Freeze the edition as it stands now and approve it."""
    from digest.approval import approve_edition

    day = _edition_date(obj, segment, date_s)
    approval = _run(lambda: approve_edition(obj.app(), segment, day, actor=cli_actor()))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "segment": segment,
                    "date": day.isoformat(),
                    "approved_by": approval.by,
                    "content_hash": approval.content_hash,
                    "articles": approval.articles,
                }
            )
        )
        return
    click.echo(
        f"{segment} {day}: approved ({approval.articles} article(s), content "
        f"{approval.content_hash[:12]}); it will be sent exactly as it is now"
    )


@edition_group.command("unapprove")
@click.argument("segment")
@DATE_OPTION
@json_option
@pass_ctx
def unapprove_cmd(obj: CliContext, segment: str, date_s: str | None, as_json: bool) -> None:
    """Withdraw the approval; the draft follows new articles again."""
    from digest.approval import unapprove_edition

    day = _edition_date(obj, segment, date_s)
    _run(lambda: unapprove_edition(obj.app(), segment, day, actor=cli_actor()))
    _report(obj, segment, day, "unapprove", None, f"{segment} {day}: approval withdrawn", as_json)


@edition_group.command("test-send")
@click.argument("segment")
@click.option("--to", "to", required=True, help="EMAIL[,EMAIL…]: up to 10 addresses.")
@click.option("--locale", type=click.Choice(SUPPORTED_LOCALES), help="Language variant.")
@DATE_OPTION
@json_option
@pass_ctx
def test_send_cmd(
    obj: CliContext,
    segment: str,
    to: str,
    locale: str | None,
    date_s: str | None,
    as_json: bool,
) -> None:
    """Send the edition as it stands to a few addresses, "[TEST]" before the subject."""
    from digest.proofs import send_proof

    day = _edition_date(obj, segment, date_s)
    report = _run(
        lambda: send_proof(obj.app(), segment, day, [to], actor=cli_actor(), locale=locale)
    )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "segment": segment,
                    "date": day.isoformat(),
                    "recipients": list(report.recipients),
                    "subject": report.subject,
                    "locale": report.locale,
                    "transport": report.transport,
                },
                ensure_ascii=False,
            )
        )
        return
    click.echo(
        f"{segment} {day}: test sent to {', '.join(report.recipients)} through the "
        f"{report.transport} transport; subject: {report.subject}"
    )


def register(group: click.Group) -> None:
    """Add `digest edition` to the root group."""
    group.add_command(edition_group)
