"""Stopping and starting the app: nothing is left running, and each browser's list comes back."""
from __future__ import annotations

import json
import re
import signal

import psutil
import pytest
from playwright.sync_api import Page, expect

from harness.pages import add_ticker, card, expect_live, shown_symbols
from launcher.app_process import AppProcess
from launcher.processes import wait_until

pytestmark = pytest.mark.e2e


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_sigterm_closes_every_tab_and_chromium_and_the_list_survives_a_restart(page: Page, replica_server, replica,
                                                                              tmp_path):
    first = AppProcess(replica_server.url, tmp_path).start()
    second = AppProcess(replica_server.url, tmp_path, port=first.port)
    try:
        page.goto(first.url)
        add_ticker(page, 'TRXUSD')
        expect_live(page, 'TRXUSD')
        descendants = first.descendants()  # Playwright's driver, Chromium and its helpers
        assert any('chrom' in process.name().lower() for process in descendants)
        assert replica.stats('TRXUSD')['sockets_open'] == 1

        first.process.send_signal(signal.SIGTERM)
        assert first.process.wait(20) == 0, first.log_tail()
        wait_until(lambda: not any(map(alive, descendants)), 5, 'no process of the app left')
        assert replica.stats('TRXUSD')['sockets_open'] == 0
        indicator = page.get_by_test_id('connection')
        expect(indicator).to_have_text(re.compile(r'Reconnecting…|Offline'), use_inner_text=True)

        # Same port, same storage and secret: the page reconnects by itself and finds its list again.
        replica.set_price('TRXUSD', 0.25)
        second.start()
        expect(indicator).to_have_text('Live', use_inner_text=True, timeout=20_000)
        expect_live(page, 'TRXUSD', replica.price_text('TRXUSD'))
        assert card(page, 'TRXUSD').count() == 1
    finally:
        for app in (first, second):
            app.stop()


def test_a_list_stored_before_symbols_named_their_exchange_still_loads(page: Page, replica_server, replica,
                                                                      tmp_path):
    first = AppProcess(replica_server.url, tmp_path).start()
    second = AppProcess(replica_server.url, tmp_path, port=first.port)
    try:
        page.goto(first.url)
        add_ticker(page, 'MATICUSD')
        assert first.stop() == 0, first.log_tail()
        # Off the old page: left open, it reloads itself once the new server answers its reconnecting socket, and
        # that reload aborts the navigation below (net::ERR_ABORTED, seen once in a fresh clone).
        page.goto('about:blank')
        [stored] = (tmp_path / 'nicegui').glob('storage-user-*.json')
        data = json.loads(stored.read_text())
        assert data['tickers'] == ['BINANCE:MATICUSD']
        data['tickers'] = ['OPUSD', 'MATICUSD']  # bare tickers, as the app stored them before
        stored.write_text(json.dumps(data))

        second.start()
        page.goto(second.url)
        assert shown_symbols(page) == ['BINANCE:MATICUSD', 'BINANCE:OPUSD']
        expect_live(page, 'OPUSD', replica.price_text('OPUSD'))
        expect_live(page, 'MATICUSD', replica.price_text('MATICUSD'))
        wait_until(lambda: json.loads(stored.read_text())['tickers'] == ['BINANCE:MATICUSD', 'BINANCE:OPUSD'], 10,
                   'the list rewritten in the new form')
    finally:
        for app in (first, second):
            app.stop()
