"""The Sends pages: every edition of the last 30 days and those due today, one in detail,
and their JSON twins that the page polls to update its figures without reloading."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from digest.alerts import active_alerts
from digest.console import SendDetail, SendLine, line_key, send_detail, send_lines
from digest.console_controls import offered
from digest.i18n import N_
from digest.web.desk.auth import desk_context
from digest.web.desk.ops.common import (
    JSON_HEADERS,
    STATE_NAMES,
    NotFound,
    OpsStaff,
    clock_time,
    console_sends,
    date_param,
    number,
    page,
    rate,
    segment_param,
    text,
    when,
)

LIVE_EVERY_MS = 2000
COUNT_FIELDS = ("recipients", "sent", "failed", "suppressed", "unknown", "pending", "held")


def display(line: SendLine, request: Request) -> dict[str, str]:
    """The figures of a line as the page shows them (the live updates send the same)."""
    _ = text(request)
    c = line.counts
    values = {k: number(getattr(c, k)) for k in COUNT_FIELDS}
    values["in_flight"] = number(c.in_flight)
    values["state"] = _(STATE_NAMES.get(line.state, line.state))
    values["rate"] = rate(line.rate)
    values["eta"] = clock_time(line.eta)
    values["next_due"] = when(line.next_due)
    return values


def live_item(line: SendLine, request: Request) -> dict[str, Any]:
    """One line of a page's JSON twin."""
    return {
        "key": line_key(line.segment, line.edition_date),
        "version": line.version,
        "state": line.state,
        "values": display(line, request),
    }


def _groups(detail: SendDetail) -> list[dict[str, Any]]:
    key = line_key(detail.line.segment, detail.line.edition_date)
    return [
        {
            "key": f"{key}#{g.timezone}",
            "version": "",
            "state": "",
            "values": {
                "due_at": when(g.due_at, g.timezone or None),
                **{
                    f: number(getattr(g, f))
                    for f in (
                        "recipients",
                        "sent",
                        "failed",
                        "suppressed",
                        "unknown",
                        "pending",
                        "in_flight",
                    )
                },
            },
        }
        for g in detail.groups
    ]


def router() -> APIRouter:
    """Routes of the Sends pages and the console's script."""
    api = APIRouter()

    @api.get("/desk/ops")
    @api.get("/desk/ops/")
    def ops_home(staff: OpsStaff) -> Response:
        return RedirectResponse("/desk/ops/sends", status_code=303)

    @api.get("/desk/ops/sends")
    def sends(request: Request, staff: OpsStaff) -> Response:
        app = desk_context(request).app
        lines = send_lines(app)
        return page(
            request,
            "ops/sends.html",
            staff,
            lines=lines,
            shown={line_key(x.segment, x.edition_date): display(x, request) for x in lines},
            key=line_key,
            offered=offered,
            alerts=active_alerts(app),
            live_url="/desk/ops/sends.json",
            live_every=LIVE_EVERY_MS,
            when=when,
        )

    @api.get("/desk/ops/sends.json")
    def sends_json(request: Request, staff: OpsStaff) -> Response:
        app = desk_context(request).app
        lines = send_lines(app)
        return JSONResponse(
            {
                "at": app.clock().isoformat(),
                "items": [live_item(x, request) for x in lines],
                "alerts": len(active_alerts(app)),
            },
            headers=JSON_HEADERS,
        )

    @api.get("/desk/ops/sends/{segment}/{edition_date}")
    def edition(request: Request, staff: OpsStaff, segment: str, edition_date: str) -> Response:
        app = desk_context(request).app
        seg, day = segment_param(request, segment), date_param(request, edition_date)
        detail = send_detail(app, seg, day)
        if detail is None:
            return _not_built(request, staff, seg, day)
        background = console_sends(request).outcome(seg, day)
        return page(
            request,
            "ops/edition.html",
            staff,
            detail=detail,
            line=detail.line,
            shown=display(detail.line, request),
            groups=_groups(detail),
            key=line_key(seg, day),
            actions=offered(detail.line.state, detail.line.counts.unknown),
            background=background,
            live_url=f"/desk/ops/sends/{seg}/{day.isoformat()}/live.json",
            live_every=LIVE_EVERY_MS,
            when=when,
            notice=_notice(request),
        )

    @api.get("/desk/ops/sends/{segment}/{edition_date}/live.json")
    def edition_json(
        request: Request, staff: OpsStaff, segment: str, edition_date: str
    ) -> Response:
        app = desk_context(request).app
        seg, day = segment_param(request, segment), date_param(request, edition_date)
        detail = send_detail(app, seg, day)
        items = [live_item(detail.line, request), *_groups(detail)] if detail else []
        return JSONResponse({"at": app.clock().isoformat(), "items": items}, headers=JSON_HEADERS)

    @api.get("/desk/ops/console.js")
    def console_js(staff: OpsStaff) -> Response:
        script = resources.files("digest.web.desk.ops").joinpath("static/console.js")
        return Response(
            script.read_text(encoding="utf-8"),
            media_type="text/javascript",
            headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
        )

    return api


_NOTICES = {
    "start": N_("The send has started. Its figures update below as it goes."),
    "pause": N_("Paused. Senders stop after the batch each has in flight."),
    "resume": N_("Resumed. Sending goes on from where it stopped."),
    "cancel": N_("Cancelled. Nothing more is sent for this edition."),
    "retry_unknown": N_("Retrying the recipients whose outcome was unknown."),
    "ack": N_("Alert acknowledged."),
}


def _notice(request: Request) -> str | None:
    done = request.query_params.get("done")
    return text(request)(_NOTICES[done]) if done in _NOTICES else None


def _not_built(request: Request, staff: Any, segment: str, day: Any) -> Response:
    app = desk_context(request).app
    lines = [x for x in send_lines(app, segment=segment) if x.edition_date == day]
    if not lines:
        _ = text(request)
        raise NotFound(_("%(segment)s has no edition for %(date)s.", segment=segment, date=day))
    return page(
        request,
        "ops/scheduled.html",
        staff,
        line=lines[0],
        when=when,
    )
