"""The price engine alone: source change -> entry change, subscribe -> first price, memory per tab."""
from __future__ import annotations

import asyncio
import time

import httpx

from bench.common import chromium_rss_mb, summary_ms
from scraper import PriceEngine, PriceEntry, Settings, Status
from tests.replica import ReplicaServer
from tests.replica.universe import default_universe

SYMBOLS = sorted(t for t in default_universe() if t.endswith('USD'))[:50]


async def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError('benchmark condition not met in time')
        await asyncio.sleep(0.005)


async def measure(changes: int = 100, tabs: int = 20) -> tuple[list[dict], dict]:
    replica = ReplicaServer(tick_interval=0)
    replica.start()
    engine = PriceEngine(Settings(headless=True, tradingview_url=replica.url, max_symbols=tabs))
    await engine.start()
    arrivals: dict[float, float] = {}
    engine.on_price(lambda entry: arrivals.setdefault(entry.price, time.time()))
    try:
        async with httpx.AsyncClient(base_url=replica.url) as control:
            idle_mb = chromium_rss_mb()
            first_price = []
            memory = {0: idle_mb}
            for count, symbol in enumerate(SYMBOLS[:tabs], start=1):
                started = time.perf_counter()
                entry = engine.subscribe(symbol)
                await wait_for(lambda: entry.status == Status.LIVE.value)
                first_price.append(time.perf_counter() - started)
                if count in (1, 10, 20):
                    memory[count] = chromium_rss_mb()
            latency = await _change_latency(control, engine.entry(SYMBOLS[0]), arrivals, changes)
    finally:
        await engine.stop()
        replica.stop()
    per_tab = (memory[max(memory)] - memory[1]) / max(1, max(memory) - 1)
    rows = [
        {'measure': 'replica change -> entry change', **summary_ms(latency)},
        {'measure': 'subscribe -> first price (cold tab)', **summary_ms(first_price)},
        {'measure': 'Chromium memory per extra tab (MB)', 'n': len(memory), 'p50_ms': None,
         'value': round(per_tab, 1)},
    ]
    return rows, {'latency_s': latency, 'first_price_s': first_price, 'chromium_mb_by_tabs': memory}


async def _change_latency(control: httpx.AsyncClient, entry: PriceEntry, arrivals: dict, changes: int) -> list[float]:
    samples = []
    base = entry.price
    for i in range(changes):
        price = round(base + (i + 1) * 0.01 * (1 if i % 2 else -1) + i * 0.37, 2)
        response = await control.post('/_replica/price', json={'symbol': entry.symbol, 'price': price})
        sent_at = response.json()['sent_at']
        await wait_for(lambda: price in arrivals, timeout=10)
        samples.append(arrivals[price] - sent_at)
    return samples


def run(size: str = 'full') -> tuple[list[dict], dict]:
    return asyncio.run(measure(changes=10, tabs=3) if size == 'smoke' else measure())
