"""The desk's home (``/desk/``), the audit log (``/desk/audit``, admins) and the page behind
the inert links of test sends and previews (``/desk/test-link``)."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from digest.audit import audit_log
from digest.desk_overview import last_sent, next_editions
from digest.editorial import who
from digest.i18n import N_, segment_title
from digest.render.localisation import local_datetime, long_date
from digest.signin import StaffSession
from digest.staff import Role
from digest.web.desk.auth import AnyStaff, desk_context, require_role
from digest.web.desk.draft_page import STATE_NAMES, TZ_COOKIE, viewer_zone
from digest.web.desk.pages import DESK_HEADERS, DeskText, desk_locale
from digest.web.timezones import choices_with

AdminStaff = Annotated[StaffSession, Depends(require_role(Role.ADMIN))]
AUDIT_LIMIT = 200


def _chosen_zone(request: Request) -> str | None:
    """A time zone picked with ?tz= (None if absent or unknown)."""
    name = request.query_params.get("tz")
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def _home_values(request: Request, zone: str) -> dict[str, Any]:
    ctx = desk_context(request)
    locale = desk_locale(request)
    t = DeskText(locale)

    def when(value: object, tz: str) -> str:
        return local_datetime(value, tz, locale) if value else ""  # type: ignore[arg-type]

    rows = []
    for n in next_editions(ctx.app):
        status = n.status.value if n.status else "none"
        rows.append(
            {
                "segment": n.segment,
                "title": segment_title(ctx.app.config, n.segment, locale),
                "date": n.edition_date.isoformat(),
                "date_text": long_date(n.edition_date, locale),
                "due_segment": when(n.due_at, n.segment.timezone),
                "due_viewer": when(n.due_at, zone),
                "draft_at": when(n.draft_at, zone),
                "draft_pending": n.draft_at > ctx.app.clock(),
                "status": status,
                "status_name": t(STATE_NAMES.get(status, status)),
                "articles": n.articles,
                "approval_required": n.approval_required,
                "deadline": when(n.deadline, zone),
                "approved_by": who(n.approved_by) if n.approved_by else None,
                "held_reason": n.held_reason,
            }
        )
    sent = [
        {
            "segment": s.segment,
            "date": s.edition_date.isoformat(),
            "date_text": long_date(s.edition_date, locale),
            "subject": s.subject,
            "status_name": t(STATE_NAMES.get(s.status.value, s.status.value)),
            "at": when(s.at, zone),
        }
        for s in last_sent(ctx.app)
    ]
    return {"rows": rows, "sent": sent, "zone": zone, "zones": choices_with(locale, zone)}


def router() -> APIRouter:
    """Routes for the desk's home, the audit log and the inert-link page (which also
    answers a mail provider's one-click unsubscribe POST of a test email, doing nothing)."""
    api = APIRouter()

    @api.get("/desk")
    @api.get("/desk/")
    async def home(request: Request, staff: AnyStaff) -> Response:
        ctx = desk_context(request)
        chosen = _chosen_zone(request)
        zone = chosen or viewer_zone(request)
        values = await run_in_threadpool(_home_values, request, zone)
        response = ctx.pages.page(
            request, "home.html", staff=staff, csrf_token=staff.csrf_token, **values
        )
        if chosen:
            response.set_cookie(
                TZ_COOKIE,
                chosen,
                max_age=365 * 86400,
                path="/desk",
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
            )
        return response

    @api.get("/desk/audit")
    async def audit(request: Request, staff: AdminStaff) -> Response:
        ctx = desk_context(request)
        locale = desk_locale(request)
        zone = viewer_zone(request)
        entries = await run_in_threadpool(audit_log, ctx.app, limit=AUDIT_LIMIT)
        return ctx.pages.page(
            request,
            "audit.html",
            staff=staff,
            csrf_token=staff.csrf_token,
            entries=[
                {
                    "at": local_datetime(e.at, zone, locale),
                    "who": who(e.actor),
                    "action": e.action,
                    "edition": f"{e.segment} {e.edition_date}" if e.segment else "",
                    "link": f"/desk/editions/{e.segment}/{e.edition_date}"
                    if e.segment and e.edition_date
                    else None,
                    "target": e.target,
                    "before": e.before,
                    "after": e.after,
                    "client": e.client,
                }
                for e in entries
            ],
            zone=zone,
        )

    @api.api_route("/desk/test-link", methods=["GET", "POST"])
    def inert(request: Request) -> Response:
        ctx = desk_context(request)
        t = DeskText(desk_locale(request))
        return ctx.pages.page(
            request,
            "message.html",
            headers=DESK_HEADERS,
            title_text=t(N_("A link from a test email")),
            message=t(
                N_(
                    "This link came from a test send or a preview of the desk: it does "
                    "nothing. In the real email it leads to the reader's own page."
                )
            ),
        )

    return api
