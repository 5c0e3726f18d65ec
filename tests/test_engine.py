"""The price engine, in its own process behind the seam the UI uses (prices.LocalPrices), against a real
Chromium and the real replica over HTTP and websockets."""
from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time

import psutil
import pytest

from harness.waiting import eventually
from launcher.chromium import browser_main_process, chromium_path, chromium_processes
from market.entry import Status
from market.symbols import InvalidSymbol
from prices import LocalPrices, TooManySymbols
from scraper import page_scripts
from settings import Settings


def settings_for(url: str, **overrides) -> Settings:
    fast = dict(headless=True, tradingview_url=url, chromium_path=chromium_path(), stale_after=30.0,
                liveness_interval=0.5, first_price_timeout=8.0, navigation_timeout=3.0,
                backoff_initial=0.3, backoff_max=2.0, max_symbols=4)
    return Settings(**{**fast, **overrides})


@pytest.fixture
async def engine(replica_server, replica):
    engine = LocalPrices(settings_for(replica_server.url))
    await engine.start()
    yield engine
    await engine.stop()


def record_prices(engine: LocalPrices) -> list[tuple[str, float]]:
    emitted: list[tuple[str, float]] = []
    engine.on_price(lambda entry: emitted.append((entry.symbol, entry.price)))
    return emitted


async def live(entry, price: float | None = None, timeout: float = 10):
    await eventually(lambda: entry.status == Status.LIVE.value and (price is None or entry.price == price),
                     timeout, f'{entry.symbol} live at {price} (is {entry.status} at {entry.price}: {entry.message})')


async def test_first_price_comes_from_the_page_socket_and_follows_it(engine, replica):
    entry = engine.subscribe('btcusd')
    assert (entry.symbol, entry.status) == ('BINANCE:BTCUSD', 'connecting')
    await live(entry, replica.price('BTCUSD'))
    assert entry.source == 'websocket'
    assert entry.change is not None and entry.currency == 'USD'
    before = entry.price
    replica.set_price('BTCUSD', 91234.57)
    await live(entry, 91234.57)
    assert entry.price_text == '91,234.57'
    assert entry.direction == (1 if before < 91234.57 else -1)


async def test_dom_path_alone_reads_the_visible_price_not_the_hidden_header(engine, replica):
    replica.dom_only('ETHUSD')
    emitted = record_prices(engine)
    entry = engine.subscribe('ETHUSD')
    await live(entry, replica.price('ETHUSD'))
    assert entry.source == 'dom'
    for price in (3512.25, 3498.5, 3498.51, 12345.67):
        replica.set_price('ETHUSD', price)
        await live(entry, price)
    # The hidden header carries a stale price from the served HTML: it must never have been emitted.
    assert [p for _, p in emitted] == [emitted[0][1], 3512.25, 3498.5, 3498.51, 12345.67]


async def test_when_the_socket_stops_pricing_a_symbol_its_element_takes_over(engine, replica):
    """The page's element is read, but not reported, while the socket prices the symbol (page_scripts): once the
    socket has been silent on it for SOCKET_PRECEDENCE, each change the element shows must reach the engine."""
    entry = engine.subscribe('SOLUSD')
    await live(entry, replica.price('SOLUSD'))
    assert entry.source == 'websocket'
    replica.dom_only('SOLUSD')  # its prices leave the data socket (decoys of other symbols stay on it)
    deadline = time.monotonic() + page_scripts.SOCKET_PRECEDENCE + 10
    price = 150.0
    while not (entry.source == 'dom' and entry.price == price):  # a new price each second until one is heard
        assert time.monotonic() < deadline, f'the element was not read once the socket went quiet: {entry.source}'
        price = round(price + 0.25, 2)
        replica.set_price('SOLUSD', price)
        with contextlib.suppress(AssertionError):
            await eventually(lambda: entry.price == price, 1.0)


async def test_socket_decoys_for_related_symbols_are_not_read(engine, replica):
    entry = engine.subscribe('ADAUSD')
    await live(entry, replica.price('ADAUSD'))
    replica.set_price('BTCUSD', 1.0)  # a related symbol on the same page, same socket
    replica.set_price('ADAUSD', 0.5123)
    await live(entry, 0.5123)
    assert entry.price == 0.5123


