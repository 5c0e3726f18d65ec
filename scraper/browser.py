"""The one shared Chromium: launched once, relaunched if it dies, with cheap tabs."""
from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, Playwright, Route, async_playwright

from .settings import Settings

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
        self._relaunch_task: asyncio.Task | None = None
        self._stopping = False
        self.state = 'stopped'
        self.error = ''
        self.launches = 0

    @property
    def open_tabs(self) -> int:
        return len(self._context.pages) if self._context and self._ready.is_set() else 0

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
        context = await browser.new_context(viewport={'width': 1280, 'height': 900}, service_workers='block')
        context.set_default_navigation_timeout(self._settings.navigation_timeout * 1000)
        await context.route('**/*', _block_heavy_requests)
        browser.on('disconnected', self._on_disconnected)
        self._browser, self._context = browser, context
        self.launches += 1
        self.state, self.error = 'running', ''
        self._ready.set()
        log.info('Chromium %s started (%s, %s)', browser.version, executable or "Playwright's build",
                 'headless' if self._settings.headless else 'headed')

    def _on_disconnected(self, _: Browser) -> None:
        self._ready.clear()
        self._browser = self._context = None
        if self._stopping:
            return
        log.error('Chromium went away; relaunching it')
        self.state = 'relaunching'
        self._relaunch_task = asyncio.create_task(self._relaunch(), name='relaunch chromium')

    async def _relaunch(self) -> None:
        delay = self._settings.backoff_initial
        while not self._stopping:
            try:
                await self._launch()
                return
            except Exception as error:
                self.state, self.error = 'failed', f'Chromium could not be started: {error}'.splitlines()[0]
                log.error('%s; trying again in %.0f s', self.error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._settings.backoff_max)

    async def new_page(self, timeout: float) -> Page:
        """A fresh tab, waiting up to `timeout` seconds for the browser to be (re)started."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            raise BrowserUnavailable(self.error or 'Chromium is not running') from None
        assert self._context is not None
        try:
            return await self._context.new_page()
        except Exception as error:
            raise BrowserUnavailable(f'Chromium could not open a tab: {error}'.splitlines()[0]) from error

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


async def _block_heavy_requests(route: Route) -> None:
    request = route.request
    if request.resource_type in BLOCKED_RESOURCES or any(host in request.url for host in BLOCKED_HOSTS):
        await route.abort('blockedbyclient')
    else:
        await route.fallback()
