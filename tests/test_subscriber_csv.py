"""CSV parsing: valid rows become inputs, each invalid row is named by its line number."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from digest.addresses import InvalidAddress, normalise_address
from digest.subscriber_csv import CsvError, RowError, parse_rows
from tests.conftest import make_config

GOOD_AND_BAD = """email,name,locale,timezone,topics,segments
Ann@Example.com,Ann,en,Europe/London,markets;tech,markets-en
not-an-email,Bad,en,UTC,,markets-en
b@example.com,Ben,fr,UTC,,markets-en
c@example.com,Cat,en,Mars/Base,,markets-en
d@example.com,Dov,he,Asia/Jerusalem,sport,tech-he
e@example.com,Eve,he,Asia/Jerusalem,tech,nowhere
f@example.com,"Too, many",en,UTC,,markets-en,extra

g@example.com,"נועה כהן",he,Asia/Jerusalem,tech;tech,tech-he;markets-en
"""


def test_rows_are_validated_with_line_numbers(tmp_path: Path) -> None:
    items = list(parse_rows(io.StringIO(GOOD_AND_BAD), make_config(tmp_path)))
    errors = [i for i in items if isinstance(i, RowError)]
    good = [i.subscriber for i in items if not isinstance(i, RowError)]
    assert [(e.line, e.message.split(" ")[0]) for e in errors] == [
        (3, "not"),
        (4, "unsupported"),
        (5, "unknown"),
        (6, "unknown"),
        (7, "unknown"),
        (8, "expected"),
    ]
    assert (
        "Mars/Base" in errors[2].message
        and "sport" in errors[3].message
        and "nowhere" in errors[4].message
    )
    assert [g.email for g in good] == ["ann@example.com", "g@example.com"]
    assert good[1].name == "נועה כהן"
    assert good[1].topics == ("tech",)  # duplicates in a list collapse
    assert good[1].segments == ("tech-he", "markets-en")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("name,locale\nx,en\n", "header must name"),
        ("email,shoe\n", "unknown column"),
    ],
)
def test_bad_headers_stop_the_import(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CsvError, match=message):
        list(parse_rows(io.StringIO(text), make_config(tmp_path)))


def test_email_normalisation() -> None:
    assert normalise_address("  Ann@Example.COM ") == "ann@example.com"
    for bad in ("ann", "ann@", "@x.com", "a b@x.com", "a@x", "a@@x.com", "a@x..com"):
        with pytest.raises(InvalidAddress):
            normalise_address(bad)