async def test_emits_only_when_the_price_changes(engine, replica):
    # Quotes alone: a chart bar's close that runs ahead of the quote is news too (test_engine_history).
    replica.series('SOLUSD', 'off')
    emitted = record_prices(engine)
    entry = engine.subscribe('SOLUSD')
    await live(entry, replica.price('SOLUSD'))
    for price in (150.25, 150.25, 150.25, 151.0, 151.0):
        replica.set_price('SOLUSD', price)
    await live(entry, 151.0)
    replica.set_price('SOLUSD', 152.0)  # a marker: once it arrives, every earlier frame was handled
    await live(entry, 152.0)
    assert [p for s, p in emitted if s == 'BINANCE:SOLUSD'][1:] == [150.25, 151.0, 152.0]


async def test_second_subscriber_gets_the_cached_price_without_a_page_load(engine, replica):
    first = engine.subscribe('XRPUSD')
    await live(first)
    loads = replica.stats('XRPUSD')['page_loads']
    second = engine.subscribe('XRPUSD')
    assert second is first and second.price is not None and second.status == 'live'
    assert replica.stats('XRPUSD')['page_loads'] == loads == 1
    assert engine.viewers('XRPUSD') == 2


async def test_simultaneous_subscribers_share_exactly_one_tab(engine, replica):
    async def viewer():
        return engine.subscribe('DOGEUSD')
    entries = await asyncio.gather(*(viewer() for _ in range(8)))
    assert all(entry is entries[0] for entry in entries)
    await live(entries[0])
    assert replica.stats('DOGEUSD')['page_loads'] == 1
    assert engine.browser.open_tabs == 1 and engine.viewers('DOGEUSD') == 8


async def test_last_viewer_leaving_closes_the_tab_and_clears_the_entry(engine, replica):
    engine.subscribe('LTCUSD')
    entry = engine.subscribe('LTCUSD')
    await live(entry)
    assert replica.stats('LTCUSD')['sockets_open'] == 1
    engine.unsubscribe('LTCUSD')
    assert engine.entry('LTCUSD') is entry  # one viewer is still there
    engine.unsubscribe('LTCUSD')
    assert engine.entry('LTCUSD') is None and 'BINANCE:LTCUSD' not in engine.symbols
    await eventually(lambda: replica.stats('LTCUSD')['sockets_open'] == 0, message='socket closed')
    await eventually(lambda: engine.browser.open_tabs == 0, message='tab closed')
    again = engine.subscribe('LTCUSD')
    assert again is not entry and again.price is None  # a fresh start, not a stale cache


async def test_unsubscribe_while_loading_and_resubscribe_while_closing(engine, replica):
    replica.hang(1.0, symbol='DOTUSD')
    engine.subscribe('DOTUSD')
    await eventually(lambda: engine.browser.open_tabs == 1, message='tab opening')
    engine.unsubscribe('DOTUSD')  # the page is still loading
    entry = engine.subscribe('DOTUSD')  # the old tab may still be closing
    await live(entry, timeout=15)
    await eventually(lambda: engine.browser.open_tabs == 1, message='only the new tab left')
    engine.unsubscribe('DOTUSD')
    await eventually(lambda: engine.browser.open_tabs == 0 and replica.stats('DOTUSD')['sockets_open'] == 0,
                     message='everything closed')


async def test_one_coin_on_two_exchanges_is_two_tabs_each_following_its_own_market(engine, replica):
    on_binance = engine.subscribe('ETHUSD')
    on_coinbase = engine.subscribe('coinbase:ethusd')
    assert on_coinbase is not on_binance and on_coinbase.symbol == 'COINBASE:ETHUSD'
    await live(on_binance, replica.price('ETHUSD'))
    await live(on_coinbase, replica.price('COINBASE:ETHUSD'))
    assert on_binance.price != on_coinbase.price
    replica.set_price('COINBASE:ETHUSD', 3333.33)
    await live(on_coinbase, 3333.33)
    replica.set_price('ETHUSD', 3111.11)
    await live(on_binance, 3111.11)
    assert on_coinbase.price == 3333.33
    assert engine.browser.open_tabs == 2 and engine.symbols == ['BINANCE:ETHUSD', 'COINBASE:ETHUSD']
    assert replica.stats('COINBASE:ETHUSD')['page_loads'] == 1 and replica.stats('ETHUSD')['page_loads'] == 1


