"""Several nodes as one tracker: one tab per symbol cluster-wide, prices shared through a real Valkey, sticky
sessions through a real HAProxy, and what happens when a node, or Redis itself, goes away."""
from __future__ import annotations

import signal
import time

import httpx
import psutil
import pytest
from playwright.sync_api import Page, expect

from harness.pages import add_ticker, card, expect_live, shown_symbols
from launcher.processes import wait_until
from tests.cluster.conftest import LEASE_TTL, RunningCluster, fields

pytestmark = pytest.mark.e2e


def open_dashboard(new_context, url: str) -> Page:
    page = new_context().new_page()
    page.goto(url)
    expect(page.locator('html')).to_have_attribute('data-connection', 'live')
    return page


def watched_on_both(cluster: RunningCluster, new_context, symbol: str) -> tuple[Page, Page]:
    """A viewer of `symbol` on n1, which so owns it, then one on n2, which follows it."""
    n1, n2 = cluster.nodes[:2]
    owner_page = open_dashboard(new_context, n1.url)
    add_ticker(owner_page, symbol)
    expect_live(owner_page, symbol)
    follower = open_dashboard(new_context, n2.url)
    add_ticker(follower, symbol)
    expect_live(follower, symbol)
    return owner_page, follower


def test_viewers_on_two_nodes_share_one_tab_and_the_second_is_served_from_the_cache(
        shared_cluster: RunningCluster, new_context, replica):
    n1, n2 = shared_cluster.nodes
    first = open_dashboard(new_context, n1.url)
    add_ticker(first, 'ETHUSD')
    expect_live(first, 'ETHUSD', replica.price_text('ETHUSD'))

    second = open_dashboard(new_context, n2.url)
    add_ticker(second, 'ETHUSD')
    expect_live(second, 'ETHUSD', replica.price_text('ETHUSD'))
    assert replica.stats('ETHUSD')['page_loads'] == 1  # cache-first, cluster-wide: no second page load
    assert shared_cluster.tickers(n2)['BINANCE:ETHUSD']['node'] == 'n1'
    assert shared_cluster.health(n2)['cluster']['symbols_followed'] == 1

    replica.set_price('ETHUSD', 3210.98)
    for page in (first, second):
        expect(card(page, 'ETHUSD').locator('.price')).to_have_text('3,210.98')
    assert replica.stats('ETHUSD')['page_loads'] == 1 and replica.stats('ETHUSD')['sockets_open'] == 1


def test_the_tab_closes_when_the_last_viewer_anywhere_leaves(shared_cluster: RunningCluster, new_context, replica):
    n1, n2 = shared_cluster.nodes
    pages = []
    for node in (n1, n2):
        pages.append(open_dashboard(new_context, node.url))
        add_ticker(pages[-1], 'DOTUSD')
        expect_live(pages[-1], 'DOTUSD')
    pages[0].context.close()  # the owner's own viewer leaves: the other node's viewer still wants it
    wait_until_gone = time.monotonic() + 6
    while time.monotonic() < wait_until_gone:  # a window where a wrong teardown would show
        assert replica.stats('DOTUSD')['sockets_open'] == 1
        time.sleep(0.2)
    replica.set_price('DOTUSD', 4.444)
    expect(card(pages[1], 'DOTUSD').locator('.price')).to_have_text('4.44')

    pages[1].context.close()
    wait_until(lambda: replica.stats('DOTUSD')['sockets_open'] == 0, 15, 'the tab closed')
    wait_until(lambda: shared_cluster.latest('BINANCE:DOTUSD') is None, 5, 'the cluster forgot the price')
    assert 'BINANCE:DOTUSD' not in shared_cluster.tickers(n1) and 'BINANCE:DOTUSD' not in shared_cluster.tickers(n2)


def test_a_late_message_from_an_owner_that_lost_its_lease_is_ignored(shared_cluster: RunningCluster, new_context,
                                                                     replica):
    n1, n2 = shared_cluster.nodes
    owner_page, follower = watched_on_both(shared_cluster, new_context, 'LINKUSD')
    replica.set_price('LINKUSD', 16.16)
    expect(card(follower, 'LINKUSD').locator('.price')).to_have_text('16.16')
    current = shared_cluster.latest('BINANCE:LINKUSD')
    assert current is not None and current.node == 'n1'

    # A message from an earlier term of the lease (lower fence), as a node that lost it would send late.
    dropped = shared_cluster.health(n2)['cluster']['stale_messages_dropped']
    shared_cluster.publish('BINANCE:LINKUSD', fields(current, fence=current.fence - 1, node='n0',
                                                     price=1.0, price_text='1.00'))
    wait_until(lambda: shared_cluster.health(n2)['cluster']['stale_messages_dropped'] == dropped + 1, 5,
               'the late message dropped')
    # The current term's messages still count, so the page shows the next real change, not 1.00.
    replica.set_price('LINKUSD', 16.61)
    expect(card(follower, 'LINKUSD').locator('.price')).to_have_text('16.61')


