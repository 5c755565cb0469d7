"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright for Python.

Pages load with no console error and no failed request, nothing is asked of another host,
sorting and filtering work, and the layout holds at desktop and phone widths. Screenshots go
to tests/artifacts/ (kept by CI). Never downloads a browser: skipped only when
/usr/bin/chromium is absent (scripts/run-tests installs it).
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from relancegit.read.load import load_ledger
from relancegit.site import write_site
from tests.conftest import DEMO, DEMO_TODAY

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
PAGES = [
    "index.html",
    "agenda.html",
    "cases/index.html",
    "cases/2026-0179.html",
    "clients/index.html",
    "clients/acme-industrie.html",
    "analytics.html",
]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("browser") / "site"
    write_site(load_ledger(DEMO, DEMO_TODAY).ledger, DEMO_TODAY, out)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Watch:
    """Console errors, page errors, failed requests and every host asked, for one page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.hosts: set[str] = set()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(r.url))
        page.on("request", lambda r: self.hosts.add(urlsplit(r.url).hostname or urlsplit(r.url).scheme))
        page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    def assert_clean(self, where: str) -> None:
        assert self.errors == [], f"{where}: console errors {self.errors}"
        assert self.failed == [], f"{where}: failed requests {self.failed}"
        assert self.hosts <= {"127.0.0.1", "data"}, f"{where}: asked other hosts {self.hosts}"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_pages_load_cleanly_and_fit_the_screen(browser, site_url, viewport):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    watch = Watch(page)
    for path in PAGES:
        page.goto(site_url + path, wait_until="networkidle")
        watch.assert_clean(path)
        assert page.locator("h1").count() == 1, path
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width, f"{path} overflows at {viewport}: {scroll_width} > {inner_width}"
        page.screenshot(
            path=str(ARTIFACTS / f"{viewport}-{path.replace('/', '_').removesuffix('.html')}.png"), full_page=True
        )
    page.close()


def _balances(page: Any) -> list[float]:
    texts = page.locator("#case-table tbody tr td:nth-child(3)").all_inner_texts()
    return [float(t.replace("\u202f", "").replace("\u00a0€", "").replace(",", ".")) for t in texts]


def test_case_list_sorts_filters_and_searches(browser, site_url):
    page = browser.new_page(viewport=VIEWPORTS["desktop"])
    watch = Watch(page)
    page.goto(site_url + "cases/index.html", wait_until="networkidle")
    assert page.locator("#case-filters").is_visible()  # the script shows the filters
    rows = page.locator("#case-table tbody tr")
    assert rows.count() == 41
    balances = _balances(page)
    assert balances == sorted(balances, reverse=True)

    # Sort by balance, ascending, with the keyboard.
    header = page.locator("#case-table thead th").nth(2)
    header.locator("button").focus()
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "ascending"
    balances = _balances(page)
    assert balances == sorted(balances)

    # Sort by case id.
    page.locator("#case-table thead th").nth(0).locator("button").click()
    ids = page.locator("#case-table tbody tr td:nth-child(1)").all_inner_texts()
    assert ids == sorted(ids)

    # Filter by status.
    page.select_option("#f-status", "overdue")
    statuses = page.locator("#case-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.status)")
    assert statuses and set(statuses) == {"overdue"}
    assert len(statuses) == 10
    assert "10" in page.locator("#case-count").inner_text()

    # And by client.
    page.select_option("#f-client", "acme-industrie")
    clients = page.locator("#case-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.client)")
    assert set(clients) == {"acme-industrie"} and len(clients) == 2

    # Search, every filter cleared: by invoice number and by client name.
    page.select_option("#f-status", "")
    page.select_option("#f-client", "")
    page.fill("#f-search", "F2026-0179")
    assert page.locator("#case-table tbody tr td:nth-child(1)").all_inner_texts() == ["2026-0179"]
    page.fill("#f-search", "nautique")
    assert set(page.locator("#case-table tbody tr td:nth-child(2)").all_inner_texts()) == {"Kervella Nautique SARL"}
    page.fill("#f-search", "zzz-nothing")
    assert page.locator("#case-table tbody tr").count() == 1  # the "no case matches" row
    watch.assert_clean("cases/index.html")
    page.close()


def test_status_links_preselect_the_filter(browser, site_url):
    page = browser.new_page(viewport=VIEWPORTS["desktop"])
    page.goto(site_url + "cases/index.html?status=paid", wait_until="networkidle")
    assert page.locator("#f-status").input_value() == "paid"
    statuses = page.locator("#case-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.status)")
    assert set(statuses) == {"paid"}
    page.close()


def test_client_table_sorts_in_place(browser, site_url):
    page = browser.new_page(viewport=VIEWPORTS["desktop"])
    page.goto(site_url + "clients/index.html", wait_until="networkidle")
    header = page.locator("table.sortable thead th").nth(0)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    names = page.locator("table.sortable tbody tr td:nth-child(1)").all_inner_texts()
    assert names == sorted(names, key=lambda n: n.lower()) or names == sorted(names, key=str.casefold)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    page.close()


def test_pages_work_without_javascript(browser, site_url):
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    page.goto(site_url + "cases/index.html")
    assert page.locator("#case-table tbody tr").count() == 41  # the rows are in the page
    assert not page.locator("#case-filters").is_visible()  # no dead controls without the script
    page.goto(site_url + "index.html")
    assert page.locator("svg.chart").count() >= 1
    context.close()


def test_print_stylesheet_hides_navigation(browser, site_url):
    page = browser.new_page(viewport=VIEWPORTS["desktop"])
    page.goto(site_url + "cases/2026-0179.html", wait_until="networkidle")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert page.locator("table").first.is_visible()
    page.close()
