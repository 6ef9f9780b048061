"""The common-shape shortcut of ``normalise_address`` answers exactly as email-validator."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from hypothesis import given
from hypothesis import strategies as st

from digest.addresses import _PLAIN, _plain, normalise_address


def _full(text: str) -> str | None:
    try:
        checked = validate_email(
            text.strip(),
            check_deliverability=False,
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            strict=True,
        )
    except EmailNotValidError:
        return None
    return checked.ascii_email.lower()  # type: ignore[union-attr]


common = st.from_regex(_PLAIN, fullmatch=True)
mixed_case = common.map(lambda a: "".join(c.upper() if i % 3 == 0 else c for i, c in enumerate(a)))
anything = st.text(alphabet="abcXYZ019.-_+@!#'", max_size=40)


@given(st.one_of(common, mixed_case, anything))
def test_the_shortcut_agrees_with_the_full_check(text: str) -> None:
    quick = _plain(text)
    if quick is not None:
        assert _full(text) == quick
    full = _full(text)
    assert (normalise_address(text) if full is not None else None) == full


def test_the_shortcut_leaves_the_unusual_to_the_full_check() -> None:
    for text in ("a@localhost.test", "x@xn--bcher-kva.de", "a@b.c0m", "user@bücher.de"):
        assert _plain(text) is None
    assert normalise_address("User@Bücher.de") == "user@xn--bcher-kva.de"
    assert _plain("Reader.One+tag@Example.co.uk") == "reader.one+tag@example.co.uk"
