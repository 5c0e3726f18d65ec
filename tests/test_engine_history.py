"""A symbol's history behind the seam (LocalPrices), from both of its sources, on a real Chromium and the replica."""
from __future__ import annotations

from harness.waiting import eventually
from tests.test_engine import engine, live  # noqa: F401 - engine is the fixture: LocalPrices on the replica


async def test_the_page_series_fills_the_history_at_once_and_the_live_price_carries_its_bar(engine, replica):
    loads: list[str] = []
    engine.on_series(lambda symbol, _: loads.append(symbol))
    entry = engine.subscribe('XRPUSD')
    await live(entry, replica.price('XRPUSD'))
    history = engine.history('XRPUSD')
    await eventually(lambda: history.from_series, 10, 'the series loaded')
    assert loads == ['BINANCE:XRPUSD'] and history.resolution == 300 and len(history.bars()) > 100
    assert entry.name and entry.decimals is not None
    assert history.bars()[-1][4] == entry.price  # the last historical point is the live price
    replica.set_price('XRPUSD', 2.45)
    await live(entry, 2.45)
    await eventually(lambda: history.bars()[-1][4] == 2.45 and history.last_point[1] == 2.45, 5,
                     'the current bar follows the price')
    sent = replica.bar('XRPUSD', 2.47)  # a bar update with no quote
    await eventually(lambda: history.last_point[1] == 2.47, 5, 'the du moved the newest point')
    assert history.bars()[-1][0] == sent['bar']['t'] and entry.price == 2.45


async def test_without_a_series_the_quotes_build_the_history(engine, replica):
    replica.series('LTCUSD', 'off')
    entry = engine.subscribe('LTCUSD')
    await live(entry, replica.price('LTCUSD'))
    history = engine.history('LTCUSD')
    for price in (81.25, 81.5, 80.75):
        replica.set_price('LTCUSD', price)
        await live(entry, price)
    assert not history.from_series and history.resolution == 60 and entry.name == ''
    assert [tick[1] for tick in history.ticks()][-1] == 80.75
    assert history.bars()[-1][4] == 80.75 and history.last_point[1] == 80.75
    # The sparkline ends at the live price; prices of one second are one point of it (one a second is kept).
    assert history.sparkline(history.last_point[0]).points[-1][1] == 80.75


async def test_a_series_that_stops_or_fails_leaves_the_quotes_carrying_the_history(engine, replica):
    replica.series('UNIUSD', 'stopped')
    entry = engine.subscribe('UNIUSD')
    await live(entry, replica.price('UNIUSD'))
    history = engine.history('UNIUSD')
    await eventually(lambda: history.from_series, 10, 'the series loaded')
    replica.set_price('UNIUSD', 7.88)
    await live(entry, 7.88)
    await eventually(lambda: history.bars()[-1][4] == 7.88, 5, 'quotes carry the current bar')
    assert replica.series_error('UNIUSD') >= 1
    replica.set_price('UNIUSD', 7.12)
    await live(entry, 7.12)
    await eventually(lambda: history.last_point[1] == 7.12, 5, 'the history goes on from quotes')


async def test_the_history_goes_with_the_last_viewer(engine, replica):
    entry = engine.subscribe('ATOMUSD')
    await live(entry)
    assert engine.history('ATOMUSD') is not None
    engine.unsubscribe('ATOMUSD')
    assert engine.history('ATOMUSD') is None
    again = engine.subscribe('ATOMUSD')
    assert engine.history('ATOMUSD').last_point is None and again is not entry
