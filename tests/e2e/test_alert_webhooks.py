"""Alerts checked on the server: they fire with no page open, survive a restart, reach a webhook (a real HTTP
server on 127.0.0.1) once per firing, are retried and logged, and a hanging webhook delays nobody.

The app here runs with --allow-private-webhooks (its receiver is on loopback); the module's plain app_server
(without the flag) shows that private addresses are refused. Each test uses symbols no other test here uses.
"""
from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from harness.alert_steps import AlertApi, api_token, deliveries, fill_alert, set_alert_with
from harness.pages import add_ticker, card, expect_live, qualified
from harness.tool_steps import (
    alert_line,
    alert_toasts,
    dialog,
    field_error,
    open_alert,
)
from harness.webhook_receiver import WebhookReceiver
from launcher.app_process import AppProcess
from launcher.processes import wait_until
from market.formatting import format_price
from tests.replica_client import prices_put_back  # noqa: F401 (an autouse fixture for this module)

pytestmark = pytest.mark.e2e
FLAG = ('--allow-private-webhooks',)


@pytest.fixture(scope='module')
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def hooks_app(replica_server, tmp_path_factory) -> Iterator[AppProcess]:
    app = AppProcess(replica_server.url, tmp_path_factory.mktemp('hooks'), extra_args=FLAG).start()
    yield app
    if app.stop() != 0:
        print(app.log_tail(200))


@pytest.fixture
def hooks_page(page: Page, hooks_app: AppProcess) -> Page:
    """A page of the app that may send webhooks to the local receiver."""
    page.goto(hooks_app.url)
    expect(page.locator('html')).to_have_attribute('data-connection', 'live')
    return page


def open_page(context, app: AppProcess) -> Page:
    page = context.new_page()
    page.goto(app.url)
    expect(page.locator('html')).to_have_attribute('data-connection', 'live')
    return page


def watched_by_alerts_alone(app: AppProcess, symbol: str) -> None:
    """No page is open any more, and the symbol is still watched: its alert holds it."""
    wait_until(lambda: app.get('/health').json()['connected_clients'] == 0, 20, 'every page gone')
    wait_until(lambda: app.tickers().get(qualified(symbol), {}).get('viewers') == 1, 20, f'{symbol} held by its alert')


def test_an_alert_fires_with_no_page_open_and_the_webhook_gets_one_post(new_context, replica, hooks_app, receiver):
    context = new_context()
    page = open_page(context, hooks_app)
    add_ticker(page, 'NEARUSD')
    expect_live(page, 'NEARUSD')
    start = replica.price('NEARUSD')
    level, barrier = round(start * 1.05, 4), round(start * 1.2, 4)
    set_alert_with(page, 'NEARUSD', above=str(level), note='sell half', url=receiver.url('/once'))
    token = api_token(page, 'NEARUSD')
    # A second alert, further up, to the same webhook: its POST comes after any repeat of the first one.
    assert AlertApi(hooks_app.url, token).create(
        symbol='NEARUSD', condition={'kind': 'above', 'level': barrier}, note='barrier',
        webhook={'url': receiver.url('/once')}).status_code == 201
    page.close()
    watched_by_alerts_alone(hooks_app, 'NEARUSD')

    replica.set_price('NEARUSD', round(start * 1.1, 4))
    across = replica.price('NEARUSD')  # as the page quotes it, in its own decimals
    [post] = receiver.wait_for('/once', 1)
    assert post.headers['content-type'] == 'application/json'
    sent = post.body.pop('time')
    assert post.body == {'symbol': 'BINANCE:NEARUSD', 'exchange': 'BINANCE', 'condition': 'above', 'level': level,
                         'price': across, 'note': 'sell half'}
    assert abs(datetime.fromisoformat(sent).timestamp() - post.at) < 60
    replica.set_price('NEARUSD', round(start * 1.3, 4))
    posts = receiver.wait_for('/once', 2)
    assert [p.body['note'] for p in posts] == ['sell half', 'barrier']  # the first alert fired exactly once

    page = open_page(context, hooks_app)  # the browser comes back: it sees what happened
    expect(alert_line(page, 'NEARUSD')).to_have_attribute('data-alert', 'fired')
    expect(alert_line(page, 'NEARUSD')).to_contain_text(f'Above {format_price(level)} (reached)')


