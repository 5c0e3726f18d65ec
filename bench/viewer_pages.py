"""Real dashboard pages in Chromium (Playwright), the load generator that is a real viewer.

Sync pages for the browser scenarios: each runs `PAGE_PROBE` before any of the dashboard's own scripts: a
MutationObserver that notes, in epoch ms (`performance.timeOrigin + performance.now()`), every new text of
every `[data-symbol] .price`; the arrival of every socket.io 'prices' message (with the app's own `t`, the
moment its engine took the update); and every Enter key press. Everything is read back (`drain`) between
phases, so nothing calls into Python while prices move. All processes share one machine clock.

`RealBrowser` (async) creates the user the simulated viewers share and opens extra pages of that user.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from playwright.async_api import Browser as AsyncBrowser
from playwright.async_api import BrowserContext, Playwright, async_playwright, expect
from playwright.async_api import Page as AsyncPage
from playwright.sync_api import Browser, Page, sync_playwright

from bench.common import app_symbol, replica_ticker
from launcher.chromium import chromium_path

PAGE_PROBE = r"""
(() => {
  if (window.__bench) return;
  const now = () => performance.timeOrigin + performance.now();
  const bench = window.__bench = {log: [], wire: [], enter: [], last: new Map()};
  // Socket.IO looks WebSocket up when its bundle loads, after this script, so it gets this subclass,
  // whose listener is registered before Socket.IO's own onmessage: it sees each message first.
  const PRICES = /^42\["prices",(.*)\]$/s;
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        const t = now();
        const match = typeof event.data === 'string' && PRICES.exec(event.data);
        if (!match) return;
        try {
          for (const message of JSON.parse(match[1])) bench.wire.push([t, message.s, message.p, message.t]);
        } catch (error) { /* not a prices message after all */ }
      });
    }
  };
  const scan = () => {
    const t = now();
    const seen = new Set();
    for (const price of document.querySelectorAll('[data-symbol] .price')) {
      const symbol = price.closest('[data-symbol]').dataset.symbol;
      const text = price.textContent.trim();
      seen.add(symbol);
      if (bench.last.get(symbol) !== text) {
        bench.last.set(symbol, text);
        bench.log.push([symbol, text, t]);
      }
    }
    for (const symbol of [...bench.last.keys()]) {
      if (!seen.has(symbol)) {
        bench.last.delete(symbol);
        bench.log.push([symbol, null, t]);
      }
    }
  };
  new MutationObserver(scan).observe(document, {subtree: true, childList: true, characterData: true});
  document.addEventListener('keydown', (event) => { if (event.key === 'Enter') bench.enter.push(now()); }, true);
})();
"""

DRAIN = """() => {
  const b = window.__bench;
  const out = {log: b.log, wire: b.wire, enter: b.enter};
  b.log = []; b.wire = []; b.enter = [];
  return out;
}"""

SHOWS_ALL = """want => Object.entries(want).every(([symbol, text]) => window.__bench.last.get(symbol) === text)"""

CLOCKS = """() => [performance.timeOrigin + performance.now(), Date.now()]"""

LIVE_CARDS = """n => document.querySelectorAll('[data-symbol][data-status="live"]').length === n"""


@contextlib.contextmanager
def viewer_browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=['--no-sandbox'])
        try:
            yield browser
        finally:
            browser.close()


def open_viewers(browser: Browser, url: str, count: int) -> list[Page]:
    """`count` browser profiles (each its own cookie, so its own list) with one dashboard page each, probe
    installed; the pages load side by side."""
    pages = []
    for _ in range(count):
        context = browser.new_context()
        context.add_init_script(PAGE_PROBE)
        page = context.new_page()
        page.goto(url, wait_until='commit')
        pages.append(page)
    for page in pages:
        page.locator('html[data-connection="live"]').wait_for(timeout=30_000)
    return pages


def set_window(page: Page, state: str) -> None:
    """'minimized': Chromium stops drawing the page (its DOM, scripts and sockets run on), 'normal': draws."""
    session = page.context.new_cdp_session(page)
    try:
        window = session.send('Browser.getWindowForTarget')['windowId']
        session.send('Browser.setWindowBounds', {'windowId': window, 'bounds': {'windowState': state}})
    finally:
        session.detach()


def drain(page: Page) -> dict[str, list]:
    """What the probe noted since the last drain; the app's symbol names become replica tickers here."""
    noted = page.evaluate(DRAIN)
    return {'log': [[replica_ticker(symbol), text, t] for symbol, text, t in noted['log']],
            'wire': [[t, replica_ticker(symbol), text, engine_t] for t, symbol, text, engine_t in noted['wire']],
            'enter': noted['enter']}


def clock_offsets_ms(page: Page) -> dict[str, float]:
    """How far the page's clock is from this process's time.time() (the replica's clock too)."""
    before = time.time() * 1000
    performance_ms, date_ms = page.evaluate(CLOCKS)
    after = time.time() * 1000
    middle = (before + after) / 2
    return {'performance_minus_python_ms': round(performance_ms - middle, 3),
            'date_minus_python_ms': round(date_ms - middle, 3), 'uncertainty_ms': round((after - before) / 2, 3)}


class RealBrowser:
    """One Playwright Chromium (not under the app: not counted as the app's Chromium) to create users."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self.browser: AsyncBrowser | None = None

    async def start(self) -> RealBrowser:
        self._playwright = await async_playwright().start()
        try:
            self.browser = await self._playwright.chromium.launch(
                executable_path=chromium_path(), args=['--no-sandbox'], headless=True)
        except BaseException:
            await self.close()
            raise
        return self

    async def new_user(self, url: str) -> tuple[BrowserContext, AsyncPage]:
        """A fresh browser context (its own cookie, so its own list) on the dashboard."""
        assert self.browser is not None
        context = await self.browser.new_context()
        page = await context.new_page()
        await page.goto(url)
        return context, page

    @staticmethod
    async def open_page(context: BrowserContext, url: str, cards: int, timeout: float = 30_000) -> AsyncPage:
        """One more dashboard page of this user, once its socket is live and it shows its `cards` prices."""
        page = await context.new_page()
        await page.goto(url)
        await page.locator('html[data-connection="live"]').wait_for(timeout=timeout)
        await page.wait_for_function(LIVE_CARDS, arg=cards, timeout=timeout)
        return page

    @staticmethod
    async def add(page: AsyncPage, tickers: list[str], timeout: float = 30_000) -> None:
        """Type each ticker into the form as a person does, waiting for its card before the next one."""
        field_ = page.get_by_label('Ticker')
        for ticker in tickers:
            await field_.fill(ticker)
            await field_.press('Enter')
            await page.locator(f'[data-symbol="{app_symbol(ticker)}"]').wait_for(timeout=timeout)
            # the server clears the field after a successful add; typing on before that would be lost
            await expect(field_).to_have_value('', timeout=timeout)

    @staticmethod
    async def cookie_header(context: BrowserContext) -> str:
        return '; '.join(f'{c["name"]}={c["value"]}' for c in await context.cookies())

    async def close(self) -> None:
        if self.browser is not None:
            await self.browser.close()
        if self._playwright is not None:
            await self._playwright.stop()

