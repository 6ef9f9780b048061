"""The draft page (``/desk/editions/{segment}/{date}``), its preview frame and its actions.

Every member of staff may look; editors (and admins) may act. Each action is a small POST
form with the session's CSRF token and the edition's version; it answers with a redirect
back to the page (which re-renders at once) or with the page and the reason it was refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from digest.approval import approve_edition, unapprove_edition
from digest.audit import web_actor
from digest.config import ConfigError
from digest.editorial import EditionView, EditorialError, edition_view
from digest.edits import (
    exclude_from_edition,
    include_in_edition,
    move_article,
    pin_article,
    restore_selection,
    set_note,
    set_subject,
    unpin_article,
)
from digest.i18n import N_
from digest.lifecycle import EditionError
from digest.proofs import send_proof
from digest.signin import StaffSession
from digest.staff import Role
from digest.web.desk.auth import AnyStaff, EditorStaff, desk_context
from digest.web.desk.draft_page import DraftPage, ViewOptions, page_values
from digest.web.desk.pages import DeskText, desk_locale
from digest.web.desk.preview import FRAME_HEADERS, frame_document, problem_document

EDITOR_ROLES = (Role.EDITOR, Role.ADMIN)
MAX_FIELD = 5000


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _field(form: Any, name: str) -> str:
    return str(form.get(name) or "")[:MAX_FIELD]


Action = Callable[[Any, str, date, Any, StaffSession, str], Any]


def _article_action(use_case: Callable[..., Any], *args: Any, positioned: bool = False) -> Action:
    """An action on one article (the form's ``article`` id), with the form's ``position``
    when ``positioned`` and extra arguments (a move's step) in ``args``."""

    def act(app: Any, segment: str, day: date, form: Any, staff: StaffSession, client: str) -> Any:
        article = _int(form.get("article"))
        if article is None:
            raise EditorialError(N_("choose an article"))
        extra = {"position": _int(form.get("position"))} if positioned else {}
        return use_case(
            app,
            segment,
            day,
            article,
            *args,
            actor=web_actor(staff.email),
            expected_version=_int(form.get("version")),
            client=client,
            **extra,
        )

    return act


def _text_action(use_case: Callable[..., Any], field: str) -> Action:
    def act(app: Any, segment: str, day: date, form: Any, staff: StaffSession, client: str) -> Any:
        return use_case(
            app,
            segment,
            day,
            _field(form, field),
            actor=web_actor(staff.email),
            expected_version=_int(form.get("version")),
            client=client,
        )

    return act


def _restore(app: Any, segment: str, day: date, form: Any, staff: StaffSession, client: str) -> Any:
    return restore_selection(
        app,
        segment,
        day,
        actor=web_actor(staff.email),
        expected_version=_int(form.get("version")),
        client=client,
    )


def _approve(app: Any, segment: str, day: date, form: Any, staff: StaffSession, client: str) -> Any:
    return approve_edition(
        app,
        segment,
        day,
        actor=web_actor(staff.email),
        expected_hash=_field(form, "content") or None,
        expected_version=_int(form.get("version")),
        client=client,
    )


def _unapprove(
    app: Any, segment: str, day: date, form: Any, staff: StaffSession, client: str
) -> Any:
    return unapprove_edition(
        app,
        segment,
        day,
        actor=web_actor(staff.email),
        expected_version=_int(form.get("version")),
        client=client,
    )


def _test_send(
    app: Any, segment: str, day: date, form: Any, staff: StaffSession, client: str
) -> Any:
    locale = _field(form, "locale")
    return send_proof(
        app,
        segment,
        day,
        [_field(form, "to")],
        actor=web_actor(staff.email),
        own_address=staff.email,
        locale=locale or None,
        client=client,
    )


ACTIONS: dict[str, Action] = {
    "pin": _article_action(pin_article, positioned=True),
    "unpin": _article_action(unpin_article),
    "exclude": _article_action(exclude_from_edition),
    "include": _article_action(include_in_edition),
    "up": _article_action(move_article, -1),
    "down": _article_action(move_article, 1),
    "subject": _text_action(set_subject, "subject"),
    "note": _text_action(set_note, "note"),
    "restore": _restore,
    "approve": _approve,
    "unapprove": _unapprove,
    "test-send": _test_send,
}


def _page_url(segment: str, day: date, options: ViewOptions, **extra: str) -> str:
    query = {**options.query(), **{k: v for k, v in extra.items() if v}}
    return f"/desk/editions/{segment}/{day.isoformat()}" + (f"?{urlencode(query)}" if query else "")


def _not_found(request: Request, staff: StaffSession, message: str) -> Response:
    ctx = desk_context(request)
    return ctx.pages.page(
        request,
        "message.html",
        status=404,
        staff=staff,
        csrf_token=staff.csrf_token,
        message=message,
        title_text=DeskText(desk_locale(request))("Not found"),
    )


def router() -> APIRouter:
    """Routes of the draft page, its frame and its actions."""
    api = APIRouter()

    def load(request: Request, segment: str, day: date) -> EditionView:
        return edition_view(desk_context(request).app, segment, day)

    def show(
        request: Request,
        staff: StaffSession,
        view: EditionView,
        options: ViewOptions,
        *,
        status: int = 200,
        error: str | None = None,
        form: dict[str, str] | None = None,
    ) -> HTMLResponse:
        ctx = desk_context(request)
        page = DraftPage(ctx, view, options, staff, desk_locale(request))
        return ctx.pages.page(
            request,
            "draft.html",
            status=status,
            staff=staff,
            csrf_token=staff.csrf_token,
            **page_values(page, request, error=error, form=form or {}),
        )

    @api.get("/desk/editions/{segment}/{day}")
    async def draft(request: Request, segment: str, day: str, staff: AnyStaff) -> Response:
        t = DeskText(desk_locale(request))
        edition_date = _date(day)
        if edition_date is None:
            return _not_found(request, staff, t(N_("Not a date: %(value)s"), value=day))
        try:
            view = await run_in_threadpool(load, request, segment, edition_date)
        except ConfigError:
            return _not_found(request, staff, t(N_("There is no segment %(name)s."), name=segment))
        options = ViewOptions.parse(request.query_params, view.segment.send_locales)
        return await run_in_threadpool(show, request, staff, view, options)

    @api.get("/desk/editions/{segment}/{day}/frame")
    async def frame(request: Request, segment: str, day: str, staff: AnyStaff) -> Response:
        edition_date = _date(day)
        ctx = desk_context(request)
        if edition_date is None or segment not in {s.name for s in ctx.app.config.segments}:
            return HTMLResponse(problem_document("unknown edition"), 404, FRAME_HEADERS)
        view = await run_in_threadpool(load, request, segment, edition_date)
        options = ViewOptions.parse(request.query_params, view.segment.send_locales)
        rendered = await run_in_threadpool(
            ctx.renders.get, ctx.app, view.edition, view.content_hash, options.locale
        )
        if rendered.email is None:
            body = problem_document(rendered.problem or "")
        else:
            body = frame_document(
                ctx.app, view.edition, rendered.email, fmt=options.fmt, dark=options.dark
            )
        return HTMLResponse(body, headers=FRAME_HEADERS)

    @api.post("/desk/editions/{segment}/{day}/{action}")
    async def act(
        request: Request, segment: str, day: str, action: str, staff: EditorStaff
    ) -> Response:
        ctx = desk_context(request)
        t = DeskText(desk_locale(request))
        edition_date = _date(day)
        handler = ACTIONS.get(action)
        if edition_date is None or handler is None:
            return _not_found(request, staff, t(N_("There is no such action.")))
        form = await request.form()
        try:
            ctx.app.config.segment(segment)
        except ConfigError:
            return _not_found(request, staff, t(N_("There is no segment %(name)s."), name=segment))
        options = ViewOptions.parse(form, ctx.app.config.segment(segment).send_locales)
        try:
            outcome = await run_in_threadpool(
                handler, ctx.app, segment, edition_date, form, staff, ctx.client(request)
            )
        except EditionError as exc:
            view = await run_in_threadpool(load, request, segment, edition_date)
            message = _translated(t, exc)
            conflict = exc.__class__.__name__ in ("EditConflict", "TransitionRefused")
            return await run_in_threadpool(
                show,
                request,
                staff,
                view,
                options,
                status=409 if conflict else 422,
                error=message,
                form={k: _field(form, k) for k in ("subject", "note", "to")},
            )
        withdrawn = getattr(outcome, "withdrawn_approval_of", None) or ""
        url = _page_url(segment, edition_date, options, done=action, withdrawn=withdrawn)
        return RedirectResponse(url, status_code=303)

    return api


def _translated(t: DeskText, exc: Exception) -> str:
    """The error in the page's language (a state's name translated too)."""
    from digest.lifecycle import TransitionRefused
    from digest.web.desk.draft_page import STATE_NAMES

    if isinstance(exc, TransitionRefused):
        return t(
            N_("This is not possible while the edition is %(state)s."),
            state=t(STATE_NAMES.get(str(exc.state), str(exc.state))),
        )
    template = getattr(exc, "template", None)
    if template:
        params = dict(getattr(exc, "params", {}))
        if "state" in params:
            params["state"] = t(STATE_NAMES.get(str(params["state"]), str(params["state"])))
        return t(template, **params)
    return str(exc)
