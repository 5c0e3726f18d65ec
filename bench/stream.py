"""Stream: 1000 SSE consumers of 10 symbols each beside 1000 simulated page viewers of the same 10 symbols, in
one run on one app, every symbol moved once a second (bench.price_driver).

Measured at the consumers: the delay from the source's send (the replica's `sent_at`) to the event's arrival;
at the server: its CPU (bench.resources.CpuMeter) and its memory (USS) per consumer. The windows:

1. baseline: one page viewer holds the symbols (a real browser created that user, as in fan-out);
2. + N SSE consumers (bench.stream_consumers): what the consumers cost, measured alone;
3. + N-1 more page viewers (N in all), the consumers still connected: both kinds measured in the same
   window, and what the viewers cost on top.

Each kind's CPU and memory is the difference its window made. Consumers come first, so the memory they take is
new memory, not memory the viewers' pages freed.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.app_metrics import HealthSampler
from bench.common import percentile, summary_ms
from bench.fanout import SYMBOLS, first_viewer
from bench.latency_joins import viewer_latencies
from bench.price_driver import PriceDriver
from bench.processes import Stack, client
from bench.resources import CpuMeter, memory_mb
from bench.stream_consumers import SseWorkers
from bench.viewer_workers import ViewerWorkers, worker_count


@dataclass(frozen=True)
class Size:
    consumers: int
    window: int  # seconds measured
    symbols: tuple[str, ...]


SIZES = {'full': Size(1000, 25, tuple(SYMBOLS)), 'smoke': Size(5, 5, tuple(SYMBOLS[:3]))}
RUNS_TABLE = (('measured', 'count'), ('p50_ms', 'p99_ms', 'delivered_%', 'server_cpu_%', 'server_mb_each'))
GRACE = 2.0  # after a window's last move: what has not arrived by then counts as not delivered
TARGET_P99_MS = 250
TARGET_MB_EACH = 0.2
SSE_CONCURRENCY = 50  # consumers connecting at once: one request each, no page to build


async def stream_figures(app: httpx.AsyncClient) -> dict[str, float]:
    """The app's own count of SSE consumers, events sent to them and consumers cut off."""
    text = (await app.get('/metrics')).text
    found = {}
    for name in ('consumers', 'events_sent_total', 'cut_offs_total'):
        match = re.search(rf'^cryptotracker_stream_{name}{{kind="sse"}} (\S+)$', text, re.M)
        found[name] = float(match.group(1)) if match else float('nan')
    return found


