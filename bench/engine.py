"""The price engine alone, in its own process behind prices.LocalPrices: source change -> entry change on the
caller's loop (hand-over included), subscribe -> first price, memory per tab, and source change -> engine when
1, 5 or 10 tabs move in the same instant (as `bench fanout` moves all ten of its symbols every second: each
frame's DevTools event comes from its tab's renderer, so the last of a burst waits for the others' renderers)."""
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
BURSTS = (1, 5, 10)  # tabs moved in the same instant


async def measure(changes: int = 100, tabs: int = 20, bursts: int = 30) -> tuple[list[dict], dict]:
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
            together = {size: await _burst_latency(control, list(entries.values())[:size], arrivals, bursts)
                        for size in BURSTS if size <= tabs}
    finally:
        await engine.stop()
        replica.stop()
    per_tab = (memory[max(memory)] - memory[1]) / max(1, max(memory) - 1)
    rows = [
        {'measure': 'replica change -> engine took it', **summary_ms(idle['engine'])},
        {'measure': 'replica change -> entry change on this loop', **summary_ms(idle['loop'])},
        {'measure': f'the same, this loop {BUSY:.0%} busy: -> engine', **summary_ms(busy['engine'])},
        {'measure': f'the same, this loop {BUSY:.0%} busy: -> this loop', **summary_ms(busy['loop'])},
        *({'measure': f'{size} tabs moved in the same instant: -> engine', **summary_ms(samples)}
          for size, samples in together.items()),
        {'measure': 'subscribe -> first price (cold tab)', **summary_ms(first_price)},
        {'measure': 'Chromium memory per extra tab (MB)', 'n': len(memory), 'value': round(per_tab, 1)},
    ]
    return rows, {'latency_s': idle, 'busy_latency_s': busy, 'busy_fraction': BUSY, 'first_price_s': first_price,
                  'chromium_mb_by_tabs': memory, 'burst_latency_s': together}


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


async def _burst_latency(control: httpx.AsyncClient, entries: list[PriceEntry], arrivals: dict,
                         rounds: int) -> list[float]:
    """Every one of `entries` moved at once, `rounds` times a second apart: replica change -> engine took it.
    Each step is 0.1 % above the symbol's price before the first (6 significant digits: a coin worth a
    millionth of a dollar moves too), so no price repeats one the engine already had."""
    first: dict[str, float] = {}
    for entry in entries:
        assert entry.price is not None, entry.symbol  # live: the subscribe waited for its first price
        first[entry.symbol] = entry.price
    samples: list[float] = []
    for step in range(1, rounds + 1):
        moves = [control.post('/_replica/price', json={'symbol': replica_ticker(symbol),
                                                       'price': float(f'{price * (1 + 0.001 * step):.6g}')})
                 for symbol, price in first.items()]
        sent = [(symbol, body['price'], body['sent_at'])
                for symbol, body in zip(first, [r.json() for r in await asyncio.gather(*moves)], strict=True)]
        await eventually(lambda: all((symbol, price) in arrivals for symbol, price, _ in sent), 10,
                         f'a burst of {len(sent)} changes to reach the engine')
        samples += [arrivals[(symbol, price)][1] - sent_at for symbol, price, sent_at in sent]
        await asyncio.sleep(1.0)  # pacing, as bench fanout's ticks: each burst meets an engine done with the last
    return samples


def run(size: str = 'full') -> tuple[list[dict], dict]:
    return asyncio.run(measure(changes=10, tabs=3, bursts=3) if size == 'smoke' else measure())
