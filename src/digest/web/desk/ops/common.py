"""What the console's routes share: the ops role, page headers, parameters, display values."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from digest.config import ConfigError
from digest.signin import StaffSession
from digest.staff import Role
from digest.web.desk.auth import desk_context, require_role
from digest.web.desk.ops.background import BackgroundSends
from digest.web.desk.pages import DESK_HEADERS, N_, DeskText, desk_locale

#: A member of staff with the ops role (or admin).
OpsStaff = Annotated[StaffSession, Depends(require_role(Role.OPS))]

# The console's pages load one script of ours (live updates) and fetch their JSON twin.
CONSOLE_HEADERS = {
    **DESK_HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; "
        "style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
JSON_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

STATE_NAMES = {
    "scheduled": N_("due later today"),
    "none": N_("not built yet"),
    "draft": N_("draft"),
    "approved": N_("approved"),
    "held": N_("held"),
    "sending": N_("sending"),
    "paused": N_("paused"),
    "sent": N_("sent"),
    "cancelled": N_("cancelled"),
    "skipped": N_("skipped"),
}
STATE_TONE = {
    "sending": "warn",
    "paused": "warn",
    "held": "bad",
    "sent": "good",
    "cancelled": "plain",
    "skipped": "plain",
}


class NotFound(Exception):
    """The page asked for names something that does not exist (a segment, a date, a person)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def console_sends(request: Request) -> BackgroundSends:
    """This web app's runner of console-started sends."""
    runner: BackgroundSends = request.app.state.console_sends
    return runner


def text(request: Request) -> DeskText:
    """The request's translator."""
    return DeskText(desk_locale(request))


def page(
    request: Request, template: str, staff: StaffSession, *, status: int = 200, **values: Any
) -> HTMLResponse:
    """A console page for the signed-in member."""
    ctx = desk_context(request)
    return ctx.pages.page(
        request,
        template,
        status=status,
        headers=CONSOLE_HEADERS,
        staff=staff,
        csrf_token=staff.csrf_token,
        state_name=lambda s: DeskText(desk_locale(request)).name(STATE_NAMES, s),
        state_tone=lambda s: STATE_TONE.get(s, "plain"),
        **values,
    )


def segment_param(request: Request, name: str) -> str:
    """The segment named in the path; NotFound if it is not configured."""
    _ = text(request)
    try:
        return desk_context(request).app.config.segment(name).name
    except ConfigError:
        raise NotFound(_("There is no segment called %(name)s.", name=name)) from None


def date_param(request: Request, value: str) -> date:
    """The edition date in the path; NotFound unless it is YYYY-MM-DD."""
    _ = text(request)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise NotFound(_("%(value)s is not a date.", value=value)) from None


def number(value: int | float | None) -> str:
    """A count for display (grouped thousands)."""
    return "–" if value is None else f"{value:,.0f}"


def rate(value: float) -> str:
    """Recipients per second."""
    return "–" if value <= 0 else f"{value:,.1f}/s"


def percent(value: float | None) -> str:
    """A fraction as a percentage."""
    return "–" if value is None else f"{value * 100:.1f}%"


def when(value: datetime | None, zone: str | None = None) -> str:
    """A time in UTC (and in ``zone`` when given and different)."""
    if value is None:
        return "–"
    utc = value.strftime("%Y-%m-%d %H:%M UTC")
    if zone and zone != "UTC":
        local = value.astimezone(ZoneInfo(zone)).strftime("%H:%M %Z")
        return f"{utc} ({local})"
    return utc


def clock_time(value: datetime | None) -> str:
    """A time of day in UTC (for an ETA today)."""
    return "–" if value is None else value.strftime("%H:%M:%S UTC")