def test_an_alert_set_before_a_restart_fires_after_it(new_context, replica, replica_server, receiver, tmp_path):
    app = AppProcess(replica_server.url, tmp_path, extra_args=FLAG).start()
    context = new_context()
    try:
        page = open_page(context, app)
        add_ticker(page, 'APTUSD')
        expect_live(page, 'APTUSD')
        start = replica.price('APTUSD')
        level = round(start * 0.95, 4)
        set_alert_with(page, 'APTUSD', below=str(level), url=receiver.url('/restart'))
        page.close()
        assert app.stop() == 0
        app = AppProcess(replica_server.url, tmp_path, port=app.port, extra_args=FLAG).start()
        watched_by_alerts_alone(app, 'APTUSD')  # armed again at start, with no page

        replica.set_price('APTUSD', round(start * 0.9, 4))
        [post] = receiver.wait_for('/restart', 1)
        assert (post.body['condition'], post.body['level']) == ('below', level)
        page = open_page(context, app)
        expect(alert_line(page, 'APTUSD')).to_contain_text(f'Below {format_price(level)} (reached)')
    finally:
        app.stop()


def test_a_move_within_a_window_fires(hooks_page: Page, replica, receiver):
    # A symbol no other test moves: a move the symbol's recent history already made (another module's prices
    # on the session's replica) is under way when the alert is set, and fires only when it next comes about.
    dashboard = hooks_page
    add_ticker(dashboard, 'AVAXUSDT')
    expect_live(dashboard, 'AVAXUSDT')
    start = replica.price('AVAXUSDT')
    set_alert_with(dashboard, 'AVAXUSDT', move='2', direction='Up', window='5 min', url=receiver.url('/move'))
    expect(alert_line(dashboard, 'AVAXUSDT')).to_have_text('Alert: Up 2 % in 5 min')
    replica.set_price('AVAXUSDT', round(start * 1.01, 4))  # 1 %: not yet
    replica.set_price('AVAXUSDT', round(start * 1.03, 4))
    [post] = receiver.wait_for('/move', 1)
    assert (post.body['condition'], post.body['level'], post.body['window_s']) == ('move_up', 2.0, 300)
    assert post.body['price'] == replica.price('AVAXUSDT')
    expect(alert_toasts(dashboard, 'AVAXUSDT')).to_contain_text(
        re.compile(r'AVAXUSDT on BINANCE rose 3\.\d\d % in 5 min'))


def test_every_time_fires_on_each_crossing_but_not_within_its_cool_down(hooks_page: Page, replica, hooks_app,
                                                                        receiver):
    dashboard = hooks_page
    add_ticker(dashboard, 'ICPUSD')
    expect_live(dashboard, 'ICPUSD')
    api = AlertApi(hooks_app.url, api_token(dashboard, 'ICPUSD'))
    start = replica.price('ICPUSD')
    level, barrier, cooldown = round(start * 1.02, 4), round(start * 1.1, 4), 10
    created = api.create(symbol='ICPUSD', condition={'kind': 'above', 'level': level}, repeat='every',
                         cooldown_s=cooldown, webhook={'url': receiver.url('/every')})
    assert created.status_code == 201, created.text
    every = created.json()
    api.create(symbol='ICPUSD', condition={'kind': 'above', 'level': barrier}, webhook={'url': receiver.url('/every')})
    expect(alert_line(dashboard, 'ICPUSD')).to_contain_text(f'Above {format_price(level)} (every time)')

    def fired_every() -> list:
        return [p for p in receiver.to('/every') if p.body['level'] == level]

    replica.set_price('ICPUSD', round(start * 1.03, 4))
    receiver.wait_for('/every', 1)
    first = api.get(every['id'])['fired_at']
    replica.set_price('ICPUSD', start)  # back below: armed again...
    replica.set_price('ICPUSD', round(start * 1.15, 4))  # ...and across, within the cool-down, with the barrier
    posts = receiver.wait_for('/every', 2)
    assert posts[-1].body['level'] == barrier
    assert datetime.fromisoformat(posts[-1].body['time']).timestamp() < first + cooldown, 'too slow to test'
    assert len(fired_every()) == 1

    wait_until(lambda: time.time() > first + cooldown + 0.5, cooldown + 5, 'the cool-down over')
    replica.set_price('ICPUSD', start)
    replica.set_price('ICPUSD', round(start * 1.03, 4))
    wait_until(lambda: len(fired_every()) == 2, 15, 'the second firing')
    assert api.get(every['id'])['firings'] == 2


