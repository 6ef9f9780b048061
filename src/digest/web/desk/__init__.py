"""The desk under ``/desk/``: staff sign-in, the editors' desk (and the ops console).

``install(api, app)`` adds the desk's routes and error pages to the FastAPI application.
A page requires a role with ``Depends(require_role(Role.EDITOR))``; see ``auth.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from digest.web.desk.auth import (
    DeskContext,
    Forbidden,
    NotSignedIn,
    desk_context,
    require_role,
    require_staff,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

    from digest.app import App

__all__ = [
    "DeskContext",
    "Forbidden",
    "NotSignedIn",
    "desk_context",
    "install",
    "require_role",
    "require_staff",
]


def install(api: FastAPI, app: App) -> None:
    """Add the desk's routes and its sign-in and 403 handling to ``api``."""
    from digest.web.desk import drafts, errors, home, ops, signin_routes

    api.state.desk = DeskContext.build(app)
    for module in (signin_routes, home, drafts):
        api.include_router(module.router())
    errors.install_handlers(api)
    ops.install(api, app)
