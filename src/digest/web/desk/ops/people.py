"""The Subscribers pages: search by address, one person in full (segments, consent record,
deliveries), suppress or lift a suppression with a reason, and the exports (CSV)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from digest.audit import web_actor
from digest.i18n import N_
from digest.subscriber_console import (
    SUPPRESSION_REASONS,
    SubscriberAdminError,
    export_subscribers_csv,
    export_suppressions_csv,
    lift_suppression,
    note_export,
    search_subscribers,
    subscriber_profile,
    suppress,
    suppression_counts,
    suppressions,
)
from digest.web.desk.auth import desk_context
from digest.web.desk.ops.common import NotFound, OpsStaff, number, page, text, when

_DONE = {
    "suppressed": N_("Suppressed: nothing more is sent to this address."),
    "unchanged": N_("Already suppressed with an equal or stronger reason; nothing changed."),
    "lifted": N_("Suppression lifted. The subscriber's own status is unchanged."),
    "not-suppressed": N_("That address was not suppressed; nothing changed."),
}


def router() -> APIRouter:
    """Routes of the Subscribers pages."""
    api = APIRouter()

    @api.get("/desk/ops/subscribers")
    def search(request: Request, staff: OpsStaff, q: str = "") -> Response:
        app = desk_context(request).app
        hits = search_subscribers(app, q) if q.strip() else []
        return page(
            request,
            "ops/subscribers.html",
            staff,
            q=q,
            hits=hits,
            reasons=SUPPRESSION_REASONS,
            counts=suppression_counts(app),
            recent=suppressions(app, limit=20),
            notice=_done(request),
            when=when,
            number=number,
        )

    @api.get("/desk/ops/subscribers/{subscriber_id}")
    def profile(request: Request, staff: OpsStaff, subscriber_id: int) -> Response:
        app = desk_context(request).app
        found = subscriber_profile(app, subscriber_id)
        if found is None:
            _ = text(request)
            raise NotFound(_("There is no such subscriber."))
        return page(
            request,
            "ops/subscriber.html",
            staff,
            p=found,
            reasons=SUPPRESSION_REASONS,
            notice=_done(request),
            when=when,
        )

    @api.post("/desk/ops/suppressions")
    def add(
        request: Request,
        staff: OpsStaff,
        email: str = Form(""),
        reason: str = Form("manual"),
        why: str = Form(""),
        back: str = Form("/desk/ops/subscribers"),
    ) -> Response:
        app = desk_context(request).app
        try:
            changed = suppress(app, email, reason, why, actor=web_actor(staff.email))
        except SubscriberAdminError as exc:
            return page(request, "ops/refused.html", staff, status=422, message=str(exc),
                        back=_back(back))  # fmt: skip
        return _redirect(back, "suppressed" if changed else "unchanged")

    @api.post("/desk/ops/suppressions/lift")
    def lift(
        request: Request,
        staff: OpsStaff,
        email: str = Form(""),
        why: str = Form(""),
        back: str = Form("/desk/ops/subscribers"),
    ) -> Response:
        app = desk_context(request).app
        try:
            lifted = lift_suppression(app, email, why, actor=web_actor(staff.email))
        except SubscriberAdminError as exc:
            return page(request, "ops/refused.html", staff, status=422, message=str(exc),
                        back=_back(back))  # fmt: skip
        return _redirect(back, "lifted" if lifted else "not-suppressed")

    @api.get("/desk/ops/subscribers.csv")
    def export_subscribers(request: Request, staff: OpsStaff) -> Response:
        app = desk_context(request).app
        note_export(app, "subscribers.csv", actor=web_actor(staff.email))
        return _csv(export_subscribers_csv(app), "subscribers.csv")

    @api.get("/desk/ops/suppressions.csv")
    def export_suppressions(request: Request, staff: OpsStaff) -> Response:
        app = desk_context(request).app
        note_export(app, "suppressions.csv", actor=web_actor(staff.email))
        return _csv(export_suppressions_csv(app), "suppressions.csv")

    return api


def _back(path: str) -> str:
    return path if path.startswith("/desk/ops/") and "//" not in path else "/desk/ops/subscribers"


def _redirect(back: str, done: str) -> Response:
    target = _back(back)
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}done={done}", status_code=303)


def _done(request: Request) -> str | None:
    key = request.query_params.get("done")
    return text(request)(_DONE[key]) if key in _DONE else None


def _csv(lines: object, name: str) -> Response:
    return StreamingResponse(
        iterate_in_threadpool(lines),  # type: ignore[arg-type]
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