SECRET = 'T0KEN-d0-not-log-me'


def test_a_failing_webhook_is_retried_and_a_broken_one_is_reported(hooks_page: Page, replica, hooks_app, receiver):
    dashboard = hooks_page
    flaky, gone = f'/flaky/{SECRET}', f'/gone/{SECRET}'
    receiver.answer(flaky, 500, 503)
    receiver.answer(gone, 404)
    for symbol, path in (('AAVEUSD', flaky), ('ALGOUSD', gone)):
        add_ticker(dashboard, symbol)
        expect_live(dashboard, symbol)
        set_alert_with(dashboard, symbol, above=str(round(replica.price(symbol) * 1.05, 4)), url=receiver.url(path))
        replica.set_price(symbol, round(replica.price(symbol) * 1.1, 4))

    assert [p.body['symbol'] for p in receiver.wait_for(flaky, 3)] == ['BINANCE:AAVEUSD'] * 3  # after 1 s, 2 s
    open_alert(dashboard, 'AAVEUSD')
    lines = deliveries(dashboard)
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_contain_text('sent (204)')
    expect(lines.nth(1)).to_contain_text('retrying: the destination failed (503); retry 2 in 2 s')
    expect(lines.nth(2)).to_contain_text('retrying: the destination failed (500); retry 1 in 1 s')
    dialog(dashboard).get_by_role('button', name='Cancel').click()

    toast = dashboard.locator('.webhook-toast').filter(has_text='ALGOUSD')
    expect(toast).to_contain_text('is broken: the destination answered 404: it does not exist: check the URL')
    assert len(receiver.to(gone)) == 1  # a 404 is not retried
    open_alert(dashboard, 'ALGOUSD')
    expect(deliveries(dashboard)).to_have_count(1)
    expect(deliveries(dashboard).first).to_contain_text('failed (404): the destination answered 404: it does not exist')
    # The URLs are secrets: the app logged every attempt, and never the URL whole (nor did the page get it).
    log = hooks_app.log_path.read_text()
    assert 'webhook' in log and '/flaky/' not in log and SECRET not in log
    assert SECRET not in dashboard.content() and SECRET not in hooks_app.get('/metrics').text


def _price_latency_ms(page: Page, replica, symbol: str, moves: int) -> list[float]:
    """From the replica's price change to the card showing it, per move."""
    latencies = []
    base = replica.price(symbol)
    for step in range(1, moves + 1):
        price = round(base * (1 + (step % 2 + 1) / 1000), 4)
        started = time.perf_counter()
        replica.set_price(symbol, price)
        expect(card(page, symbol).locator('.price')).to_have_text(replica.price_text(symbol))
        latencies.append((time.perf_counter() - started) * 1000)
    replica.set_price(symbol, base)
    return latencies