async def test_an_unknown_exchange_is_an_error_like_an_unknown_ticker(engine, replica):
    entry = engine.subscribe('FOOEX:BTCUSD')
    await eventually(lambda: entry.status == 'error', message='error status')
    assert entry.message == 'BTCUSD was not found on FOOEX'
    await eventually(lambda: engine.browser.open_tabs == 0, message='tab closed')


async def test_a_headless_browser_presents_the_user_agent_of_a_headed_one(engine, replica):
    await live(engine.subscribe('XLMUSD'))
    agent = replica.stats('XLMUSD')['user_agent']
    # TradingView's firewall (and the replica's) turns away 'HeadlessChrome'; what is sent is the headed form
    # of this very browser (tests/e2e/test_headed.py compares it with a headed run).
    assert 'Headless' not in agent and f'Chrome/{engine.browser.version.split(".")[0]}.' in agent
    assert replica.stats('XLMUSD')['blocked'] == 0


async def test_unknown_ticker_is_an_error_without_retries(engine, replica):
    entry = engine.subscribe('BTCUSX')
    await eventually(lambda: entry.status == 'error', message='error status')
    assert entry.message == 'BTCUSX was not found on BINANCE'
    await eventually(lambda: engine.browser.open_tabs == 0, message='tab closed')
    assert replica.stats('BTCUSX')['page_loads'] <= 1


@pytest.mark.parametrize('trouble', ['fail', 'hang'])
async def test_unreachable_source_is_retried_until_it_recovers(engine, replica, trouble):
    if trouble == 'fail':
        replica.fail(2.0, symbol='AVAXUSD')
    else:
        replica.hang(5.0, symbol='AVAXUSD')  # longer than the 3 s navigation timeout
    entry = engine.subscribe('AVAXUSD')
    await eventually(lambda: entry.status == 'reconnecting', message='reconnecting')
    expected = 'TradingView answered with error 503' if trouble == 'fail' else 'TradingView did not answer within 3 s'
    assert entry.message.startswith(f'{expected}, retrying in ')
    await live(entry, timeout=20)
    assert replica.stats('AVAXUSD')['page_loads'] >= 2


async def test_dropped_socket_reconnects(engine, replica):
    entry = engine.subscribe('LINKUSD')
    await live(entry)
    replica.drop('LINKUSD')
    await eventually(lambda: replica.stats('LINKUSD')['page_loads'] == 2, message='tab reloaded')
    replica.set_price('LINKUSD', 17.77)
    await live(entry, 17.77)


async def test_crashed_tab_is_reopened(engine, replica):
    entry = engine.subscribe('BNBUSD')
    await live(entry)
    renderers = [p for p in chromium_processes() if '--type=renderer' in p.cmdline()]
    assert renderers
    for renderer in renderers:  # as when a tab runs out of memory: its renderer process dies
        renderer.send_signal(signal.SIGKILL)
    await eventually(lambda: entry.status == 'reconnecting', message='noticed the crash')
    await live(entry, timeout=15)
    replica.set_price('BNBUSD', 612.34)
    await live(entry, 612.34)


async def test_killed_browser_is_relaunched_and_every_symbol_recovers(engine, replica):
    entries = [engine.subscribe(symbol) for symbol in ('BTCUSD', 'ETHUSD')]
    for entry in entries:
        await live(entry)
    browser_main_process().send_signal(signal.SIGKILL)
    await eventually(lambda: engine.browser.launches == 2 and engine.browser.state == 'running', timeout=15,
                     message='browser relaunched')
    replica.set_price('BTCUSD', 88888.88)
    replica.set_price('ETHUSD', 2222.22)
    await live(entries[0], 88888.88, timeout=20)
    await live(entries[1], 2222.22, timeout=20)
    assert engine.browser.open_tabs == 2


