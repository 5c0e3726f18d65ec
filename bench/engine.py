"""The price engine alone, on its own thread behind prices.LocalPrices: source change -> entry change on the
caller's loop (hand-over included), subscribe -> first price, memory per tab."""
from __future__ import annotations

import asyncio
import os
import time

import httpx

from bench.common import replica_ticker, summary_ms
from bench.resources import memory_mb
from harness.waiting import eventually
from market.entry import PriceEntry, Status
from prices import LocalPrices
from replica import ReplicaServer
from replica.universe import default_universe
from settings import Settings

SYMBOLS = sorted(t for t in default_universe() if t.endswith('USD'))[:50]
RUNS_TABLE = (('measure',), ('p50_ms', 'p99_ms', 'value'))
BUSY = 0.5


async def measure(changes: int = 100, tabs: int = 20) -> tuple[list[dict], dict]:
    replica = ReplicaServer(tick_interval=0)
    replica.start()
    engine = LocalPrices(Settings(headless=True, tradingview_url=replica.url, max_symbols=tabs))
    # The listener stamps each change as it happens (the waits below only notice it later): when this loop
    # got it, and when the engine took it from the page (updated_at, the engine process's clock).
    arrivals: dict[tuple[str, float], tuple[float, float]] = {}

    def stamp(entry: PriceEntry) -> None:
        if entry.price is not None and entry.updated_at is not None:  # a status change carries no new price
            arrivals.setdefault((entry.symbol, entry.price), (time.time(), entry.updated_at))
    engine.on_price(stamp)
    checkpoints = {1, max(1, tabs // 2), tabs}
    try:
        await engine.start()
        async with httpx.AsyncClient(base_url=replica.url) as control:
            first_price = []
            entries: dict[str, PriceEntry] = {}
            # the engine's Chromium runs below this process: PSS summed over it, as every scenario counts it
            memory = {0: memory_mb(os.getpid())['chromium_pss_mb']}
            for count, symbol in enumerate(SYMBOLS[:tabs], start=1):
                started = time.perf_counter()
                entry = entries[symbol] = engine.subscribe(symbol)
                await eventually(lambda: entry.status == Status.LIVE.value, 30, f'{symbol} live')
                first_price.append(time.perf_counter() - started)
                if count in checkpoints:
                    memory[count] = memory_mb(os.getpid())['chromium_pss_mb']
            idle = await _change_latency(control, entries[SYMBOLS[0]], arrivals, changes)
            busy = await _change_latency(control, entries[SYMBOLS[1]], arrivals, changes, busy=BUSY)
    finally:
        await engine.stop()
        replica.stop()
    per_tab = (memory[max(memory)] - memory[1]) / max(1, max(memory) - 1)
    rows = [
        {'measure': 'replica change -> engine took it', **summary_ms(idle['engine'])},
        {'measure': 'replica change -> entry change on this loop', **summary_ms(idle['loop'])},
        {'measure': f'the same, this loop {BUSY:.0%} busy: -> engine', **summary_ms(busy['engine'])},
        {'measure': f'the same, this loop {BUSY:.0%} busy: -> this loop', **summary_ms(busy['loop'])},
        {'measure': 'subscribe -> first price (cold tab)', **summary_ms(first_price)},
        {'measure': 'Chromium memory per extra tab (MB)', 'n': len(memory), 'value': round(per_tab, 1)},
    ]
    return rows, {'latency_s': idle, 'busy_latency_s': busy, 'busy_fraction': BUSY, 'first_price_s': first_price,
                  'chromium_mb_by_tabs': memory}


async def _change_latency(control: httpx.AsyncClient, entry: PriceEntry, arrivals: dict, changes: int,
                          busy: float = 0.0) -> dict[str, list[float]]:
    """With `busy`, this loop spends that share of its time in pure Python meanwhile, as a web server's loop
    fanning prices out does: the engine, in its own process, should not notice."""
    samples: dict[str, list[float]] = {'engine': [], 'loop': []}
    stop = asyncio.Event()
    burner = asyncio.create_task(_keep_busy(busy, stop)) if busy else None
    try:
        await _changes(control, entry, arrivals, changes, samples)
    finally:
        stop.set()
        if burner is not None:
            await burner
    return samples


async def _keep_busy(share: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        until = time.perf_counter() + 0.01 * share
        while time.perf_counter() < until:
            sum(i * i for i in range(200))
        await asyncio.sleep(0.01 * (1 - share))


async def _changes(control: httpx.AsyncClient, entry: PriceEntry, arrivals: dict, changes: int,
                   samples: dict[str, list[float]]) -> None:
    base = entry.price
    assert base is not None
    for i in range(changes):
        price = round(base + (i + 1) * 0.01 * (1 if i % 2 else -1) + i * 0.37, 2)
        response = await control.post('/_replica/price', json={'symbol': replica_ticker(entry.symbol),
                                                                'price': price})
        sent_at = response.json()['sent_at']
        key = (entry.symbol, price)
        await eventually(lambda: key in arrivals, 10, f'{key} to reach the entry')
        loop_at, engine_at = arrivals[key]
        samples['loop'].append(loop_at - sent_at)
        samples['engine'].append(engine_at - sent_at)
        await asyncio.sleep(0.03)  # changes 30 ms apart: each is timed alone


def run(size: str = 'full') -> tuple[list[dict], dict]:
    return asyncio.run(measure(changes=10, tabs=3) if size == 'smoke' else measure())