def test_a_hanging_webhook_delays_neither_prices_nor_other_webhooks(hooks_page: Page, replica, hooks_app, receiver):
    dashboard = hooks_page
    receiver.hang('/hang')
    for symbol in ('MKRUSD', 'SUIUSD'):
        add_ticker(dashboard, symbol)
        expect_live(dashboard, symbol)
    api = AlertApi(hooks_app.url, api_token(dashboard, 'MKRUSD'))
    level = round(replica.price('MKRUSD') * 1.05, 4)
    for number in range(3):
        api.create(symbol='MKRUSD', condition={'kind': 'above', 'level': level}, note=f'hang {number}',
                   webhook={'url': receiver.url('/hang')})
    api.create(symbol='MKRUSD', condition={'kind': 'above', 'level': level}, webhook={'url': receiver.url('/fast')})
    before = _price_latency_ms(dashboard, replica, 'SUIUSD', 10)

    replica.set_price('MKRUSD', round(level * 1.02, 4))
    receiver.wait_for('/fast', 1)  # another destination's message went out...
    assert receiver.hanging >= 1  # ...while the hanging one still held its first request
    during = _price_latency_ms(dashboard, replica, 'SUIUSD', 10)
    assert receiver.hanging >= 1  # every one of those prices reached the page while it hung
    print(f'\nprice -> page, ms: without a hanging webhook p50 {statistics.median(before):.0f} max {max(before):.0f}; '
          f'with one hanging p50 {statistics.median(during):.0f} max {max(during):.0f}')
    open_alert(dashboard, 'MKRUSD')
    expect(deliveries(dashboard).filter(has_text='no answer within 5 s')).not_to_have_count(0, timeout=20_000)


def test_a_private_address_is_refused_without_the_flag_and_says_why(dashboard: Page, replica, app_server, receiver):
    add_ticker(dashboard, 'XLMUSD')
    expect_live(dashboard, 'XLMUSD')
    above = str(round(replica.price('XLMUSD') * 1.05, 5))
    cases = [(receiver.url('/private'), r'Refused: 127\.0\.0\.1 is a loopback address \(this machine\); webhooks may '
                                        r'only reach public addresses \(the server can allow others with '
                                        r'--allow-private-webhooks\)\.'),
             ('http://localhost:9/x',
              r'Refused: localhost resolves to (127\.0\.0\.1|::1), which is a loopback address'),
             ('http://169.254.169.254/latest/meta-data/',
              r'Refused: 169\.254\.169\.254 is a link-local address \(where cloud metadata services live\)'),
             ('http://10.0.0.7/hook', r'Refused: 10\.0\.0\.7 is a private network address'),
             ('ftp://example.com/hook', r'^Only http:// and https:// webhooks are sent\.$')]
    for url, message in cases:
        form = fill_alert(dashboard, 'XLMUSD', above=above, url=url)
        error = field_error(form, 'Webhook URL')
        form.get_by_role('button', name='Set alert').click()
        expect(error).to_have_text(re.compile(message))
        assert '/private' not in error.inner_text()  # the URL is a secret: not repeated
        form.get_by_label('Webhook URL').fill('')  # typing clears the message...
        expect(error).to_have_count(0)
        form.get_by_label('Webhook URL').fill(url)
        form.get_by_role('button', name='Send a test').click()  # ...and a test is refused the same way
        expect(error).to_have_text(re.compile(message))
        form.get_by_role('button', name='Cancel').click()
    expect(alert_line(dashboard, 'XLMUSD')).to_have_count(0)
    api = AlertApi(app_server.url, api_token(dashboard, 'XLMUSD'))
    refused = api.create(symbol='XLMUSD', condition={'kind': 'above', 'level': float(above)},
                         webhook={'url': receiver.url('/private-api')})
    assert refused.status_code == 400 and 'loopback' in refused.json()['error']
    assert '/private-api' not in refused.text  # the URL is not echoed back
    assert receiver.to('/private') == [] and receiver.to('/private-api') == []