async def measure_window(stack: Stack, pools: dict[str, ViewerWorkers], driver: PriceDriver,
                         seconds: int) -> dict[str, Any]:
    """`seconds` of the driver's moves, then GRACE; per pool: latency, delivery and the pools' counters."""
    async with client(stack.app.url) as probe:
        for pool in pools.values():
            await pool.reset()
        driver.reset()
        figures_before = await stream_figures(probe)
        start = time.time()
        cpu = CpuMeter(stack.app.pid, stack.replica.pid)
        sampler = HealthSampler(probe)
        sampling = asyncio.create_task(sampler.run(seconds + GRACE))
        await asyncio.sleep(seconds)
        sent = driver.sent_between(start, time.time())
        await asyncio.sleep(GRACE)
        cpu_percent = cpu.stop()
        await sampling
        figures = await stream_figures(probe)
    result: dict[str, Any] = {
        'changes': len(sent), 'cpu_percent': cpu_percent, 'driver_failures': driver.failures,
        'lag_p99_ms': round(percentile(sampler.reported_lag_ms or sampler.rtt_ms, 99), 1),
        'sse_consumers_by_app': figures['consumers'], 'sse_cut_offs': figures['cut_offs_total'],
        'sse_events_sent': figures['events_sent_total'] - figures_before['events_sent_total'], 'kinds': {}}
    for kind, pool in pools.items():
        collected = await pool.collect()
        parts = viewer_latencies(sent, collected)
        result['kinds'][kind] = {
            'count': pool.count, 'expected': pool.count * len(sent), 'delivered': len(parts['total']),
            'latency': summary_ms(parts['total']), 'app_latency': summary_ms(parts['app']),
            'source_latency': summary_ms(parts['source']), 'open': collected['open'], 'ended': collected['ended'],
            'ended_reasons': collected['ended_reasons'], 'frames': collected['frames'], 'pings': collected['pings'],
            'latency_s_sample': parts['total'][:: max(1, len(parts['total']) // 2000)]}
    return result


def row(measured: str, window: dict[str, Any], kind: str, cpu_before: float | None, mb_each: float | None,
        targeted: bool = False) -> dict[str, Any]:
    """`targeted`: the issue's targets apply (the SSE consumers measured alone)."""
    figures = window['kinds'][kind]
    latency = figures['latency']
    server = window['cpu_percent']['server']
    delivered = round(100 * figures['delivered'] / figures['expected'], 2) if figures['expected'] else 0.0
    met = '-'
    if targeted and mb_each is not None:
        met = 'yes' if latency['p99_ms'] <= TARGET_P99_MS and mb_each <= TARGET_MB_EACH and delivered >= 99.9 else 'no'
    return {'measured': measured, 'count': figures['count'], 'p50_ms': latency['p50_ms'], 'p99_ms': latency['p99_ms'],
            'delivered_%': delivered, 'server_cpu_%': server,
            'their_cpu_%': None if cpu_before is None else round(server - cpu_before, 1),
            'server_mb_each': None if mb_each is None else round(mb_each, 4),
            'target': f'p99 <= {TARGET_P99_MS} ms, <= {TARGET_MB_EACH} MB' if targeted else '-',
            'met': met, 'app_p99_ms': figures['app_latency']['p99_ms'],
            'source_p99_ms': figures['source_latency']['p99_ms'], 'loop_lag_p99_ms': window['lag_p99_ms'],
            'other_cpu_%': window['cpu_percent']['others']}


async def measure(consumers: int, window: int, symbols: list[str]) -> tuple[list[dict], dict]:
    workers = worker_count(consumers)
    raw: dict[str, Any] = {'loadavg_at_start': os.getloadavg(), 'symbols': symbols, 'consumers': consumers,
                           'window_s': window, 'grace_s': GRACE, 'worker_processes_per_kind': workers,
                           'connects': {}, 'memory': {}, 'windows': {}}
    rows: list[dict] = []
    stack = Stack().start()
    viewers: ViewerWorkers | None = None
    sse: SseWorkers | None = None
    driver: PriceDriver | None = None
    try:
        async with client(stack.replica.url) as replica, client(stack.app.url) as app:
            viewers = await first_viewer(stack, app, symbols, workers, True)
            driver = PriceDriver(replica, symbols)
            await driver.prepare()
            driver.start()
            await asyncio.sleep(3)
            sse = SseWorkers(stack.app.url, symbols, workers=workers, concurrency=SSE_CONCURRENCY)

            baseline = await measure_window(stack, {'page viewers': viewers}, driver, max(5, window // 2))
            raw['windows']['baseline'] = baseline
            raw['memory']['baseline'] = base_mem = memory_mb(stack.app.pid)

            raw['connects']['sse'] = connect = await sse.connect_to(consumers, timeout=600)
            print(f'stream: {consumers} SSE consumers connected: {connect}', flush=True)
            await asyncio.sleep(3)
            alone = await measure_window(stack, {'sse': sse}, driver, window)
            raw['windows']['sse alone'] = alone
            raw['memory']['sse'] = sse_mem = memory_mb(stack.app.pid)
            per_consumer = (sse_mem['server_uss_mb'] - base_mem['server_uss_mb']) / consumers
            rows.append(row('SSE consumers, alone', alone, 'sse', baseline['cpu_percent']['server'], per_consumer,
                            targeted=True))
            print(f'stream: {rows[-1]}', flush=True)

            raw['connects']['viewers'] = connect = await viewers.connect_to(consumers, timeout=900)
            print(f'stream: {consumers} page viewers connected: {connect}', flush=True)
            await asyncio.sleep(3 if consumers < 500 else 6)
            both = await measure_window(stack, {'sse': sse, 'page viewers': viewers}, driver, window)
            raw['windows']['both'] = both
            raw['memory']['both'] = both_mem = memory_mb(stack.app.pid)
            per_viewer = (both_mem['server_uss_mb'] - sse_mem['server_uss_mb']) / max(1, consumers - 1)
            rows.append(row('page viewers, beside the SSE consumers', both, 'page viewers',
                            alone['cpu_percent']['server'], per_viewer))
            rows.append(row('SSE consumers, beside the page viewers', both, 'sse', None, None))
            for line in rows[1:]:
                print(f'stream: {line}', flush=True)
            await driver.stop()
    finally:
        if driver is not None:
            with contextlib.suppress(Exception):
                await driver.stop()
        for pool in (sse, viewers):
            if pool is not None:
                await pool.close()
        raw['stop'] = stack.stop()
    return rows, raw


def run(size: str = 'full') -> tuple[list[dict], dict]:
    spec = SIZES['smoke' if size == 'smoke' else 'full']
    return asyncio.run(measure(spec.consumers, spec.window, list(spec.symbols)))


if __name__ == '__main__':  # python -m bench.stream [consumers [window_s]]: a quick look at a chosen size
    count = int(sys.argv[1]) if len(sys.argv) > 1 else SIZES['full'].consumers
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    table, _ = asyncio.run(measure(count, seconds, SYMBOLS))
    for line in table:
        print(line)
