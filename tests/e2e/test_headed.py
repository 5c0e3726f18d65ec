"""The default, headed mode: Chromium with a window, here on a virtual display as on a server without one."""
from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
from collections.abc import Iterator

import psutil
import pytest
from playwright.sync_api import Page, expect

from harness.pages import add_ticker, card, expect_live
from launcher.app_process import AppProcess
from launcher.chromium import browser_main_process

pytestmark = pytest.mark.e2e


@pytest.fixture
def virtual_display() -> Iterator[str]:
    if not shutil.which('Xvfb'):
        pytest.skip('Xvfb is not installed (apt-get install xvfb)')
    read_end, write_end = os.pipe()
    # -displayfd: Xvfb picks a free display number and writes it once it accepts connections.
    xvfb = subprocess.Popen(['Xvfb', '-displayfd', str(write_end), '-screen', '0', '1280x900x24', '-nolisten', 'tcp'],
                            pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 15)
        assert ready, 'Xvfb did not start'
        yield ':' + os.read(read_end, 32).decode().strip()
    finally:
        xvfb.terminate()
        xvfb.wait(10)
        os.close(read_end)  # only now: closed early, it left Xvfb refusing clients here


def test_headed_chromium_on_a_virtual_display_shows_prices_and_marks_silence_stale(
        page: Page, replica_server, replica, virtual_display, tmp_path):
    app = AppProcess(replica_server.url, tmp_path, headless=False, display=virtual_display, stale_after=2).start()
    try:
        chromium = browser_main_process(psutil.Process(app.pid))
        assert not any(arg.startswith('--headless') for arg in chromium.cmdline())

        page.goto(app.url)
        add_ticker(page, 'ETCUSD')
        expect_live(page, 'ETCUSD', replica.price_text('ETCUSD'))

        # The replica is silent unless told otherwise: after --stale-after seconds the card says so.
        etc = card(page, 'ETCUSD')
        expect(etc.locator('.stale-badge')).to_be_visible(timeout=15_000)
        replica.set_price('ETCUSD', 19.5)
        expect_live(page, 'ETCUSD', '19.50')
        expect(etc.locator('.stale-badge')).to_be_hidden()
    finally:
        assert app.stop(signum=signal.SIGINT) == 0, app.log_tail()  # Ctrl+C stops it as cleanly as SIGTERM


def test_a_headless_run_sends_the_same_user_agent_as_a_headed_one(page: Page, replica_server, replica,
                                                                   virtual_display, tmp_path):
    """TradingView's firewall turns 'HeadlessChrome' away, and so does the replica."""
    agents = {}
    for headless, symbol in ((False, 'ETCUSDT'), (True, 'FILUSDT')):
        storage = tmp_path / ('headless' if headless else 'headed')
        storage.mkdir()
        app = AppProcess(replica_server.url, storage, headless=headless, display=virtual_display).start()
        try:
            page.goto(app.url)
            add_ticker(page, symbol)
            expect_live(page, symbol)
            agents[headless] = replica.stats(symbol)['user_agent']
            assert replica.stats(symbol)['blocked'] == 0
        finally:
            assert app.stop() == 0, app.log_tail()
    assert 'Headless' not in agents[False]
    assert agents[True] == agents[False]