def test_alerts_a_browser_kept_are_moved_to_the_server(new_context, replica, replica_server, tmp_path: Path):
    app = AppProcess(replica_server.url, tmp_path).start()
    context = new_context()
    try:
        page = open_page(context, app)
        add_ticker(page, 'OPUSD')
        expect_live(page, 'OPUSD')
        page.close()
        assert app.stop() == 0
        [stored] = list((tmp_path / 'nicegui').glob('storage-user-*.json'))
        level = round(replica.price('OPUSD') * 1.05, 4)
        data = json.loads(stored.read_text())
        data['alerts'] = {'BINANCE:OPUSD': {'above': {'price': level, 'armed_at': 1767225600.0}},
                          'BINANCE:OLD': {'below': {'price': 'not a number', 'armed_at': 1}}}  # an unreadable one
        stored.write_text(json.dumps(data))

        app = AppProcess(replica_server.url, tmp_path, port=app.port).start()
        page = open_page(context, app)
        expect(alert_line(page, 'OPUSD')).to_have_text(f'Alert: Above {format_price(level)}')
        wait_until(lambda: 'alerts' not in json.loads(stored.read_text()), 10, 'the old alerts gone from the browser')
        [alert] = AlertApi(app.url, api_token(page, 'OPUSD')).list()
        assert alert['condition'] == {'kind': 'above', 'level': level} and alert['state'] == 'armed'
        page.reload()  # migrated once: a second visit finds nothing more to move
        expect(alert_line(page, 'OPUSD')).to_have_text(f'Alert: Above {format_price(level)}')
        replica.set_price('OPUSD', round(level * 1.02, 4))
        expect(alert_toasts(page, 'OPUSD')).to_contain_text(f'rose above {format_price(level)}')
    finally:
        app.stop()


def test_programs_manage_alerts_with_the_browsers_token(dashboard: Page, replica, app_server):
    add_ticker(dashboard, 'HBARUSD')
    expect_live(dashboard, 'HBARUSD')
    token = api_token(dashboard, 'HBARUSD')
    api = AlertApi(app_server.url, token)
    price = replica.price('HBARUSD')
    assert httpx.get(f'{app_server.url}/api/alerts', timeout=10).status_code == 401
    assert AlertApi(app_server.url, 'ct_wrong').create(symbol='HBARUSD').status_code == 401
    bad = [({'symbol': 'HBAR USD', 'condition': {'kind': 'above', 'level': 1}}, 'A ticker uses only'),
           ({'symbol': 'HBARUSD', 'condition': {'kind': 'sideways'}}, '"condition" is'),
           ({'symbol': 'HBARUSD', 'condition': {'kind': 'above', 'level': price / 2}}, 'The price is already'),
           ({'symbol': 'HBARUSD', 'condition': {'kind': 'move', 'percent': 5, 'window_s': 7}}, '"window_s" is'),
           ({'symbol': 'HBARUSD', 'condition': {'kind': 'above', 'level': price * 2}, 'repeat': 'often'}, '"repeat"')]
    for body, words in bad:
        answer = api.create(**body)
        assert answer.status_code == 400 and words in answer.json()['error'], answer.text
    created = api.create(symbol='HBARUSD', condition={'kind': 'move', 'percent': 4, 'direction': 'down',
                                                      'window_s': 86400}, note='dip')
    assert created.status_code == 201, created.text
    expect(alert_line(dashboard, 'HBARUSD')).to_have_text('Alert: Down 4 % in 24 h')  # the page shows it at once
    assert [a['id'] for a in api.list()] == [created.json()['id']]
    assert api.delete(created.json()['id']).status_code == 204
    assert api.delete(created.json()['id']).status_code == 404
    expect(alert_line(dashboard, 'HBARUSD')).to_have_count(0)

    form = open_alert(dashboard, 'HBARUSD')  # a new token: the old one stops working
    form.get_by_text('For programs: your API token').click()
    form.get_by_role('button', name='New token').click()
    expect(form.get_by_test_id('api-token')).not_to_have_text(token)
    assert httpx.get(f'{app_server.url}/api/alerts', headers=api.headers, timeout=10).status_code == 401
    paths = httpx.get(f'{app_server.url}/openapi.json', timeout=10).json()['paths']
    assert {'get', 'post'} <= set(paths['/api/alerts']) and 'delete' in paths['/api/alerts/{alert_id}']
