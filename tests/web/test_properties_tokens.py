"""Property: no token, forged or mangled, gives a traceback or a 5xx; only genuine ones pass."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from digest.app import App
from digest.tokens import PURPOSES, TokenData, TokenError, TokenSigner
from digest.web import create_app
from tests.conftest import TEST_SECRET, make_app, make_config

SIGNER = TokenSigner(TEST_SECRET, 86400)
GENUINE = SIGNER.make(7, "manage", "markets-en")

tokens = st.one_of(
    st.text(max_size=120),
    st.text(alphabet="0123456789.umpc-_abcdefXYZ=", max_size=80),
    # a genuine token with one character changed, dropped or added
    st.builds(
        lambda i, ch: GENUINE[:i] + ch + GENUINE[i + 1 :],
        st.integers(0, len(GENUINE) - 1),
        st.characters(codec="utf-8"),
    ),
    st.builds(lambda i: GENUINE[:i] + GENUINE[i + 1 :], st.integers(0, len(GENUINE) - 1)),
    st.builds(lambda extra: GENUINE + extra, st.text(min_size=1, max_size=5)),
)


@given(tokens, st.sampled_from(sorted(PURPOSES)))
def test_loading_any_text_gives_data_or_a_token_error(token: str, purpose: str) -> None:
    try:
        data = SIGNER.load(token, purpose)
    except TokenError:
        return
    assert isinstance(data, TokenData)
    assert token == GENUINE  # nothing but the genuine token is ever accepted


@pytest.fixture(scope="module")
def client() -> Iterator[tuple[App, TestClient]]:
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(make_config(Path(tmp)))
        with TestClient(create_app(app), follow_redirects=False) as c:
            yield app, c
        app.engine.dispose()


@given(tokens, st.sampled_from(["u", "p", "c"]), st.sampled_from(["GET", "POST"]))
def test_link_pages_answer_any_token_without_a_server_error(
    client: tuple[App, TestClient], token: str, page: str, method: str
) -> None:
    _, http = client
    r = http.request(method, f"/{page}/{quote(token, safe='')}", data={"action": "all"})
    assert r.status_code < 500, r.text
