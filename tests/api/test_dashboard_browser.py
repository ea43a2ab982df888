"""The dashboard in a real headless Chromium (Debian's, driven by playwright; no browser download).

One server (uvicorn in a thread, on 127.0.0.1) and one browser serve the module; each test has
its own browser context, so its own cookies. Every request a page makes is checked: nothing may
leave the host. ``UPDATE_SCREENSHOTS=1`` rewrites docs/screenshots/ from these pages.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn
from openpyxl import load_workbook

from bot.api.app import create_app
from bot.clock import ManualClock
from bot.store.db import make_engine, migrate
from tests.conftest import CHROMIUM
from tests.helpers.dashboard import ARABIC, NOW, TOKEN, seed_dashboard

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Route

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
ACCOUNT = "/ui/accounts/x/DGSN_MAROC"
PAGES = ("/", ACCOUNT, "/ui/report", "/ui/digests", "/ui/status")
START_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over the dashboard's test world, served on a free loopback port."""
    folder = tmp_path_factory.mktemp("dashboard")
    engine = make_engine(f"sqlite:///{folder / 'bot.db'}")
    migrate(engine)
    settings = seed_dashboard(engine, folder)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    app = create_app(settings, engine, clock=ManualClock(NOW), bound=("127.0.0.1", port))
    running = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not running.started:  # readiness, not a schedule: uvicorn has no callback for it
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(START_TIMEOUT)
        listener.close()
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (no sandbox: CI runs as root in a container)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


class Watched:
    """A browser context whose every request is recorded; any request off the host is refused."""

    def __init__(self, browser: Browser, base: str, width: int = 1280) -> None:
        self.base = base
        self.requests: list[str] = []
        self.context: BrowserContext = browser.new_context(
            viewport={"width": width, "height": 900}, accept_downloads=True
        )
        self.context.route("**/*", self._route)
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(30_000)

    def _route(self, route: Route) -> None:
        url = route.request.url
        self.requests.append(url)
        if url.startswith(self.base + "/") or url.startswith("data:"):
            route.continue_()
        else:
            route.abort()

    def off_host(self) -> list[str]:
        return [u for u in self.requests if not (u.startswith(self.base + "/") or u[:5] == "data:")]

    def log_in(self) -> None:
        self.page.goto(self.base + "/")
        assert self.page.url == self.base + "/login"
        self.page.fill("#token", TOKEN)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.base + "/")

    def shoot(self, name: str) -> None:
        if os.environ.get("UPDATE_SCREENSHOTS"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser: Browser, server: str) -> Iterator[Watched]:
    session = Watched(browser, server)
    try:
        yield session
    finally:
        session.close()


def test_log_in_read_the_figures_change_the_range_download_and_read_the_report(
    watched: Watched, tmp_path: Path
) -> None:
    page = watched.page
    page.goto(watched.base + "/")
    watched.shoot("login")
    watched.log_in()
    x_row = page.locator('tr[data-key="x:DGSN_MAROC"]')
    assert x_row.locator("td.followers").inner_text() == "318,900"
    assert ARABIC in x_row.inner_text()
    assert page.locator('tr[data-key="facebook:DGSN.MAROC"] td.followers').inner_text() == "284,002"
    # Sortable: followers ascending puts Facebook first, a second click X.
    header = page.locator("#accounts th", has_text="Followers")
    first = page.locator("#accounts tbody tr").first
    header.click()
    assert first.get_attribute("data-key") == "facebook:DGSN.MAROC"
    header.click()
    assert first.get_attribute("data-key") == "x:DGSN_MAROC"
    watched.shoot("overview")

    x_row.locator("a").click()
    page.wait_for_url(f"{watched.base}{ACCOUNT}")
    assert "Range: 90d" in page.locator("#range-shown").inner_text()
    page.click("nav.picker a:text-is('30d')")
    page.wait_for_url(f"{watched.base}{ACCOUNT}?range=30d")
    assert "Range: 30d" in page.locator("#range-shown").inner_text()
    followers = page.locator("svg.chart").first
    assert followers.locator("path.suspect").count() == 1
    assert followers.locator("polyline.line").count() >= 1
    assert "Next: 320,000 followers" in page.locator("#projection").inner_text()
    watched.shoot("account")

    page.fill("input[name=from]", "2022-01-01")
    page.fill("input[name=to]", "2022-01-05")
    page.click("form.picker button[type=submit]")
    page.wait_for_url("**range=custom**")
    assert page.locator("#daily tbody tr").count() == 5
    with page.expect_download() as download:
        page.click("#daily-xlsx")
    name = download.value.suggested_filename
    assert name == "x-DGSN_MAROC-daily-custom.xlsx"
    download.value.save_as(tmp_path / name)
    sheet = load_workbook(tmp_path / name).active
    assert sheet is not None
    header_row, *rows = list(sheet.iter_rows(values_only=True))
    assert header_row[1:] == ("Followers", "Following", "Posts")
    assert [row[1] for row in rows] == [317_194, 317_314, 317_434, 317_554, 317_674]

    page.click("header a:text-is('Report')")
    page.wait_for_url(watched.base + "/ui/report")
    sentences = page.locator("#sentences").inner_text()
    assert "317,074 followers on 31 Dec 2021, +90,592 (+40.00%) on a year before" in sentences
    assert "Annual report 2021" in page.locator("#copy-text").input_value()
    watched.shoot("report")
    assert watched.off_host() == []


def test_every_page_fits_390_px_without_horizontal_scroll(
    browser: Browser, server: str
) -> None:
    narrow = Watched(browser, server, width=390)
    try:
        narrow.page.goto(server + "/")
        assert _fits(narrow.page), "/login"
        narrow.log_in()
        for path in PAGES:
            narrow.page.goto(server + path)
            assert _fits(narrow.page), path
            if path == "/":
                narrow.shoot("overview-390px")
        assert narrow.off_host() == []
    finally:
        narrow.close()


def _fits(page: Page) -> bool:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    return bool(width <= inner)


def test_no_page_loads_anything_off_the_host_and_the_docs_work_offline(
    watched: Watched,
) -> None:
    page = watched.page
    watched.log_in()
    for path in PAGES:
        page.goto(watched.base + path, wait_until="networkidle")
        if path == "/ui/digests":
            frame = page.frame_locator("iframe")
            assert "digest for Sunday 16 January 2022" in frame.locator("h1").inner_text()
            watched.shoot("digests")
        if path == "/ui/status":
            watched.shoot("status")
    page.goto(watched.base + "/docs", wait_until="networkidle")
    assert "social-monitor-bot" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock-summary-path", has_text="/report").count() >= 1
    watched.shoot("api-docs")
    assert watched.requests and watched.off_host() == []


def test_a_wrong_token_stays_on_the_login_form(watched: Watched) -> None:
    page = watched.page
    page.goto(watched.base + "/login")
    page.fill("#token", "not-the-token")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == "That token is not this server's."
    assert page.url == watched.base + "/login"
    assert watched.context.cookies() == []
    page.goto(watched.base + "/ui/report")
    assert page.url == watched.base + "/login"
