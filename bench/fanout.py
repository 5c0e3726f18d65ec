"""Fan-out: 100, 300, 1000, 2000, 5000 simulated viewers of 10 symbols each, every symbol moved once a second.

Measures at the viewers the delay from the source's send (the replica's `sent_at`) to the arrival of the
price, and at the server its CPU, event-loop responsiveness and memory per viewer. The pieces:

- the replica and the app as users run it (bench.processes),
- one real Chromium (bench.viewer_pages.RealBrowser) that creates the user: it types the 10 tickers into
  the form, so the server stores them in that browser's `app.storage.user`; its session cookie then serves
  every simulated viewer (one user, many tabs), and the real browser is closed before measuring,
- bench.viewer_workers: the simulated viewers (bench.viewers), in worker processes; bench.price_driver:
  the market.

Viewers are added in steps (cumulative: 100, then 200 more, 700 more, 1000 more, 3000 more); each step is
measured for a fixed window after its viewers are connected and settled. Each row says how many viewers were
connected at the window's end and how many of them received prices in it (measured), the server's CPU per
frame it sent (its CPU seconds over the frames the viewers received, pings included), the simulated viewers'
own CPU beside the server's, and the machine's load average meanwhile.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.app_metrics import HealthSampler
from bench.common import percentile, summary_ms
from bench.latency_joins import viewer_latencies
from bench.price_driver import PriceDriver
from bench.processes import Stack, all_live, client
from bench.reports import fanout_row
from bench.resources import CpuMeter, memory_mb
from bench.viewer_pages import RealBrowser
from bench.viewer_workers import CONNECT_CONCURRENCY, ViewerWorkers, connect_first, worker_count

# Big and small prices (DOGE and ADA show 4 decimals on the card, the replica's own precision differs).
SYMBOLS = ['BTCUSD', 'ETHUSD', 'SOLUSD', 'XRPUSD', 'BNBUSD', 'DOGEUSD', 'ADAUSD', 'LTCUSD', 'LINKUSD', 'AVAXUSD']


@dataclass(frozen=True)
class Size:
    steps: tuple[int, ...]  # viewers, step by step
    window: int  # seconds measured at each step
    symbols: tuple[str, ...]


SIZES = {'full': Size((100, 300, 1000, 2000, 5000), 25, tuple(SYMBOLS)), 'smoke': Size((5,), 5, tuple(SYMBOLS[:3]))}
# `--runs N` (bench/__main__.py): one line per size and run, then the spread
RUNS_TABLE = (('viewers',), ('p50_ms', 'p99_ms', 'delivered_%', 'server_us_per_frame', 'source_p99_ms', 'load_1m'))
GRACE = 2.0  # after the last move of a window: what has not arrived by then counts as not delivered
TARGET_P99_MS = {1000: 150, 2000: 250, 5000: 500}  # issue 20, with every price delivered


async def measure_window(stack: Stack, workers: ViewerWorkers, driver: PriceDriver, viewers: int,
                         seconds: int) -> dict[str, Any]:
    """`seconds` of the driver's moves (it keeps running), then GRACE for the last ones to arrive."""
    async with client(stack.app.url) as probe:
        await workers.reset()
        driver.reset()
        window_start = time.time()
        load_before = os.getloadavg()
        cpu = CpuMeter(stack.app.pid, stack.replica.pid)
        sampler = HealthSampler(probe)
        sampling = asyncio.create_task(sampler.run(seconds + GRACE))
        await asyncio.sleep(seconds)
        sent = driver.sent_between(window_start, time.time())
        silent, failures = driver.silent, driver.failures
        await asyncio.sleep(GRACE)
        cpu_percent = cpu.stop()
        measured_s = time.time() - window_start
        await sampling
    collected = await workers.collect()
    parts = viewer_latencies(sent, collected)
    total = parts['total']
    return {
        'viewers': viewers, 'changes': len(sent), 'expected': viewers * len(sent), 'delivered': len(total),
        'silent_posts': silent, 'driver_failures': failures, 'latency': summary_ms(total),
        'app_latency': summary_ms(parts['app']), 'source_latency': summary_ms(parts['source']),
        'cpu_percent': cpu_percent, 'cpu_seconds_measured': round(measured_s, 2),
        'loadavg_before': load_before, 'loadavg_after': os.getloadavg(),
        'health_rtt_ms': sampler.rtt_ms, 'reported_lag_ms': sampler.reported_lag_ms,
        'lag_p99_ms': round(percentile(sampler.reported_lag_ms or sampler.rtt_ms, 99), 1),
        'lag_from': 'app' if sampler.reported_lag_ms else 'health_rtt',
        'health_failures': sampler.failures, 'open_viewers': collected['open'],
        'measured_viewers': collected['measured'], 'ended_viewers': collected['ended'],
        'ended_reasons': collected['ended_reasons'], 'frames': collected['frames'], 'pings': collected['pings'],
        'frame_kinds': collected['frame_kinds'],
        'latency_s_sample': total[:: max(1, len(total) // 2000)],
    }


async def first_viewer(stack: Stack, app: httpx.AsyncClient, symbols: list[str], workers: int,
                        deflate: bool) -> ViewerWorkers:
    """A real browser creates the user and types its symbols; one simulated viewer of that user then holds
    them and the real browser goes."""
    browser = await RealBrowser().start()
    try:
        context, page = await browser.new_user(stack.app.url)
        await RealBrowser.add(page, symbols)
        cookie = await RealBrowser.cookie_header(context)
        await all_live(app, symbols)
        pool = await connect_first(ViewerWorkers(stack.app.url, cookie, workers=workers, deflate=deflate,
                                                 concurrency=CONNECT_CONCURRENCY), 1)
    finally:
        await browser.close()
    await asyncio.sleep(5)  # the real browser's page is deleted after reconnect_timeout (3 s)
    await all_live(app, symbols)
    return pool


async def measure(steps: tuple[int, ...] = SIZES['full'].steps, window: int = 25,
                  symbols: list[str] | None = None, workers: int | None = None, deflate: bool = True,
                  hold: float | None = None) -> tuple[list[dict], dict]:
    """`hold`: seconds to keep everything up after the last step (for attaching a profiler); None: no hold."""
    symbols = symbols or SYMBOLS
    workers = workers or worker_count(max(steps))
    raw: dict[str, Any] = {'loadavg_at_start': os.getloadavg(), 'symbols': symbols, 'steps': list(steps),
                           'window_s': window, 'grace_s': GRACE, 'viewer_processes': workers,
                           'permessage_deflate': deflate, 'connect_concurrency': CONNECT_CONCURRENCY,
                           'windows': [], 'connects': [], 'memory': {}}
    rows: list[dict] = []
    stack = Stack().start()
    pool: ViewerWorkers | None = None
    driver: PriceDriver | None = None
    try:
        async with client(stack.replica.url) as replica, client(stack.app.url) as app:
            pool = await first_viewer(stack, app, symbols, workers, deflate)
            driver = PriceDriver(replica, symbols)
            await driver.prepare()
            driver.start()
            await asyncio.sleep(3)
            raw['memory'][1] = baseline = memory_mb(stack.app.pid)
            for viewers in steps:
                # A viewer the server dropped (its socket closed) is replaced, as a browser's page reconnects; the
                # row says how many were (`replaced`), and how many were still connected at the window's end.
                try:
                    connect = await pool.connect_to(viewers, timeout=600 + viewers / 2, replace_dropped=True)
                except TimeoutError as problem:  # the steps measured so far are kept and reported
                    raw['connect_failure'] = {'to': viewers, 'error': str(problem)}
                    print(f'fanout: stopped before {viewers} viewers: {problem}', file=sys.stderr, flush=True)
                    break
                raw['connects'].append({'to': viewers, **connect})
                await asyncio.sleep(3 if viewers < 500 else 6)  # let the connect burst settle
                result = await measure_window(stack, pool, driver, viewers, window)
                result['replaced_before'] = connect['replaced']
                raw['memory'][viewers] = result['memory'] = memory = memory_mb(stack.app.pid)
                per_viewer = (memory['server_uss_mb'] - baseline['server_uss_mb']) / (viewers - 1) \
                    if viewers > 1 else None
                raw['windows'].append(result)
                rows.append(fanout_row(result, per_viewer, TARGET_P99_MS.get(viewers)))
                print(f'fanout: {rows[-1]}', flush=True)
            if hold:
                print(f'fanout: holding {hold} s for a profiler; app pid {stack.app.pid}', flush=True)
                await asyncio.sleep(hold)
            await driver.stop()  # while its replica client is still open
    finally:
        if driver is not None:  # only still running when something failed: that failure is the one to report
            with contextlib.suppress(Exception):
                await driver.stop()
        if pool is not None:
            await pool.close()
        raw['stop'] = stop(stack, max(steps))
    return rows, raw


def stop(stack: Stack, viewers: int) -> dict[str, Any]:
    """Stop the stack, with time for the app to delete each viewer's page on its way out."""
    started = time.perf_counter()
    stopped = stack.stop(app_timeout=30 + viewers / 100)
    return {**stopped, 'seconds': round(time.perf_counter() - started, 1)}


def _options() -> dict[str, Any]:
    """FANOUT_WORKERS (viewer processes; default by size), FANOUT_DEFLATE=0 (no per-message deflate)."""
    return {'workers': int(os.environ.get('FANOUT_WORKERS') or 0) or None,
            'deflate': os.environ.get('FANOUT_DEFLATE', '1') != '0'}


def run(size: str = 'full') -> tuple[list[dict], dict]:
    spec = SIZES['smoke' if size == 'smoke' else 'full']
    return asyncio.run(measure(spec.steps, spec.window, list(spec.symbols), **_options()))


if __name__ == '__main__':  # python -m bench.fanout [viewers ...]: a quick look at chosen sizes
    chosen = tuple(int(a) for a in sys.argv[1:]) or SIZES['full'].steps
    table, details = asyncio.run(measure(chosen, int(os.environ.get('FANOUT_WINDOW', '15')), **_options(),
                                         hold=float(os.environ.get('FANOUT_HOLD', '0')) or None))
    raw_path = Path(os.environ.get('FANOUT_RAW') or '/tmp/fanout-raw.json')  # FANOUT_RAW: where the raw JSON goes
    raw_path.write_text(json.dumps(details, indent=1, default=str))
    for line in table:
        print(line)
