"""GET /api/tickers/{SYMBOL}/history on a real app, watching the real replica."""
from __future__ import annotations

from playwright.sync_api import Page

from harness.pages import add_ticker, expect_live
from launcher.app_process import AppProcess
from launcher.processes import wait_until


def test_history_of_a_watched_symbol_has_the_series_bars_and_the_prices_seen(dashboard: Page, app_server: AppProcess,
                                                                             replica):
    add_ticker(dashboard, 'DOTUSD')
    expect_live(dashboard, 'DOTUSD')
    replica.set_price('DOTUSD', 7.43)
    expect_live(dashboard, 'DOTUSD', '7.43')
    body = wait_until(lambda: (b := app_server.get('/api/tickers/dotusd/history').json())['ticks'] and b,
                      message='a history with ticks')
    assert body['symbol'] == 'BINANCE:DOTUSD' and body['price'] == 7.43
    assert body['from_series'] and len(body['bars']) > 100 and body['resolution'] == 300
    assert body['bars'][-1][4] == 7.43  # the current bar follows the live price
    assert body['ticks'][-1][1] == 7.43 and body['last'][1] == 7.43
    assert body['name']  # the instrument's name, as the page's series resolved it
    since = body['bars'][-3][0]
    recent = app_server.get(f'/api/tickers/BINANCE:DOTUSD/history?since={since}').json()
    assert len(recent['bars']) == 3


def test_history_errors_say_what_is_wrong(app_server: AppProcess):
    unwatched = app_server.get('/api/tickers/COINBASE:XLMUSD/history')
    assert unwatched.status_code == 404
    assert unwatched.json() == {'error': 'COINBASE:XLMUSD is not being watched: add it on the page, then ask again.'}
    bad = app_server.get('/api/tickers/BTC$USD/history')
    assert bad.status_code == 400
    assert bad.json() == {'error': 'A ticker uses only letters, digits and . _ - (for example BTCUSD).'}
    nan = app_server.get('/api/tickers/BTCUSD/history?since=soon')
    assert nan.status_code == 422  # FastAPI's own answer for a query that is not a number
