"""Helpers the route modules share: reading bodies, translating errors, token failures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from digest.tokens import TokenError
from digest.web.context import WebContext
from digest.web.strings import Strings

COMMON_TIMEZONES = (
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Amsterdam",
    "Europe/Zurich",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Europe/Kyiv",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Asia/Jerusalem",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Hong_Kong",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Africa/Johannesburg",
    "Africa/Cairo",
    "Africa/Lagos",
    "America/Sao_Paulo",
    "America/Buenos_Aires",
    "America/Mexico_City",
    "America/New_York",
    "America/Toronto",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
)


def timezone_suggestions(ctx: WebContext) -> list[str]:
    """Common zones plus every zone a segment is scheduled in."""
    zones = dict.fromkeys([*COMMON_TIMEZONES, *(s.timezone for s in ctx.app.config.segments)])
    return sorted(zones)


def error_texts(t: Strings, fields: Mapping[str, str]) -> dict[str, str]:
    """Field problems (``key`` or ``key:value``) as sentences in the page's language."""
    out: dict[str, str] = {}
    for field, code in fields.items():
        key, _, value = code.partition(":")
        if key == "err_pause":
            out[field] = t(key, max=52)
        elif value:
            out[field] = t(key, value=value)
        else:
            out[field] = t(key)
    return out


async def read_body_mapping(request: Request) -> tuple[Any, bool]:
    """The submitted fields (a form or a JSON object) and whether the body was JSON."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            return None, True
        return (data if isinstance(data, dict) else None), True
    return await request.form(), False


def token_failure(ctx: WebContext, request: Request, exc: TokenError) -> HTMLResponse:
    """The page for a forged, altered or expired link: refused, with a way to get a new one."""
    locale = ctx.public_locale(request)
    expired = "expired" in str(exc)
    return ctx.pages.page(
        "link_invalid.html",
        locale,
        status=400,
        reason_key="link_expired_body" if expired else "link_invalid_body",
    )
