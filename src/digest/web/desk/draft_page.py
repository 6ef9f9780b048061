"""What the draft page shows, computed from an EditionView: preview switches, the rendered
email's subject, preheader, size and compliance, each story's score parts, what was left
out, the due time and approval, and the edition's audit history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request

from digest.audit import audit_log
from digest.desk_overview import due_on
from digest.editorial import EditionView, who
from digest.i18n import N_, segment_title
from digest.lifecycle import EditionState
from digest.render.localisation import local_datetime, long_date
from digest.signin import StaffSession
from digest.staff import Role
from digest.web.desk.auth import DeskContext
from digest.web.desk.pages import DeskText
from digest.web.desk.preview import FORMATS, WIDTHS, Rendered

TZ_COOKIE = "digest_desk_tz"
HISTORY = 30
LEFT_OUT_SHOWN = 100  # a busy day has thousands of candidates; the best are shown

STATE_NAMES = {
    "draft": N_("draft"),
    "approved": N_("approved"),
    "held": N_("held"),
    "sending": N_("sending"),
    "paused": N_("paused"),
    "sent": N_("sent"),
    "cancelled": N_("cancelled"),
    "skipped": N_("skipped"),
    "none": N_("not built yet"),
}
DONE = {
    "pin": N_("Pinned. The edition is shown as it is now."),
    "unpin": N_("Unpinned: the ranking places that article again."),
    "exclude": N_("Excluded. The next best article takes its place."),
    "include": N_("Included again: the ranking may choose that article."),
    "up": N_("Moved up."),
    "down": N_("Moved down."),
    "subject": N_("Subject saved."),
    "note": N_("Note saved."),
    "restore": N_("Automatic selection restored."),
    "approve": N_("Approved: this exact content will be sent."),
    "unapprove": N_("Approval withdrawn: the draft follows new articles again."),
    "test-send": N_("Test sent. Check the inbox."),
}


@dataclass(frozen=True, slots=True)
class ViewOptions:
    """The preview switches: width, locale, plain text or HTML, dark mode."""

    width: int
    locale: str
    fmt: str
    dark: bool

    @classmethod
    def parse(cls, query: Mapping[str, Any], locales: tuple[str, ...]) -> ViewOptions:
        """The switches from a query or form; ``locales``: the segment's, its own first."""
        width = str(query.get("width") or "")
        locale = str(query.get("locale") or "")
        fmt = str(query.get("format") or "")
        return cls(
            width=int(width) if width in {str(w) for w in WIDTHS} else 600,
            locale=locale if locale in locales else locales[0],
            fmt=fmt if fmt in FORMATS else "html",
            dark=str(query.get("dark") or "") in ("1", "on", "true"),
        )

    def query(self, **change: Any) -> dict[str, str]:
        values = {
            "width": str(change.get("width", self.width)),
            "locale": str(change.get("locale", self.locale)),
            "format": str(change.get("fmt", self.fmt)),
        }
        if change.get("dark", self.dark):
            values["dark"] = "1"
        return values


def viewer_zone(request: Request) -> str:
    """The time zone the member of staff chose on the home page (UTC until they do)."""
    name = request.cookies.get(TZ_COOKIE) or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


@dataclass
class DraftPage:
    """Everything one request of the draft page needs."""

    ctx: DeskContext
    view: EditionView
    options: ViewOptions
    staff: StaffSession
    locale: str

    @property
    def base(self) -> str:
        return f"/desk/editions/{self.view.segment.name}/{self.view.edition.edition_date}"

    def rendered(self) -> Rendered:
        return self.ctx.renders.get(
            self.ctx.app, self.view.edition, self.view.content_hash, self.options.locale
        )

    def when(self, value: datetime | None, zone: str) -> str:
        return local_datetime(value, zone, self.locale) if value else ""


def _stories(view: EditionView) -> list[dict[str, Any]]:
    out = []
    for index, placed in enumerate(view.placed):
        article, scored = placed.item.article, placed.scored
        pin = view.overrides.pin_of(article.id or 0)
        out.append(
            {
                "id": article.id,
                "title": article.title,
                "url": article.url,
                "source": article.source,
                "place": index + 1,
                "pinned_at": pin.position + 1 if pin else None,
                "score": scored.score,
                "affinity": scored.affinity,
                "decay": scored.decay,
                "parts": [(p.topic, p.weight, p.match) for p in scored.parts],
                "topic": scored.primary_topic,
                "candidate": placed.candidate,
                "first": index == 0,
                "last": index == len(view.placed) - 1,
            }
        )
    return out


