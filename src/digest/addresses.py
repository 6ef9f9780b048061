"""Email addresses: one check and one spelling for every way an address comes in.

The CSV import, the web forms, CLI arguments and the configuration all call
``normalise_address`` (the configuration through the ``EmailAddress`` type). It is
email-validator's syntax check — never a DNS lookup — in its strict form (RFC 5321 lengths:
64 characters before the @, 254 in all), with no quoted local parts, IP-address domains or
display names. Internationalised domains are accepted and stored in their ASCII (IDNA) form,
so ``user@bücher.de`` and ``user@xn--bcher-kva.de`` are one address; internationalised
characters before the @ are refused, because delivering them needs SMTPUTF8 all the way,
which the transports do not promise. The stored spelling is lower-case.
"""

from __future__ import annotations

from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator


class InvalidAddress(ValueError):
    """Not a usable email address; the message names it and says why."""

    def __init__(self, raw: str, reason: str) -> None:
        super().__init__(f"not a valid email address: {raw!r} ({reason})")
        self.raw = raw
        self.reason = reason


def normalise_address(raw: str) -> str:
    """``raw`` in digest's one spelling (trimmed, ASCII domain, lower-case); InvalidAddress if
    it is not a deliverable address by syntax."""
    text = (raw or "").strip()
    if not text:
        raise InvalidAddress(raw, "it is empty")
    try:
        checked = validate_email(
            text,
            check_deliverability=False,
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            strict=True,
        )
    except EmailNotValidError as exc:
        raise InvalidAddress(raw, str(exc).rstrip(".")) from None
    return checked.ascii_email.lower()  # type: ignore[union-attr]  # always set without SMTPUTF8


def _check(value: str) -> str:
    try:
        return normalise_address(value)
    except InvalidAddress as exc:
        raise ValueError(str(exc)) from None


EmailAddress = Annotated[str, AfterValidator(_check)]
"""A configuration value that must be an email address; stored in the one spelling."""
