"""Who owns a symbol: the least-loaded interested node (cluster/ownership.py), in-process, and on real nodes."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from cluster.ownership import ORPHAN_GRACE_S, Loads, load_entry, should_take, to_hand_over
from harness.pages import add_ticker, card, expect_live
from launcher.processes import wait_until
from tests.cluster.conftest import RunningCluster


def loads(**counts: int) -> Loads:
    return Loads.parse({node.encode(): load_entry(count, 5).encode() for node, count in counts.items()})


def test_a_dead_nodes_load_stops_counting():
    expired = {b'n9': f'3:{int(time.time() * 1000) - 1}'.encode(), b'n1': load_entry(2, 5).encode()}
    assert Loads.parse(expired).counts == {'n1': 2}


def test_an_unowned_symbol_goes_to_the_least_loaded_interested_node():
    assert should_take('n1', 0, ['n1', 'n2'], loads(n1=0, n2=3), unowned_for=0)
    assert not should_take('n2', 3, ['n1', 'n2'], loads(n1=0, n2=3), unowned_for=0)
    assert should_take('n2', 3, ['n2'], loads(n1=0, n2=3), unowned_for=0)  # nobody else wants it
    assert should_take('n1', 1, ['n1', 'n2'], loads(n1=1, n2=1), unowned_for=0)  # a tie: the lease decides
    # A less loaded node that does not act (busy, or full) does not leave it orphaned for long.
    assert should_take('n2', 3, ['n1', 'n2'], loads(n1=0, n2=3), unowned_for=ORPHAN_GRACE_S)


def test_a_much_more_loaded_owner_hands_one_symbol_to_an_interested_node():
    owned = {'A': ['n1', 'n2'], 'B': ['n1'], 'C': ['n1', 'n2']}
    assert to_hand_over('n1', owned, loads(n1=3, n2=1)) == ('A', 'n2')
    assert to_hand_over('n1', owned, loads(n1=3, n2=2)) is None  # one apart is even enough
    assert to_hand_over('n1', {'B': ['n1'], 'D': ['n1'], 'E': ['n1']}, loads(n1=3, n2=0)) is None  # nobody else wants


SYMBOLS = ('ADAUSD', 'XRPUSD', 'DOTUSD', 'LTCUSD', 'BNBUSD', 'TRXUSD')


@pytest.mark.e2e
def test_symbols_spread_over_the_nodes_that_watch_them_without_a_gap(cluster: RunningCluster, new_context, replica):
    n1, n2 = cluster.nodes
    first = new_context().new_page()
    first.goto(n1.url)
    for symbol in SYMBOLS:
        add_ticker(first, symbol)
        expect_live(first, symbol)
    owners = lambda: [cluster.tickers(n2)[f'BINANCE:{s}']['node'] for s in SYMBOLS]  # noqa: E731
    assert {cluster.tickers(n1)[f'BINANCE:{s}']['node'] for s in SYMBOLS} == {'n1'}  # nobody else wanted them

    second = new_context().new_page()
    second.goto(n2.url)
    for symbol in SYMBOLS:
        add_ticker(second, symbol)
    wait_until(lambda: owners().count('n2') >= 2 and owners().count('n1') <= len(SYMBOLS) // 2 + 1, 40,
               'symbols handed over to n2')
    for symbol in SYMBOLS:  # every symbol still one tab, still live on both nodes
        wait_until(lambda: replica.stats(symbol)['sockets_open'] == 1, 15, f'one tab for {symbol}')
        moved = round(replica.price(symbol) * 1.01, 2)
        replica.set_price(symbol, moved)
        shown = re.compile(rf'^{re.escape(f"{moved:,.2f}")}0*$')  # with the decimals of the page's pricescale
        for page in (first, second):
            expect(card(page, symbol).locator('.price')).to_have_text(shown)
    assert cluster.health(n1)['cluster']['lease_renewals_failed'] == 0
    assert cluster.health(n2)['cluster']['lease_renewals_failed'] == 0
