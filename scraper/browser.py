"""The one shared Chromium: launched once, relaunched if it dies, with cheap tabs."""
from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, Playwright, Route, async_playwright

from settings import Settings

from . import page_scripts
from .engine_messages import BrowserHealth

log = logging.getLogger(__name__)

# Keep background tabs at full speed and stop Chromium's own traffic to Google, which this app never needs.
CHROMIUM_ARGS = [
    '--disable-background-timer-throttling',
    '--disable-backgrounding-occluded-windows',
    '--disable-renderer-backgrounding',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--disable-extensions',
    '--disable-quic',
    '--no-first-run',
    '--mute-audio',
]
BLOCKED_RESOURCES = {'image', 'font', 'media'}
BLOCKED_HOSTS = ('google-analytics.com', 'googletagmanager.com', 'doubleclick.net', 'facebook.net',
                 'snowplow', 'sentry.io', 'accounts.google.com', 'hotjar', 'amplitude.com')
SYSTEM_CHROMIUMS = ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable')
ElementTextListener = Callable[[str], None]


class BrowserUnavailable(RuntimeError):
    """Chromium is not running right now (starting, relaunching or failed to start)."""


def find_chromium(configured: str | None, playwright_default: str) -> str | None:
    """None means Playwright's own build; otherwise the path of a system Chromium to use instead."""
    if configured:
        return configured
    if playwright_default and Path(playwright_default).exists():
        return None
    for name in SYSTEM_CHROMIUMS:
        if path := shutil.which(name):
            return path
    return None


class BrowserService:
    """Owns Playwright, one Chromium and one context shared by every tab."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._ready = asyncio.Event()
        self._element_listeners: dict[Page, ElementTextListener] = {}
        self._relaunch_task: asyncio.Task | None = None
        self._stopping = False
        self.state = 'stopped'
        self.error = ''
        self.launches = 0
        self.version = ''  # of the running Chromium, e.g. '156.0.8078.114'

    @property
    def open_tabs(self) -> int:
        return len(self._context.pages) if self._context and self._ready.is_set() else 0

    def health(self) -> BrowserHealth:
        return BrowserHealth(self.state, self.error, self.open_tabs, self.version, self.launches)

    async def start(self) -> None:
        self._stopping = False
        self._playwright = await async_playwright().start()
        try:
            await self._launch()
        except Exception as error:  # the app still serves pages and /health says why
            self.state, self.error = 'failed', f'Chromium could not be started: {error}'.splitlines()[0]
            log.error(self.error)
            self._relaunch_task = asyncio.create_task(self._relaunch(), name='relaunch chromium')

    async def _launch(self) -> None:
        assert self._playwright is not None
        self.state = 'starting'
        executable = find_chromium(self._settings.chromium_path, self._playwright.chromium.executable_path)
        browser = await self._playwright.chromium.launch(
            executable_path=executable, headless=self._settings.headless, args=CHROMIUM_ARGS)
        user_agent = await _headed_user_agent(browser) if self._settings.headless else None
        context = await browser.new_context(viewport={'width': 1280, 'height': 900}, service_workers='block',
                                            user_agent=user_agent)
        context.set_default_navigation_timeout(self._settings.navigation_timeout * 1000)
        await context.route('**/*', _block_heavy_requests)
        if self._settings.poll_interval is None:
            # Once per context, not per page: cheaper, and a page-level expose_binding cancelled
            # mid-flight leaves the context unable to expose bindings again.
            await context.expose_binding('__cryptoPrice', self._on_element_text)
            await context.add_init_script(page_scripts.PRICE_OBSERVER)
        browser.on('disconnected', self._on_disconnected)
        self._browser, self._context = browser, context
        self.launches += 1
        self.version = browser.version
        self.state, self.error = 'running', ''
        self._ready.set()
        log.info('Chromium %s started (%s, %s)', self.version, executable or "Playwright's build",
                 'headless' if self._settings.headless else 'headed')

    def _on_disconnected(self, _: Browser) -> None:
        self._ready.clear()
        self._browser = self._context = None
        if self._stopping:
            return
        self.state = 'relaunching'
        log.error('Chromium went away; relaunching it in %.0f s', self._settings.backoff_initial)
        self._relaunch_task = asyncio.create_task(self._relaunch(), name='relaunch chromium')

    async def _relaunch(self) -> None:
        # Wait before each try: Ctrl+C in a terminal reaches Playwright's driver too, which closes
        # Chromium just before our own shutdown begins; that must not start a relaunch.
        delay = self._settings.backoff_initial
        while True:
            await asyncio.sleep(delay)
            if self._stopping:
                return
            try:
                await self._launch()
                return
            except Exception as error:
                self.state, self.error = 'failed', f'Chromium could not be started: {error}'.splitlines()[0]
                log.error('%s; trying again in %.0f s', self.error, delay)
                delay = min(delay * 2, self._settings.backoff_max)

    async def new_page(self, timeout: float, on_element_text: ElementTextListener | None = None) -> Page:
        """A fresh tab, waiting up to `timeout` seconds for the browser to be (re)started.

        `on_element_text` gets the full text of the page's visible price element on every change.
        """
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that
            # arrives when the event is already set, and the cancelled watcher would live on.
            async with asyncio.timeout(timeout):
                await self._ready.wait()
        except TimeoutError:
            raise BrowserUnavailable(self.error or 'Chromium is not running') from None
        assert self._context is not None
        try:
            page = await self._context.new_page()
        except Exception as error:
            raise BrowserUnavailable(f'Chromium could not open a tab: {error}'.splitlines()[0]) from error
        if on_element_text is not None:
            self._element_listeners[page] = on_element_text

            def forget(closed: Page) -> None:
                self._element_listeners.pop(closed, None)
            page.on('close', forget)
        return page

    def _on_element_text(self, source: dict[str, Any], text: str) -> None:
        if listener := self._element_listeners.get(source['page']):
            listener(text)

    async def stop(self) -> None:
        self._stopping = True
        if self._relaunch_task:
            self._relaunch_task.cancel()
            await asyncio.gather(self._relaunch_task, return_exceptions=True)
        self._ready.clear()
        if self._browser:
            try:
                await self._browser.close()
            except Exception as error:
                log.warning('Chromium did not close cleanly: %s', error)
        if self._playwright:
            await self._playwright.stop()
        self._browser = self._context = self._playwright = None
        self.state = 'stopped'
        log.info('Chromium stopped')


async def _headed_user_agent(browser: Browser) -> str:
    """The user agent this Chromium sends when it has a window. Headless it says 'HeadlessChrome', which web
    firewalls such as TradingView's turn away; the client hints (Sec-CH-UA) name no headless brand."""
    session = await browser.new_browser_cdp_session()
    try:
        agent: str = (await session.send('Browser.getVersion'))['userAgent']
    finally:
        await session.detach()
    return agent.replace('HeadlessChrome/', 'Chrome/')


async def _block_heavy_requests(route: Route) -> None:
    request = route.request
    if request.resource_type in BLOCKED_RESOURCES or any(host in request.url for host in BLOCKED_HOSTS):
        await route.abort('blockedbyclient')
    else:
        await route.fallback()
