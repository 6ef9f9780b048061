"""The console's controls: start (after a confirmation), pause, resume, cancel, retry unknown
(after an explanation of the risk), and acknowledging an alert.

Each form carries the version of the edition the page showed; a control on an edition that
changed since answers 409 with what it is now, and nothing is done. The same lifecycle
transitions as ``digest send``, ``digest pause``, ``digest resume`` and ``digest cancel`` run.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from digest.alerts import AlertError, acknowledge
from digest.audit import web_actor
from digest.console import send_detail
from digest.console_controls import (
    ConsoleAction,
    ControlRefused,
    StaleEdition,
    apply_control,
    start_preview,
)
from digest.i18n import N_
from digest.lifecycle import EditionError
from digest.web.desk.auth import desk_context
from digest.web.desk.ops.common import (
    STATE_NAMES,
    OpsStaff,
    console_sends,
    date_param,
    number,
    page,
    segment_param,
    text,
    when,
)

PATHS = {
    "start": ConsoleAction.START,
    "pause": ConsoleAction.PAUSE,
    "resume": ConsoleAction.RESUME,
    "cancel": ConsoleAction.CANCEL,
    "retry-unknown": ConsoleAction.RETRY_UNKNOWN,
}


def _edition_url(segment: str, day: date) -> str:
    return f"/desk/ops/sends/{segment}/{day.isoformat()}"


def _confirmation(
    request: Request, staff: OpsStaff, segment: str, edition_date: str, template: str
) -> Response:
    """The page asking to confirm a control on the edition, with where its send stands."""
    app = desk_context(request).app
    seg, day = segment_param(request, segment), date_param(request, edition_date)
    detail = send_detail(app, seg, day)
    return page(request, template, staff, detail=detail, number=number)


def router() -> APIRouter:
    """Routes of the controls."""
    api = APIRouter()

    @api.get("/desk/ops/sends/{segment}/{edition_date}/start")
    def confirm_start(
        request: Request, staff: OpsStaff, segment: str, edition_date: str
    ) -> Response:
        app = desk_context(request).app
        seg, day = segment_param(request, segment), date_param(request, edition_date)
        preview = start_preview(app, seg, day)
        return page(request, "ops/confirm_start.html", staff, preview=preview, number=number)

    @api.get("/desk/ops/sends/{segment}/{edition_date}/retry-unknown")
    def confirm_retry(
        request: Request, staff: OpsStaff, segment: str, edition_date: str
    ) -> Response:
        return _confirmation(request, staff, segment, edition_date, "ops/confirm_retry.html")

    @api.get("/desk/ops/sends/{segment}/{edition_date}/cancel")
    def confirm_cancel(
        request: Request, staff: OpsStaff, segment: str, edition_date: str
    ) -> Response:
        return _confirmation(request, staff, segment, edition_date, "ops/confirm_cancel.html")

    @api.post("/desk/ops/sends/{segment}/{edition_date}/{control}")
    async def control(
        request: Request,
        staff: OpsStaff,
        segment: str,
        edition_date: str,
        control: str,
        version: str = Form(""),
    ) -> Response:
        action = PATHS.get(control)
        seg, day = segment_param(request, segment), date_param(request, edition_date)
        if action is None:
            _ = text(request)
            return _refused(request, staff, seg, day, _("There is no such control."))
        app = desk_context(request).app
        actor = web_actor(staff.email)
        try:
            result = await run_in_threadpool(
                apply_control,
                app,
                seg,
                day,
                action,
                actor=actor,
                seen=version,
                client=request.client.host if request.client else None,
            )
        except StaleEdition as exc:
            return _refused(request, staff, seg, day, _stale_text(request, exc))
        except ControlRefused as exc:
            return _refused(request, staff, seg, day, _refusal_text(request, exc))
        except EditionError as exc:
            return _refused(request, staff, seg, day, str(exc), status=422)
        if result.launch is not None:
            console_sends(request).launch(result.launch, actor)
        return RedirectResponse(f"{_edition_url(seg, day)}?done={action.value}", status_code=303)

    @api.post("/desk/ops/alerts/{alert_id}/acknowledge")
    def acknowledge_alert(
        request: Request, staff: OpsStaff, alert_id: int, back: str = Form("/desk/ops/sends")
    ) -> Response:
        app = desk_context(request).app
        try:
            acknowledge(app, alert_id, actor=web_actor(staff.email))
        except AlertError as exc:
            return page(request, "ops/refused.html", staff, status=404, message=str(exc), back=back)
        target = back if back.startswith("/desk/ops/") and "//" not in back else "/desk/ops/sends"
        joiner = "&" if "?" in target else "?"
        return RedirectResponse(f"{target}{joiner}done=ack", status_code=303)

    return api


# The console's words for ControlRefused (the use case's English, translatable here).
REFUSED = {
    ConsoleAction.START: N_(
        "%(edition)s is %(state)s: only a draft or approved edition can be started. "
        "Nothing was done."
    ),
    ConsoleAction.PAUSE: N_(
        "%(edition)s is %(state)s: only a send in progress can be paused. Nothing was done."
    ),
    ConsoleAction.RESUME: N_(
        "%(edition)s is %(state)s: only a paused send can be resumed. Nothing was done."
    ),
    ConsoleAction.CANCEL: N_(
        "%(edition)s is %(state)s and can no longer be cancelled. Nothing was done."
    ),
    ConsoleAction.RETRY_UNKNOWN: N_(
        "%(edition)s is %(state)s: retrying applies to a sent edition with recipients whose "
        "outcome is unknown. Nothing was done."
    ),
    None: N_("%(edition)s has no edition any more. Nothing was done."),
}


def _state(request: Request, state: str) -> str:
    _ = text(request)
    return _(STATE_NAMES.get(state, state))


def _refusal_text(request: Request, exc: ControlRefused) -> str:
    _ = text(request)
    return _(REFUSED[exc.action], edition=exc.label, state=_state(request, exc.state))


def _stale_text(request: Request, exc: StaleEdition) -> str:
    _ = text(request)
    message = _(
        "%(edition)s is now %(state)s: it changed after this page was loaded, so nothing was "
        "done. Look at it again before you choose.",
        edition=exc.label,
        state=_state(request, exc.state),
    )
    if exc.last is not None:
        message += " " + _(
            "Last change: %(action)s by %(by)s at %(at)s.",
            action=exc.last.action,
            by=exc.last.by,
            at=exc.last.at.strftime("%H:%M:%S UTC"),
        )
    return message


def _refused(
    request: Request, staff: OpsStaff, segment: str, day: date, message: str, status: int = 409
) -> Response:
    return page(
        request,
        "ops/refused.html",
        staff,
        status=status,
        message=message,
        back=_edition_url(segment, day),
        when=when,
    )
