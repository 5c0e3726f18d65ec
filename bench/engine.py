"""The price engine alone, on its own thread behind prices.LocalPrices: source change -> entry change on the
caller's loop (hand-over included), subscribe -> first price, memory per tab."""
from __future__ import annotations

import asyncio
import os
import time

import httpx

from bench.common import replica_ticker, summary_ms
from bench.resources import memory_mb
from prices import LocalPrices
from scraper import PriceEntry, Settings, Status
from tests.helpers import eventually
from tests.replica import ReplicaServer
from tests.replica.universe import default_universe

SYMBOLS = sorted(t for t in default_universe() if t.endswith('USD'))[:50]
RUNS_TABLE = (('measure',), ('p50_ms', 'p99_ms', 'value'))


async def measure(changes: int = 100, tabs: int = 20) -> tuple[list[dict], dict]:
    replica = ReplicaServer(tick_interval=0)
    replica.start()
    engine = LocalPrices(Settings(headless=True, tradingview_url=replica.url, max_symbols=tabs))
    # The listener stamps each change as it happens; the waits below only notice it later.
    arrivals: dict[tuple[str, float], float] = {}
    engine.on_price(lambda entry: arrivals.setdefault((entry.symbol, entry.price), time.time()))
    checkpoints = {1, max(1, tabs // 2), tabs}
    try:
        await engine.start()
        async with httpx.AsyncClient(base_url=replica.url) as control:
            first_price = []
            # the engine's Chromium runs below this process: PSS summed over it, as every scenario counts it
            memory = {0: memory_mb(os.getpid())['chromium_pss_mb']}
            for count, symbol in enumerate(SYMBOLS[:tabs], start=1):
                started = time.perf_counter()
                entry = engine.subscribe(symbol)
                await eventually(lambda: entry.status == Status.LIVE.value, 30, f'{symbol} live')
                first_price.append(time.perf_counter() - started)
                if count in checkpoints:
                    memory[count] = memory_mb(os.getpid())['chromium_pss_mb']
            latency = await _change_latency(control, engine.entry(SYMBOLS[0]), arrivals, changes)
    finally:
        await engine.stop()
        replica.stop()
    per_tab = (memory[max(memory)] - memory[1]) / max(1, max(memory) - 1)
    rows = [
        {'measure': 'replica change -> entry change', **summary_ms(latency)},
        {'measure': 'subscribe -> first price (cold tab)', **summary_ms(first_price)},
        {'measure': 'Chromium memory per extra tab (MB)', 'n': len(memory), 'value': round(per_tab, 1)},
    ]
    return rows, {'latency_s': latency, 'first_price_s': first_price, 'chromium_mb_by_tabs': memory}


async def _change_latency(control: httpx.AsyncClient, entry: PriceEntry, arrivals: dict, changes: int) -> list[float]:
    samples = []
    base = entry.price
    for i in range(changes):
        price = round(base + (i + 1) * 0.01 * (1 if i % 2 else -1) + i * 0.37, 2)
        response = await control.post('/_replica/price', json={'symbol': replica_ticker(entry.symbol),
                                                                'price': price})
        sent_at = response.json()['sent_at']
        key = (entry.symbol, price)
        await eventually(lambda: key in arrivals, 10, f'{key} to reach the entry')
        samples.append(arrivals[key] - sent_at)
    return samples


def run(size: str = 'full') -> tuple[list[dict], dict]:
    return asyncio.run(measure(changes=10, tabs=3) if size == 'smoke' else measure())
