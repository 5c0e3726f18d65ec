"""Alerts in a cluster: kept in Valkey, set off by the node that owns the symbol, once cluster-wide, shown on
whichever node the person's page is, and still fired when the owner is killed and another node takes over."""
from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from harness.alert_steps import AlertApi, api_token, set_alert_with
from harness.pages import add_ticker, expect_live
from harness.tool_steps import alert_line, alert_toasts
from harness.webhook_receiver import WebhookReceiver
from launcher.processes import wait_until
from market.formatting import format_price
from tests.cluster.conftest import LEASE_TTL, RunningCluster

pytestmark = pytest.mark.e2e


@pytest.fixture(scope='module')
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def alert_cluster(tmp_path_factory, replica_server) -> Iterator[RunningCluster]:
    """Two nodes that may send webhooks to the local receiver. The last test here kills n1."""
    running = RunningCluster(Path(tmp_path_factory.mktemp('alert-cluster')), replica_server.url)
    for node in running.nodes:
        node.args.append('--allow-private-webhooks')
    running.start()
    yield running
    running.stop()


def open_dashboard(new_context, url: str, context=None) -> Page:
    page = (context or new_context()).new_page()
    page.goto(url)
    expect(page.locator('html')).to_have_attribute('data-connection', 'live')
    return page


def owner_of(cluster: RunningCluster, node, symbol: str) -> str | None:
    return cluster.tickers(node).get(f'BINANCE:{symbol}', {}).get('node')


def test_an_alert_set_on_one_node_fires_once_on_the_owner_and_shows_on_the_page(alert_cluster, new_context, replica,
                                                                                receiver):
    n1, n2 = alert_cluster.nodes
    viewer = open_dashboard(new_context, n1.url)  # n1 wants TONUSD first: it owns it
    add_ticker(viewer, 'TONUSD')
    expect_live(viewer, 'TONUSD')
    page = open_dashboard(new_context, n2.url)
    add_ticker(page, 'TONUSD')
    expect_live(page, 'TONUSD')
    assert owner_of(alert_cluster, n2, 'TONUSD') == 'n1'
    start = replica.price('TONUSD')
    level, barrier = round(start * 1.05, 4), round(start * 1.2, 4)
    set_alert_with(page, 'TONUSD', above=str(level), note='on n2', url=receiver.url('/both'))
    AlertApi(n2.url, api_token(page, 'TONUSD')).create(
        symbol='TONUSD', condition={'kind': 'above', 'level': barrier}, note='barrier',
        webhook={'url': receiver.url('/both')})

    replica.set_price('TONUSD', round(start * 1.1, 4))
    receiver.wait_for('/both', 1)
    expect(alert_toasts(page, 'TONUSD')).to_contain_text(f'rose above {format_price(level)}')  # set off on n1
    expect(alert_line(page, 'TONUSD')).to_contain_text(f'Above {format_price(level)} (reached)')
    replica.set_price('TONUSD', round(start * 1.3, 4))
    posts = receiver.wait_for('/both', 2)
    assert [p.body['note'] for p in posts] == ['on n2', 'barrier']  # both nodes held it; one fired it


def test_alerts_come_back_when_valkey_restarts_empty(alert_cluster, new_context, replica, receiver):
    n1, n2 = alert_cluster.nodes
    page = open_dashboard(new_context, n1.url)
    add_ticker(page, 'ARBUSD')
    expect_live(page, 'ARBUSD')
    start = replica.price('ARBUSD')
    level = round(start * 1.05, 4)
    set_alert_with(page, 'ARBUSD', above=str(level), url=receiver.url('/wiped'))
    [alert] = [a for a in AlertApi(n1.url, api_token(page, 'ARBUSD')).list() if a['symbol'] == 'BINANCE:ARBUSD']
    key = f'cryptotracker:alert:{alert["id"]}'
    assert alert_cluster.redis('EXISTS', key) == 1

    alert_cluster.valkey.restart_empty()  # a flushed or replaced server: every alert is gone from it
    wait_until(lambda: alert_cluster.redis('EXISTS', key) == 1, 20, 'the nodes wrote their alerts back')
    replica.set_price('ARBUSD', round(start * 1.1, 4))
    [post] = receiver.wait_for('/wiped', 1, timeout=30)
    assert post.body['level'] == level
    expect(alert_line(page, 'ARBUSD')).to_contain_text(f'Above {format_price(level)} (reached)')


def test_the_owner_is_killed_and_the_alert_still_fires_once(alert_cluster, new_context, replica, receiver):
    n1, n2 = alert_cluster.nodes
    context = new_context()
    page = open_dashboard(new_context, n1.url, context)
    add_ticker(page, 'HBARUSDT')
    expect_live(page, 'HBARUSDT')
    start = replica.price('HBARUSDT')
    level, barrier = round(start * 0.95, 5), round(start * 0.8, 5)
    set_alert_with(page, 'HBARUSDT', below=str(level), url=receiver.url('/kill'))
    AlertApi(n1.url, api_token(page, 'HBARUSDT')).create(
        symbol='HBARUSDT', condition={'kind': 'below', 'level': barrier}, note='barrier',
        webhook={'url': receiver.url('/kill')})
    page.close()
    # Both nodes hold it with no page open (their alerts do); either may own it: the less loaded one takes it,
    # or is handed it (cluster/ownership.py). Whichever owns it is killed.
    owner = wait_until(lambda: (o := owner_of(alert_cluster, n1, 'HBARUSDT')) in ('n1', 'n2')
                       and owner_of(alert_cluster, n2, 'HBARUSDT') == o and o, 15, 'both nodes agree on an owner')
    killed, survivor = (n1, n2) if owner == 'n1' else (n2, n1)
    killed.process.send_signal(signal.SIGKILL)
    wait_until(lambda: owner_of(alert_cluster, survivor, 'HBARUSDT') == survivor.name, LEASE_TTL + 15,
               f'{survivor.name} owns HBARUSDT')
    replica.set_price('HBARUSDT', round(start * 0.9, 5))
    [post] = receiver.wait_for('/kill', 1)
    assert (post.body['condition'], post.body['level']) == ('below', level)
    replica.set_price('HBARUSDT', round(start * 0.7, 5))
    posts = receiver.wait_for('/kill', 2)
    assert [p.body['note'] for p in posts] == ['', 'barrier']  # fired once, by the node that took over

    page = open_dashboard(new_context, survivor.url, context)  # the same browser, now on the survivor
    expect(alert_line(page, 'HBARUSDT')).to_contain_text(f'Below {format_price(level)} (reached)')
