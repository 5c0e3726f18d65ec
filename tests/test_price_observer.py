"""The price element's observer (scraper.page_scripts) in a real Chromium on the replica's symbol pages: it reports
the element only while the page's data socket does not price the symbol, so a change costs one DevTools event
(the socket frame) instead of three (frame, binding call, binding reply)."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from harness.waiting import eventually
from launcher.chromium import chromium_path
from scraper import page_scripts
from scraper.browser import BrowserService
from settings import Settings


@pytest.fixture
async def chromium(replica_server) -> AsyncIterator[tuple[BrowserService, Settings]]:
    settings = Settings(headless=True, tradingview_url=replica_server.url, chromium_path=chromium_path())
    service = BrowserService(settings)
    await service.start()
    yield service, settings
    await service.stop()


async def open_symbol(chromium: tuple[BrowserService, Settings], symbol: str) -> list[str]:
    service, settings = chromium
    reported: list[str] = []
    page = await service.new_page(10, reported.append)
    await page.goto(settings.symbol_url(symbol), wait_until='domcontentloaded')
    return reported


async def test_the_element_is_not_reported_while_the_socket_prices_the_symbol(chromium, replica):
    replica.dom_only('ETHUSD')  # a page whose socket does not price its symbol: its element is all there is
    reported = await open_symbol(chromium, 'BINANCE:BTCUSD')
    decoy = await open_symbol(chromium, 'BINANCE:ETHUSD')
    price = 90000.0
    for _ in range(5):
        price += 12.5
        replica.set_price('BTCUSD', price)
        replica.set_price('ETHUSD', price / 30)
        # Each ETHUSD move is reported; BTCUSD's page, open as long, has had the same moves.
        await eventually(lambda: any(f'{price / 30:,.2f}' in text for text in decoy), 10, 'the ETHUSD element')
    assert reported == [], f'reported while the socket priced BTCUSD: {reported}'


async def test_the_element_is_reported_once_the_socket_goes_quiet_on_the_symbol(chromium, replica):
    reported = await open_symbol(chromium, 'BINANCE:SOLUSD')
    replica.set_price('SOLUSD', 150.25)
    replica.dom_only('SOLUSD')  # the socket stops pricing it; the element goes on showing each price
    price = 150.25
    for _ in range(int(page_scripts.SOCKET_PRECEDENCE) + 10):  # a move a second until the element is heard
        price += 0.25
        replica.set_price('SOLUSD', price)
        try:
            await eventually(lambda: any(f'{price:,.2f}' in text for text in reported), 1.0)
            return
        except AssertionError:
            continue
    pytest.fail(f'the element was never reported after the socket went quiet: {reported}')
