"""The time-zone picker in headless Chromium: the browser's zone is the default, the search
box narrows the list, the page keeps right-to-left and fits 375 px, and the CSP allows it."""

from __future__ import annotations

from fastapi.testclient import TestClient

ORIGIN = "http://digest.test"


def _open(browser, client: TestClient, path: str, *, zone: str, width: int = 375):
    """A page of the web app served through the test client (no socket, no network)."""
    context = browser.new_context(viewport={"width": width, "height": 900}, timezone_id=zone)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def serve(route) -> None:
        url = route.request.url
        if not url.startswith(ORIGIN):
            route.abort()
            return
        r = client.get(url.removeprefix(ORIGIN))
        route.fulfill(status=r.status_code, headers=dict(r.headers), body=r.content)

    page.route("**/*", serve)
    page.goto(ORIGIN + path)
    page.wait_for_load_state("load")
    return context, page, errors


def test_fresh_form_takes_the_browsers_zone_and_search_narrows_the_list(
    browser, client: TestClient
) -> None:
    context, page, errors = _open(browser, client, "/subscribe?lang=he", zone="Asia/Tokyo")
    try:
        select = page.locator("#f-timezone")
        assert select.input_value() == "Asia/Tokyo"
        search = page.locator("#f-timezone-search")
        assert search.is_visible()
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        search.fill("לונדון")
        assert select.input_value() == "Europe/London"
        assert page.locator("#f-timezone option").count() == 1
        assert "1" in page.locator("#s-timezone").inner_text()
        search.fill("")
        assert page.locator("#f-timezone option").count() > 300
        assert select.input_value() == "Europe/London"  # the choice survives clearing the search
        assert errors == []  # the script ran under the page's Content-Security-Policy
    finally:
        context.close()


def test_an_old_browser_zone_name_maps_to_the_listed_zone(browser, client: TestClient) -> None:
    context, page, errors = _open(browser, client, "/subscribe", zone="Asia/Calcutta")
    try:
        assert page.locator("#f-timezone").input_value() == "Asia/Kolkata"
        assert errors == []
    finally:
        context.close()