def _left_out(view: EditionView) -> list[dict[str, Any]]:
    """The left-out candidates, excluded ones first, then by score; at most LEFT_OUT_SHOWN."""
    ranked = sorted(
        view.left_out,
        key=lambda c: (c[0].article.id not in view.overrides.excluded, -c[0].score),
    )[:LEFT_OUT_SHOWN]
    return [
        {
            "id": s.article.id,
            "title": s.article.title,
            "url": s.article.url,
            "score": s.score,
            "reason": reason,
            "excluded": s.article.id in view.overrides.excluded,
        }
        for s, reason in ranked
    ]


def _email(page: DraftPage) -> dict[str, Any]:
    rendered = page.rendered()
    budget = page.ctx.app.config.email.html_budget_kb
    if rendered.email is None:
        return {
            "ok": False,
            "problem": rendered.problem,
            "budget_kb": budget,
            "compliance_failed": rendered.compliance_failed,
        }
    email = rendered.email
    size = email.html_bytes / 1024
    return {
        "ok": True,
        "subject": email.subject,
        "preheader": email.preheader,
        "size_kb": size,
        "budget_kb": budget,
        "percent": min(100, round(100 * size / budget)),
        "dropped": list(email.dropped_for_budget),
        "compliance_failed": False,
    }


def _timing(page: DraftPage, zone: str) -> dict[str, Any]:
    segment = page.view.segment
    due = due_on(segment, page.view.edition.edition_date)
    deadline = None
    if due is not None and segment.approval == "required":
        from digest.approval import approval_deadline

        deadline = approval_deadline(segment, due)
    return {
        "due_segment": page.when(due, segment.timezone),
        "due_viewer": page.when(due, zone),
        "segment_zone": segment.timezone,
        "viewer_zone": zone,
        "deadline_segment": page.when(deadline, segment.timezone),
        "deadline_viewer": page.when(deadline, zone),
    }


def page_values(
    page: DraftPage, request: Request, *, error: str | None, form: dict[str, str]
) -> dict[str, Any]:
    """The draft template's values."""
    view, options, t = page.view, page.options, DeskText(page.locale)
    state = view.state
    status = view.status.value if view.state else "none"
    done = request.query_params.get("done")
    withdrawn = request.query_params.get("withdrawn")
    can_edit = page.staff.role in (Role.EDITOR, Role.ADMIN)
    history = audit_log(
        page.ctx.app,
        segment=view.segment.name,
        edition_date=view.edition.edition_date,
        limit=HISTORY,
    )
    zone = viewer_zone(request)
    return {
        "title": f"{segment_title(page.ctx.app.config, view.segment, page.locale)} — "
        f"{long_date(view.edition.edition_date, page.locale)}",
        "view": view,
        "base": page.base,
        "state_code": status,
        "status_name": t(STATE_NAMES.get(status, status)),
        "options": options,
        "widths": WIDTHS,
        "locales": list(view.segment.send_locales),
        "switch": lambda **change: "?" + urlencode(options.query(**change)),
        "frame_src": f"{page.base}/frame?{urlencode(options.query())}",
        "view_fields": options.query(),
        "email": _email(page),
        "stories": _stories(view),
        "left_out": _left_out(view),
        "left_out_total": len(view.left_out),
        "timing": _timing(page, zone),
        "approved_by": who(state.approved_by) if state and state.approved_hash else None,
        "approved_at": page.when(state.approved_at, zone) if state else "",
        "approved_hash": state.approved_hash if state else None,
        "updated_by": who(state.updated_by) if state and state.updated_by else None,
        "updated_at": page.when(state.updated_at, zone) if state else "",
        "can_edit": can_edit and view.editable,
        "can_approve": can_edit
        and view.status in (EditionState.DRAFT, EditionState.HELD)
        and bool(view.placed),
        "can_unapprove": can_edit and view.status is EditionState.APPROVED,
        "can_test": can_edit and bool(view.placed),
        "max_articles": view.segment.max_articles,
        "several_locales": len(view.segment.send_locales) > 1,
        "history": [
            {
                "at": page.when(e.at, zone),
                "who": who(e.actor),
                "action": e.action,
                "target": e.target,
                "before": e.before,
                "after": e.after,
            }
            for e in history
        ],
        "notice": t(DONE[done]) if done in DONE else None,
        "withdrawn_notice": t(
            N_(
                "The approval by %(who)s was withdrawn because the edition changed. "
                "Approve it again when it is ready."
            ),
            who=withdrawn,
        )
        if withdrawn
        else None,
        "error": error,
        "form": form,
        "own_address": page.staff.email,
    }
