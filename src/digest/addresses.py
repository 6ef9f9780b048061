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

import re
from typing import Annotated

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from pydantic import AfterValidator

# The shape nearly every address has: a dot-atom before the @, plain ASCII host labels (no
# "--", so no punycode), an alphabetic top-level domain that is not a special-use name.
# email-validator accepts each such address and spells it the same way (lower-cased), so
# those are answered without its full check (~16 µs: 16 s of a million-row import); every
# other address gets the full check. tests/test_addresses_fast_path.py holds them equal.
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN = re.compile(
    rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+"
    r"(?P<tld>[a-z]{2,63})"
)
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)


def _plain(text: str) -> str | None:
    """The address in its one spelling when it has the common shape, else None."""
    lowered = text.lower()
    if len(lowered) > 254 or "--" in lowered.partition("@")[2]:
        return None
    match = _PLAIN.fullmatch(lowered)
    if match is None or len(match["local"]) > 64 or match["tld"] in _SPECIAL_USE:
        return None
    return lowered


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
    plain = _plain(text)
    if plain is not None:
        return plain
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
