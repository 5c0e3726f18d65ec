"""The app as a user meets it: `python main.py` in a subprocess, watching the replica, driven by Chromium."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserType, Page, Playwright, expect, sync_playwright

from launcher.app_process import AppProcess
from launcher.chromium import chromium_path

expect.set_options(timeout=10_000)


@pytest.fixture(scope='session')
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    # No Playwright-downloaded browser here: drive the system Chromium.
    return {**browser_type_launch_args, 'executable_path': chromium_path(), 'args': ['--no-sandbox']}


# pytest-playwright keeps Playwright, and so a running asyncio loop in this thread, for the whole session.
# The engine's async tests cannot run beside that loop, so Playwright here lives for one module at a time.
@pytest.fixture(scope='module')
def playwright(_pw_api_request_contexts) -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        if _pw_api_request_contexts:
            _pw_api_request_contexts.instrument(playwright)
        yield playwright


@pytest.fixture(scope='module')
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name)


@pytest.fixture(scope='module')
def browser(browser_type: BrowserType, browser_type_launch_args: dict) -> Iterator[Browser]:
    browser = browser_type.launch(**browser_type_launch_args)
    yield browser
    browser.close()


@pytest.fixture(scope='module')
def browser_context_args(playwright: Playwright, device: str | None, base_url: str | None) -> dict:
    return {**(playwright.devices[device] if device else {}), **({'base_url': base_url} if base_url else {})}


@pytest.fixture(scope='module')
def app_server(replica_server, tmp_path_factory) -> Iterator[AppProcess]:
    """One app per test module; tests use their own symbols so they do not meet."""
    app = AppProcess(replica_server.url, tmp_path_factory.mktemp('app')).start()
    yield app
    code = app.stop()
    if code != 0:
        print(app.log_tail(200))


@pytest.fixture
def dashboard(page: Page, app_server: AppProcess) -> Page:
    page.goto(app_server.url)
    expect(page.locator('html')).to_have_attribute('data-connection', 'live')
    return page
