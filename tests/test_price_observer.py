"""The price element's observer (scraper.page_scripts) in a real Chromium on the replica's symbol pages: it reports
the element only while the page's data socket does not price the symbol, so a change costs one DevTools event
(the socket frame) instead of three (frame, binding call, binding reply). That a symbol whose socket goes quiet is
read from its element again: test_engine.py."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from harness.waiting import eventually
from launcher.chromium import chromium_path
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

