"""One tab watching one symbol: socket frames first, the price element second, a guarded scan last."""
from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, WebSocket
from playwright.async_api import TimeoutError as PlaywrightTimeout

from market.entry import PriceEntry, Status
from market.symbols import split_symbol
from settings import Settings

from . import page_scripts
from .browser import BrowserService, BrowserUnavailable
from .chart_series import ChartSeriesReader, Completed, Described, Failed, Loaded, SeriesEvent, Updated
from .parsing import parse_price
from .tv_protocol import names_symbol, parse_messages, quote_of

log = logging.getLogger(__name__)

SCAN_TOLERANCE = 0.02


class SymbolNotFound(Exception):
    """The source says the symbol does not exist: retrying cannot help."""


class SourceFailure(Exception):
    """Something that may heal by itself: network, 5xx, dropped socket, crashed tab, dead browser."""


class SymbolWatcher:
    def __init__(self, entry: PriceEntry, browser: BrowserService, settings: Settings) -> None:
        self.entry = entry
        self._browser = browser
        self._settings = settings
        self._page: Page | None = None
        self._trouble: asyncio.Future[None] | None = None
        self._first_price = asyncio.Event()
        self._socket_price_at = 0.0

    @property
    def symbol(self) -> str:
        return self.entry.symbol

    def _not_found(self) -> SymbolNotFound:
        exchange, ticker = split_symbol(self.symbol)
        return SymbolNotFound(f'{ticker} was not found on {exchange}')

    async def run(self) -> None:
        """Watch until cancelled; retry what may heal, stop on what cannot."""
        attempt = 0
        try:
            while True:
                try:
                    await self._watch_once()
                except SymbolNotFound as problem:
                    self.entry.set_status(Status.ERROR, str(problem))
                    log.warning('%s: %s', self.symbol, problem)
                    return
                except Exception as error:
                    # not `problem`: the clause above binds that name, and Python deletes it when that clause ends
                    failure = error if isinstance(error, (SourceFailure, BrowserUnavailable)) else None
                    if failure is None:
                        log.exception('%s: unexpected failure', self.symbol)
                        failure = SourceFailure('The TradingView tab failed')
                    if self.entry.status == Status.LIVE.value or self.entry.status == Status.STALE.value:
                        attempt = 0
                    delay = self._backoff(attempt)
                    attempt += 1
                    self.entry.set_status(Status.RECONNECTING, f'{failure}, retrying in {delay:.0f} s')
                    log.warning('%s: %s; retry %d in %.1f s', self.symbol, failure, attempt, delay)
                    await asyncio.sleep(delay)
        finally:
            await self._close_page()

    def _backoff(self, attempt: int) -> float:
        base = min(self._settings.backoff_max, self._settings.backoff_initial * 2 ** attempt)
        return min(self._settings.backoff_max, base * random.uniform(1.0, 1.25))

    async def _watch_once(self) -> None:
        loop = asyncio.get_running_loop()
        self._trouble = loop.create_future()
        self._first_price.clear()
        try:
            page = await self._open_tab()
            await self._load(page)
            await self._wait_first_price()
            if self.entry.price is not None:
                log.info('%s: live at %s (from the %s)', self.symbol, self.entry.price_text, self.entry.source)
            await self._watch_live(page)
        finally:
            await self._close_page()

    async def _open_tab(self) -> Page:
        polling = self._settings.poll_interval is not None
        page = await self._browser.new_page(self._settings.navigation_timeout,
                                            None if polling else self._on_element_text)
        self._page = page
        page.on('crash', lambda _: self._fail(SourceFailure('The TradingView tab crashed')))
        page.on('close', lambda _: self._fail(SourceFailure('The TradingView tab was closed')))
        if not polling:
            page.on('websocket', self._on_websocket)
        return page

    async def _load(self, page: Page) -> None:
        url = self._settings.symbol_url(self.symbol)
        log.info('%s: opening %s', self.symbol, url)
        try:
            response = await page.goto(url, wait_until='domcontentloaded')
            not_found = await page.locator(page_scripts.NOT_FOUND_MARKER).count() > 0
        except PlaywrightTimeout:
            waited = self._settings.navigation_timeout
            raise SourceFailure(f'TradingView did not answer within {waited:.0f} s') from None
        except PlaywrightError as error:
            raise SourceFailure('TradingView cannot be reached') from error
        status = response.status if response else 0
        if status == 404 or not_found:
            raise self._not_found()
        if status >= 400:
            raise SourceFailure(f'TradingView answered with error {status}')
        await self._dismiss_overlays(page)

    async def _dismiss_overlays(self, page: Page) -> None:
        # Not needed to read the price, but a headed window should show the page, not the banner.
        try:
            await page.get_by_role('button', name='Accept all').click(timeout=1000)
        except PlaywrightError:
            pass

    async def _wait_first_price(self) -> None:
        if self._settings.poll_interval is not None:
            return
        trouble = self._trouble
        assert trouble is not None, 'made by _watch_once, which calls this'
        first_price = asyncio.ensure_future(self._first_price.wait())
        try:
            waiting: set[asyncio.Future[Any]] = {first_price, trouble}
            done, _ = await asyncio.wait(waiting, timeout=self._settings.first_price_timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            first_price.cancel()
        if trouble in done:
            trouble.result()
        if not done:
            exchange, ticker = split_symbol(self.symbol)
            raise SymbolNotFound(f'No price for {ticker} on {exchange} '
                                 f'within {self._settings.first_price_timeout:.0f} s')

    async def _watch_live(self, page: Page) -> None:
        interval = self._settings.poll_interval or self._settings.liveness_interval
        assert self._trouble is not None
        while True:
            done, _ = await asyncio.wait({self._trouble}, timeout=interval)
            if done:
                self._trouble.result()
            if self._settings.poll_interval is not None:
                await self._poll(page)
            else:
                await self._check(page)

    async def _check(self, page: Page) -> None:
        """The slow liveness check: is the tab answering, and has the source spoken lately?"""
        silent_for = time.time() - (self.entry.updated_at or 0)
        if silent_for < self._settings.liveness_interval:
            return  # a price just came through the tab: asking it adds load and proves nothing more
        try:
            # As long as a page load may take: on a busy machine (ours or Chromium's) a trivial script can
            # wait seconds for its answer, and reloading every tab then would only add to the load.
            async with asyncio.timeout(self._settings.navigation_timeout):  # not wait_for: see new_page
                await page.evaluate('1')
        except (TimeoutError, PlaywrightError):
            raise SourceFailure('The TradingView tab stopped answering') from None
        if silent_for < self._settings.stale_after:
            return
        if await self._scan(page):
            return
        if self.entry.status == Status.LIVE.value:
            self.entry.set_status(Status.STALE, f'No update for {silent_for:.0f} s')
            log.warning('%s: stale, no update for %.0f s', self.symbol, silent_for)
        elif silent_for >= 2 * self._settings.stale_after:
            raise SourceFailure(f'No update for {silent_for:.0f} s')

    async def _scan(self, page: Page) -> bool:
        if self.entry.price is None:
            return False
        text = await page.evaluate(page_scripts.GUARDED_SCAN, [self.entry.price, SCAN_TOLERANCE])
        price = parse_price(text)
        if price is None or price == self.entry.price:
            return False
        log.info('%s: price found by the guarded scan', self.symbol)
        self._accept(price, 'scan')
        return True

    async def _poll(self, page: Page) -> None:
        text = await page.evaluate(page_scripts.READ_PRICE)
        price = parse_price(text)
        if price is not None:
            self._accept(price, 'poll')

    def _on_websocket(self, socket: WebSocket) -> None:
        if page_scripts.DATA_SOCKET_PATH not in socket.url:
            return
        chart = ChartSeriesReader(self.symbol)  # session ids are the socket's own: a new socket starts afresh
        socket.on('framesent', lambda payload: self._on_frame_sent(chart, payload))
        socket.on('framereceived', lambda payload: self._on_frame(chart, payload))
        socket.on('close', lambda _: self._fail(SourceFailure('The price stream was dropped')))

    def _on_frame_sent(self, chart: ChartSeriesReader, payload: str | bytes) -> None:
        for message in parse_messages(_text(payload)):
            chart.sent(message)

    def _on_frame(self, chart: ChartSeriesReader, payload: str | bytes) -> None:
        for message in parse_messages(_text(payload)):
            if (quote := quote_of(message)) is None:
                for event in chart.received(message):
                    self._on_series(event)
                continue
            if not names_symbol(quote.name, *split_symbol(self.symbol)):
                continue
            if not quote.ok:
                self._fail(self._not_found())
                return
            if 'lp' in quote.values:
                self._socket_price_at = time.monotonic()
                self._first_price.set()
            self.entry.merge_quote(quote.values, 'websocket')

    def _on_series(self, event: SeriesEvent) -> None:
        if isinstance(event, Described):
            self.entry.describe(event.name, event.decimals)
        elif isinstance(event, Loaded):
            self.entry.load_series(event.bars, event.resolution)
            log.info('%s: chart series loaded, %d bars of %d s', self.symbol, len(event.bars), event.resolution)
        elif isinstance(event, Updated):
            self.entry.merge_bar(event.bars[-1])
        elif isinstance(event, Failed):
            log.warning('%s: %s; history goes on from the quotes', self.symbol, event.reason)
        elif isinstance(event, Completed):
            log.debug('%s: chart series complete', self.symbol)

    def _on_element_text(self, text: str) -> None:
        if time.monotonic() - self._socket_price_at < page_scripts.SOCKET_PRECEDENCE:
            return
        price = parse_price(text)
        if price is None:
            log.debug('%s: unreadable price text %r', self.symbol, text)
            return
        self._accept(price, 'dom')

    def _accept(self, price: float, source: str) -> None:
        self._first_price.set()
        self.entry.set_price(price, source)

    def _fail(self, problem: Exception) -> None:
        if self._trouble is not None and not self._trouble.done():
            self._trouble.set_exception(problem)

    async def _close_page(self) -> None:
        page, self._page = self._page, None
        if self._trouble is not None:
            if self._trouble.done() and not self._trouble.cancelled():
                self._trouble.exception()  # already handled by the caller; mark it seen
            self._trouble.cancel()  # our own close is no trouble
        if page is None:
            return
        try:
            await page.close()
        except PlaywrightError:
            pass  # already gone with its browser
        log.debug('%s: tab closed', self.symbol)


def _text(payload: str | bytes) -> str:
    return payload.decode('utf-8', 'replace') if isinstance(payload, bytes) else payload