def test_a_stolen_lease_closes_the_old_owners_tab_and_the_symbol_moves_on(shared_cluster: RunningCluster,
                                                                         new_context, replica):
    n1, n2 = shared_cluster.nodes
    owner_page, follower = watched_on_both(shared_cluster, new_context, 'UNIUSD')
    before = shared_cluster.latest('BINANCE:UNIUSD')
    assert before is not None
    failed = shared_cluster.health(n1)['cluster']['lease_renewals_failed']

    # Someone else holds the lease now (as after a pause longer than the ttl): n1 must stop at its next renewal.
    shared_cluster.redis('SET', 'cryptotracker:lease:BINANCE:UNIUSD', 'thief', 'PX', int(LEASE_TTL * 1000))
    wait_until(lambda: shared_cluster.health(n1)['cluster']['lease_renewals_failed'] == failed + 1, 5,
               'n1 noticed the lease is gone')
    # Once the thief's lease expires a node takes the symbol again, in a new term with a higher fence.
    wait_until(lambda: (m := shared_cluster.latest('BINANCE:UNIUSD')) is not None and m.fence > before.fence, 15,
               'a new owner')
    replica.set_price('UNIUSD', 7.77)
    for page in (owner_page, follower):
        expect(card(page, 'UNIUSD').locator('.price')).to_have_text('7.77', timeout=15_000)
    wait_until(lambda: replica.stats('UNIUSD')['sockets_open'] == 1, 10, 'exactly one tab again')


def test_when_the_owner_node_is_killed_another_node_takes_the_symbol_over(cluster: RunningCluster, new_context,
                                                                          replica):
    n1, n2 = cluster.nodes
    owner_page, survivor = watched_on_both(cluster, new_context, 'SOLUSD')
    assert cluster.tickers(n2)['BINANCE:SOLUSD']['node'] == 'n1'
    chromium = [p for p in psutil.Process(n1.pid).children(recursive=True) if 'chrom' in p.name().lower()]
    assert chromium

    n1.process.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    wait_until(lambda: cluster.tickers(n2).get('BINANCE:SOLUSD', {}).get('node') == 'n2', LEASE_TTL + 10,
               'n2 owns SOLUSD')
    replica.set_price('SOLUSD', 161.61)
    expect(card(survivor, 'SOLUSD').locator('.price')).to_have_text('161.61', timeout=15_000)
    took = time.monotonic() - killed
    assert took < LEASE_TTL + 10, f'the viewer waited {took:.1f} s'
    # The dead node's engine saw its pipe close and took its Chromium down with it.
    wait_until(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in chromium), 20,
               "the killed node's Chromium gone")


def test_a_viewer_whose_node_dies_comes_back_on_another_node_with_its_list(balanced_cluster: RunningCluster,
                                                                           new_context, replica):
    assert balanced_cluster.haproxy is not None
    page = open_dashboard(new_context, balanced_cluster.haproxy.url)
    for symbol in ('ADAUSD', 'XRPUSD'):
        add_ticker(page, symbol)
        expect_live(page, symbol)
    [cookie] = [c for c in page.context.cookies() if c['name'] == 'SRV']
    serving = balanced_cluster.node(cookie['value'])

    serving.process.send_signal(signal.SIGKILL)
    # The page's socket drops; it reconnects through HAProxy, which sends it to the live node; NiceGUI there
    # does not know the page, so it reloads, and the list comes from the storage every node shares.
    expect(page.locator('html')).to_have_attribute('data-connection', 'live', timeout=30_000)
    expect(card(page, 'XRPUSD')).to_be_visible(timeout=30_000)
    assert shown_symbols(page) == ['BINANCE:ADAUSD', 'BINANCE:XRPUSD']
    replica.set_price('ADAUSD', 0.5555)
    expect(card(page, 'ADAUSD').locator('.price')).to_have_text(replica.price_text('ADAUSD'), timeout=20_000)
    other = next(n for n in balanced_cluster.nodes if n is not serving)
    assert {c['value'] for c in page.context.cookies() if c['name'] == 'SRV'} == {other.name}


def test_nodes_recover_by_themselves_when_redis_restarts(cluster: RunningCluster, new_context, replica):
    n1, n2 = cluster.nodes
    owner_page, follower = watched_on_both(cluster, new_context, 'AVAXUSD')

    cluster.valkey.restart_empty()  # everything in it is gone: leases, interest, latest values
    wait_until(lambda: all(cluster.health(n)['cluster']['redis_reachable'] for n in (n1, n2)), 15, 'both reconnected')
    replica.set_price('AVAXUSD', 23.23)
    for page in (owner_page, follower):
        expect(card(page, 'AVAXUSD').locator('.price')).to_have_text('23.23', timeout=15_000)
    wait_until(lambda: cluster.latest('BINANCE:AVAXUSD') is not None, 10, 'the latest value written again')
    assert replica.stats('AVAXUSD')['sockets_open'] == 1


def test_a_follower_draws_the_owners_history_at_once_and_it_goes_when_nobody_watches(
        shared_cluster: RunningCluster, new_context, replica):
    n1, n2 = shared_cluster.nodes
    owner_page, follower = watched_on_both(shared_cluster, new_context, 'LINKUSD')
    history = wait_until(lambda: (h := httpx.get(f'{n2.url}/api/tickers/LINKUSD/history', timeout=5).json())
                         .get('from_series') and h, message="the owner's history on the follower")
    assert len(history['bars']) > 100 and history['resolution'] == 300  # the page's series, which only n1 read
    assert shared_cluster.redis('EXISTS', 'cryptotracker:history:BINANCE:LINKUSD') == 1
    replica.set_price('LINKUSD', 23.45)
    expect_live(follower, 'LINKUSD', '23.45')
    follower_history = httpx.get(f'{n2.url}/api/tickers/LINKUSD/history', timeout=5).json()
    assert follower_history['bars'][-1][4] == 23.45 and follower_history['last'][1] == 23.45
    for page in (owner_page, follower):
        page.context.close()
    wait_until(lambda: shared_cluster.redis('EXISTS', 'cryptotracker:history:BINANCE:LINKUSD') == 0, 30,
               'the history snapshot deleted with the last viewer')
