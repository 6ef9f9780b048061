"""Helpers the route modules share: reading bodies, translating errors, token failures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from digest.i18n import N_
from digest.tokens import TokenError
from digest.web.context import WebContext
from digest.web.i18n import Translator
from digest.web.timezones import browser_aliases_json, choices_with


def timezone_field(
    locale: str, value: str, *, error: str | None = None, from_browser: bool = False
) -> dict[str, Any]:
    """The values of templates/timezone_field.html: the picker's choices in ``locale``."""
    return {
        "tz_value": value,
        "tz_choices": choices_with(locale, value),
        "tz_error": error,
        "tz_from_browser": from_browser,
        "tz_aliases": browser_aliases_json(),
    }


# The problems forms.py reports (InvalidSubmission codes), as readers read them.
ERROR_TEXTS = {
    "err_email": N_("Enter a valid email address."),
    "err_segments": N_("Choose at least one digest."),
    "err_unknown_segment": N_("Unknown digest: %(value)s."),
    "err_unknown_topic": N_("Unknown topic: %(value)s."),
    "err_locale": N_("Choose one of the offered languages."),
    "err_timezone": N_("Choose a time zone from the list."),
    "err_consent": N_("Tick the box to agree to receive the digests."),
    "err_pause": N_("Choose a number of weeks between 1 and %(max)s."),
    "err_name": N_("The name is too long."),
    "err_name_characters": N_(
        "The name contains a character that cannot be used in a name "
        "(a control or text-direction character)."
    ),
    "err_body": N_("The request could not be read."),
}
UNKNOWN_PROBLEM = N_("This value cannot be used.")


def error_texts(_: Translator, fields: Mapping[str, str]) -> dict[str, str]:
    """Field problems (``code`` or ``code:value``) as sentences in the page's language."""
    out: dict[str, str] = {}
    for field, code in fields.items():
        key, _sep, value = code.partition(":")
        message = ERROR_TEXTS.get(key, UNKNOWN_PROBLEM)
        out[field] = _(message, max=52, value=value) if "%(" in message else _(message)
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
        reason=N_("The link has expired.")
        if expired
        else N_("The link is not valid. It may have been cut short when it was copied."),
    )
