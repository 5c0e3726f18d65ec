"""Durability: three faults of the cluster's Valkey, each on a fresh cluster of 2 nodes behind HAProxy.

- restart: Valkey SIGKILLed and started again from its own files (append-only file, fsync every second);
- away: Valkey stopped (SIGSTOP: it accepts connections and answers nothing) for 30 s, then resumed;
- failover: a primary, a replica and three sentinels; the primary SIGKILLed, the sentinels promote the replica.

Two symbols, one owned by each node (its first viewer came through that node), and simulated viewers of both on
both nodes (bench.viewers, pinned through HAProxy's cookie) while the driver moves both prices every second.
Measured for each fault:
- the longest gap in prices any viewer saw, in the window from 2 s before the fault to 5 s after recovery
  (target below 2 s; prices move once a second, so 1 s is the floor);
- the time from recovery (Valkey answering again, or the new primary named) until the replica sees exactly one
  tab per symbol again (target below 10 s);
- users' data lost: browsers (real Chromium) saved their lists at least 1 s before the fault; afterwards each is
  opened through the OTHER node, which never held its data, so what it shows came from the store (target 0).
"""
from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any

from bench.cluster_stack import ClusterStack
from bench.common import app_symbol
from bench.price_driver import PriceDriver
from bench.processes import client, wait_for
from bench.sticky_viewers import BALANCER_COOKIE, cookie_header, pinned
from bench.viewer_pages import RealBrowser
from bench.viewers import Viewer, ViewerPool

SYMBOLS = ('ATOMUSD', 'NEARUSD')
DATA_USERS = (('ATOMUSD',), ('NEARUSD',), ('ATOMUSD', 'NEARUSD'))
FAULTS = ('restart', 'away', 'failover')
SIZES = {'full': {'viewers': 20, 'away_s': 30}, 'smoke': {'viewers': 2, 'away_s': 3}}
RUNS_TABLE = (('fault',), ('longest_gap_s', 'one_tab_after_s', 'lists_lost'))
TARGETS = {'longest_gap_s': 2.0, 'one_tab_after_s': 10.0, 'lists_lost': 0}


class GapViewerPool(ViewerPool):
    """Viewers that remember when each of them saw a price change."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.changes: defaultdict[int, list[float]] = defaultdict(list)

    async def _on_frame(self, viewer: Viewer, frame: str, now: float) -> None:
        before = dict(viewer.last)
        await super()._on_frame(viewer, frame, now)
        if viewer.last != before:
            self.changes[id(viewer)].append(now)

    def longest_gap(self, start: float, end: float) -> float:
        """The longest stretch without a change any one viewer lived through in [start, end]."""
        worst = 0.0
        for viewer in self.viewers:
            times = [start, *(t for t in self.changes[id(viewer)] if start < t < end), end]
            worst = max(worst, *(b - a for a, b in zip(times, times[1:], strict=False)))
        return worst


async def _cookie(browser: RealBrowser, url: str, node: str, tickers: tuple[str, ...]) -> tuple[Any, str]:
    """A user created through `node` who adds `tickers`; its context and cookie header."""
    assert browser.browser is not None, 'RealBrowser.start() launched it'
    context = await browser.browser.new_context()
    await context.add_cookies([{'name': BALANCER_COOKIE, 'value': node, 'url': url}])
    page = await context.new_page()
    await page.goto(url)
    await page.locator('html[data-connection="live"]').wait_for(timeout=30_000)
    await RealBrowser.add(page, list(tickers))
    await page.close()
    cookies = {c['name']: c['value'] for c in await context.cookies()}
    return context, cookie_header(cookies)


async def _shown_through(context: Any, url: str, node: str) -> list[str]:
    await context.add_cookies([{'name': BALANCER_COOKIE, 'value': node, 'url': url}])
    page = await context.new_page()
    try:
        await page.goto(url)
        await page.locator('html[data-connection="live"]').wait_for(timeout=30_000)
        return await page.locator('[data-symbol]').evaluate_all('cards => cards.map(c => c.dataset.symbol)')
    finally:
        await page.close()


async def _one_tab_each(replica: Any) -> bool:
    stats = (await replica.get('/_replica/stats')).json()['symbols']
    return all(stats.get(app_symbol(s), {}).get('sockets_open') == 1 for s in SYMBOLS)


async def _fault(stack: ClusterStack, fault: str, away_s: float) -> float:
    """Cause the fault; returns the time (time.time()) the store answers again."""
    if fault == 'restart':
        await asyncio.to_thread(stack.valkey.restart)
    elif fault == 'away':
        stack.valkey.pause()
        await asyncio.sleep(away_s)
        stack.valkey.resume()
    else:
        assert stack.group is not None
        old = stack.group.kill_primary()
        await asyncio.to_thread(stack.group.wait_for_new_primary, 15, old)
    return time.time()


async def measure(fault: str, spec: dict[str, Any]) -> dict[str, Any]:
    stack = ClusterStack(nodes=2, ha=fault == 'failover').start()
    browser = await RealBrowser().start()
    pools: list[GapViewerPool] = []
    try:
        url = stack.url
        async with client(stack.replica.url) as replica:
            driver = PriceDriver(replica, list(SYMBOLS))
            await driver.prepare()
            driver.start()
            for node, ticker in zip(('n1', 'n2'), SYMBOLS, strict=False):  # each node owns one symbol
                await _cookie(browser, url, node, (ticker,))
            _, watcher = await _cookie(browser, url, 'n1', SYMBOLS)
            for node in ('n1', 'n2'):
                pool = GapViewerPool(url, pinned(watcher, node))
                await pool.start()
                await pool.connect(spec['viewers'] // 2)
                pools.append(pool)
            users = [(await _cookie(browser, url, 'n1', tickers))[0] for tickers in DATA_USERS]
            await asyncio.sleep(1.5)  # the promise covers what was saved more than a second before the fault
            before = time.time()
            back = await _fault(stack, fault, spec['away_s'])
            await wait_for(lambda: _one_tab_each(replica), 30, 'one tab per symbol again', interval=0.1)
            one_tab_after = time.time() - back
            await asyncio.sleep(5)
            gap = max(pool.longest_gap(before - 2, time.time()) for pool in pools)
            shown = [await _shown_through(context, url, 'n2') for context in users]
            lost = sum(1 for tickers, seen in zip(DATA_USERS, shown, strict=False)
                       if sorted(seen) != sorted(app_symbol(t) for t in tickers))
            await driver.stop()
        return {'fault': fault, 'viewers': sum(p.open for p in pools), 'longest_gap_s': round(gap, 2),
                'one_tab_after_s': round(one_tab_after, 2), 'lists_lost': lost, 'lists_checked': len(users),
                'fault_s': round(back - before, 2)}
    finally:
        for pool in pools:
            await pool.close()
        await browser.close()
        stack.stop()


def run(size: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    spec = SIZES[size]
    rows = [asyncio.run(measure(fault, spec)) for fault in FAULTS]
    return rows, {'spec': spec, 'targets': TARGETS}