async def test_frozen_symbol_goes_stale_and_back_to_live(replica_server, replica):
    engine = LocalPrices(settings_for(replica_server.url, stale_after=2.0))
    await engine.start()
    try:
        await _stale_and_back(engine, replica)
    finally:
        await engine.stop()


async def _stale_and_back(engine, replica):
    entry = engine.subscribe('ADAUSD')
    await live(entry)
    replica.freeze('ADAUSD')
    await eventually(lambda: entry.status == 'stale', timeout=6, message='stale')
    replica.freeze('ADAUSD', False)
    replica.set_price('ADAUSD', 0.6789)
    await live(entry, 0.6789)


async def test_max_symbols_is_refused_clearly_and_nothing_else_breaks(engine, replica):
    entries = [engine.subscribe(s) for s in ('BTCUSD', 'ETHUSD', 'SOLUSD', 'XRPUSD')]
    with pytest.raises(TooManySymbols, match='At most 4 symbols'):
        engine.subscribe('DOGEUSD')
    assert engine.subscribe('BTCUSD') is entries[0]  # an already watched symbol still works
    for entry in entries:
        await live(entry)
    engine.unsubscribe('XRPUSD')
    await live(engine.subscribe('DOGEUSD'))


@pytest.mark.parametrize('typed', ['', '   ', 'BTC USD', 'A' * 100, '../x', '<script>', 'BTC/USD', 'BTCÜSD'])
async def test_bad_tickers_are_refused_before_any_page_is_opened(engine, replica, typed):
    pages_before = replica.stats()['pages']
    with pytest.raises(InvalidSymbol):
        engine.subscribe(typed)
    assert engine.symbols == [] and engine.browser.open_tabs == 0
    assert replica.stats()['pages'] == pages_before


async def test_images_and_fonts_are_never_fetched(engine, replica):
    before = replica.stats()['asset_requests']
    await live(engine.subscribe('BTCUSD'))
    assert replica.stats()['asset_requests'] == before


async def test_stop_leaves_no_chromium_behind(replica_server, replica):
    engine = LocalPrices(settings_for(replica_server.url))
    await engine.start()
    await live(engine.subscribe('BTCUSD'))
    assert chromium_processes()
    engine_process = psutil.Process(engine.engine_pid)
    await engine.stop()
    await eventually(lambda: not chromium_processes(), message='no chromium process left')
    assert not engine_process.is_running()
    # Only multiprocessing's own resource tracker may be left: it lives as long as this process, by design.
    assert all('resource_tracker' in ' '.join(child.cmdline()) for child in psutil.Process().children())


async def test_prices_reach_the_callers_loop_while_the_engine_runs_in_its_own_process(engine, replica):
    seen: list[tuple[str, float, int]] = []
    engine.on_price(lambda entry: seen.append((entry.symbol, entry.price, threading.get_ident())))
    entry = engine.subscribe('HBARUSD')
    await live(entry)
    replica.set_price('HBARUSD', 0.2222)
    await live(entry, 0.2222)
    assert seen[-1] == ('BINANCE:HBARUSD', 0.2222, threading.get_ident())
    browser = browser_main_process()
    assert browser.parent().pid != psutil.Process().pid  # Chromium's driver is the engine process's child
    assert psutil.Process(engine.engine_pid) in browser.parents()


async def test_an_engine_process_that_dies_is_restarted_and_every_symbol_recovers(engine, replica):
    entry = engine.subscribe('ALGOUSD')
    await live(entry)
    psutil.Process(engine.engine_pid).kill()
    await eventually(lambda: entry.status == 'reconnecting', message='the card says the engine went away')
    await eventually(lambda: engine.browser.state == 'running', timeout=20, message='a new engine is up')
    replica.set_price('ALGOUSD', 0.3333)
    await live(entry, 0.3333, timeout=20)
    await eventually(lambda: len([p for p in chromium_processes() if '--type=' not in ' '.join(p.cmdline())]) == 1,
                     timeout=15, message="only the new engine's Chromium left")
