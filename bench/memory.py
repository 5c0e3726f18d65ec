"""Memory: the server and its Chromium with 1, 10, 50 symbols (one viewer), then 1, 100, 1000 viewers (10 symbols).

The cost should grow with symbols (one Chromium tab each) and stay nearly flat with viewers (a viewer costs
the server a page and a socket, and Chromium nothing). Prices move once a second throughout, as in fan-out.

- Symbol series: one real browser (Playwright, not under the app, so not counted) types the tickers into
  the form; it is the one viewer.
- Viewer series: a second real browser context creates a user with the first 10 symbols; the first one is
  closed (its extra symbols are released after NiceGUI's reconnect_timeout). That user opens up to 20 real
  dashboard pages ('browser pages', the extra ones closed after), then simulated viewers (bench.viewers)
  with the user's cookie take over and the real browser is closed.

Chromium is reported as the sum over the app's Chromium processes of PSS (each shared page split evenly
among the processes sharing it: the fair total), and also USS (pages only that process holds) and RSS
(shared pages counted once per process: an overstatement). The headline per-symbol slope uses PSS.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bench.price_driver import PriceDriver
from bench.processes import Stack, all_live, client, wait_for
from bench.resources import memory_mb
from bench.viewer_pages import RealBrowser
from bench.viewer_workers import CONNECT_CONCURRENCY, ViewerWorkers, worker_count
from replica.universe import default_universe

_UNIVERSE = default_universe()
# 36 coins are quoted in USD; the USDT listings of the first coins make up 50 distinct symbols (and tabs).
SYMBOLS = sorted(t for t in _UNIVERSE if t.endswith('USD')) + \
    sorted(t for t in _UNIVERSE if t.endswith('USDT'))
SYMBOLS = SYMBOLS[:50]


@dataclass(frozen=True)
class Size:
    symbols: tuple[int, ...]  # symbols watched, step by step
    pages: tuple[int, ...]  # real browser pages
    viewers: tuple[int, ...]  # simulated viewers
    viewer_symbols: int  # symbols each viewer shows
    settle: float  # seconds before each reading


SIZES = {'full': Size((1, 10, 50), (1, 20), (1, 100, 1000), 10, 5.0), 'smoke': Size((1, 3), (1, 2), (1, 5), 3, 1.5)}
TARGET_MB_PER_SYMBOL = 60
RUNS_TABLE = (('symbols', 'viewers', 'viewer_kind'), ('server_rss_mb', 'server_uss_mb', 'chromium_pss_mb'))


def _row(symbols: int, viewers: int, by: str, memory: dict[str, Any], still_open: int) -> dict[str, Any]:
    return {'symbols': symbols, 'viewers': viewers, 'open': still_open, 'viewer_kind': by,
            'server_rss_mb': memory['server_rss_mb'], 'server_uss_mb': memory['server_uss_mb'],
            'chromium_pss_mb': memory['chromium_pss_mb'], 'chromium_uss_mb': memory['chromium_uss_mb'],
            'chromium_rss_mb': memory['chromium_rss_mb'], 'chromium_procs': memory['chromium_processes']}


def _slope(rows: list[dict], key: str, axis: str, low: int, high: int, **fixed: Any) -> float | None:
    def pick(value: int) -> dict | None:
        return next((r for r in rows if r[axis] == value and all(r[k] == v for k, v in fixed.items())), None)
    a, b = pick(low), pick(high)
    if a is None or b is None or high == low:
        return None
    return round((b[key] - a[key]) / (high - low), 3)


async def measure(symbol_steps: tuple[int, ...], page_steps: tuple[int, ...], viewer_steps: tuple[int, ...],
                  viewer_symbols: int, settle: float) -> tuple[list[dict], dict]:
    top = max(symbol_steps)
    stack = Stack(app_args=('--max-symbols', str(max(50, top)), '--max-tickers-per-browser', str(max(60, top)))).start()
    rows: list[dict] = []
    raw: dict[str, Any] = {'symbols': SYMBOLS[:top], 'measure': 'MiB; chromium_* summed over the app\'s Chromium '
                           'processes; PSS is the headline', 'steps': []}
    browser: RealBrowser | None = None
    pool: ViewerWorkers | None = None
    mover: PriceDriver | None = None

    async def snapshot(symbols: int, viewers: int, by: str) -> None:
        await asyncio.sleep(settle)
        memory = memory_mb(stack.app.pid)
        # simulated viewers the server dropped meanwhile (its sockets' ping timeout) no longer count
        still_open = (await pool.stats())['open'] if pool is not None else viewers
        raw['steps'].append({'symbols': symbols, 'viewers': viewers, 'viewers_open': still_open, 'viewer_kind': by,
                             **memory})
        rows.append(_row(symbols, viewers, by, memory, still_open))
        print(f'memory: {rows[-1]}', flush=True)

    try:
        async with client(stack.replica.url) as replica, \
                client(stack.app.url) as app:
            mover = PriceDriver(replica, [])
            mover.start()
            await snapshot(0, 0, 'none')
            browser = await RealBrowser().start()
            context_a, page_a = await browser.new_user(stack.app.url)
            shown = 0
            for count in symbol_steps:
                await RealBrowser.add(page_a, SYMBOLS[shown:count])
                shown = count
                await all_live(app, SYMBOLS[:count], timeout=120)
                await mover.prepare(SYMBOLS[:count])
                await snapshot(count, 1, 'browser')

            # The viewer series: a second user holding the first `viewer_symbols` symbols.
            keep = SYMBOLS[:viewer_symbols]
            context_b, page_b = await browser.new_user(stack.app.url)
            await RealBrowser.add(page_b, keep)
            cookie = await RealBrowser.cookie_header(context_b)
            await context_a.close()

            async def released() -> bool:
                return (await app.get('/health')).json()['symbols'] == len(keep)
            await wait_for(released, 30, f'the app to release all but {len(keep)} symbols')
            await mover.prepare(keep)
            # Real dashboard pages of that user (each a NiceGUI client with its cards), before simulated ones.
            pages = [page_b]
            for count in page_steps:
                while len(pages) < count:
                    pages.append(await RealBrowser.open_page(context_b, stack.app.url, len(keep)))
                await snapshot(len(keep), count, 'browser pages')
            for page in pages[1:]:
                await page.close()
            pool = ViewerWorkers(stack.app.url, cookie, workers=worker_count(max(viewer_steps)),
                                 concurrency=CONNECT_CONCURRENCY)
            for viewers in viewer_steps:
                connect = await pool.connect_to(viewers, timeout=600)
                if connect['failed']:
                    raw.setdefault('connect_failures', []).append({'to': viewers, **connect})
                if browser is not None:  # the simulated viewers hold the symbols now: the real one can go
                    await browser.close()
                    browser = None
                    await asyncio.sleep(4)  # NiceGUI deletes the closed page after reconnect_timeout (3 s)
                await all_live(app, keep)
                await snapshot(len(keep), viewers, 'simulated')
            raw['viewer_stats'] = await pool.stats()
    finally:
        if mover is not None:
            await mover.stop()
        if browser is not None:
            await browser.close()
        if pool is not None:
            await pool.close()
        raw['stop'] = stack.stop()

    first, last = symbol_steps[0], symbol_steps[-1]
    per_symbol = {key: _slope(rows, key, 'symbols', first, last, viewer_kind='browser')
                  for key in ('chromium_pss_mb', 'chromium_uss_mb', 'chromium_rss_mb', 'server_uss_mb')}
    low_v, high_v = viewer_steps[0], viewer_steps[-1]
    per_viewer = {key: _slope(rows, key, 'viewers', low_v, high_v, viewer_kind='simulated')
                  for key in ('chromium_pss_mb', 'server_uss_mb', 'server_rss_mb')}
    low_p, high_p = page_steps[0], page_steps[-1]
    per_page = {key: _slope(rows, key, 'viewers', low_p, high_p, viewer_kind='browser pages')
                for key in ('server_uss_mb', 'server_rss_mb')}
    raw['per_extra_page_mb'] = per_page
    raw['per_extra_symbol_mb'] = per_symbol
    raw['per_extra_viewer_mb'] = per_viewer
    raw['target'] = {'chromium_mb_per_extra_symbol_max': TARGET_MB_PER_SYMBOL,
                     'met': per_symbol['chromium_pss_mb'] is not None
                     and per_symbol['chromium_pss_mb'] <= TARGET_MB_PER_SYMBOL}
    rows.append({'symbols': f'+1 symbol ({first}->{last})', 'viewers': '', 'viewer_kind': 'slope',
                 'server_uss_mb': per_symbol['server_uss_mb'], 'chromium_pss_mb': per_symbol['chromium_pss_mb'],
                 'chromium_uss_mb': per_symbol['chromium_uss_mb'], 'chromium_rss_mb': per_symbol['chromium_rss_mb']})
    rows.append({'symbols': '', 'viewers': f'+1 page ({low_p}->{high_p})', 'viewer_kind': 'slope',
                 'server_rss_mb': per_page['server_rss_mb'], 'server_uss_mb': per_page['server_uss_mb']})
    rows.append({'symbols': '', 'viewers': f'+1 viewer ({low_v}->{high_v})', 'viewer_kind': 'slope',
                 'server_rss_mb': per_viewer['server_rss_mb'], 'server_uss_mb': per_viewer['server_uss_mb'],
                 'chromium_pss_mb': per_viewer['chromium_pss_mb']})
    return rows, raw


def run(size: str = 'full') -> tuple[list[dict], dict]:
    spec = SIZES['smoke' if size == 'smoke' else 'full']
    return asyncio.run(measure(spec.symbols, spec.pages, spec.viewers, spec.viewer_symbols, spec.settle))
