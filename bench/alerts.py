"""Alerts: what a price costs to check against every armed alert of its symbol, and what alerts cost in memory.

The real Book (alerts/book.py) with real Alert objects, in this process: 10,000 armed alerts on 10 symbols
(per symbol 400 above, 400 below, 200 % moves over the three windows), prices walking by ~0.01 % a tick, so
that now and then a level is crossed and fires (and every-time alerts re-arm), as markets do. Each tick is
timed alone (perf_counter_ns around `book.tick`). The same at 1,000 and 100,000 alerts shows how the cost
grows with n (bisection: it should barely move). Memory is tracemalloc's count of what building the alerts
and the book allocated, per alert. Loading 10,000 alerts from SQLite (what a restart does) is timed too.
"""
from __future__ import annotations

import asyncio
import gc
import random
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from alerts.book import Book
from alerts.model import ABOVE, BELOW, DIRECTIONS, MOVE, WINDOWS, Alert, AlertSpec, Condition, Webhook
from alerts.store_sqlite import SqliteStore
from bench.common import percentile
from cryptoui.collector import THRESHOLDS


@dataclass(frozen=True)
class Size:
    alerts: tuple[int, ...]  # alerts armed, step by step
    ticks: int  # prices checked against them at each step


SIZES = {'full': Size((1_000, 10_000, 100_000), 100_000), 'smoke': Size((1_000,), 5_000)}
RUNS_TABLE = (('measure', 'alerts'), ('p50_us', 'p99_us', 'value'))
# Each tick is timed alone: the collector's pauses and the machine's other work land in a few samples, the max.
SYMBOLS = 10
START = 1_790_000_000.0


def _alerts(count: int, symbols: list[str], prices: dict[str, float], rng: random.Random,
            moves: bool = True) -> list[Alert]:
    made = []
    hook = Webhook('https://discord.com/api/webhooks/123456789012345678/' + 'x' * 68, 'discord')
    for n in range(count):
        symbol = symbols[n % len(symbols)]
        share = (n // len(symbols)) % (10 if moves else 8)
        price = prices[symbol]
        if share < 4:
            condition = Condition(ABOVE, round(price * (1 + rng.uniform(0.001, 0.2)), 2))
        elif share < 8:
            condition = Condition(BELOW, round(price * (1 - rng.uniform(0.001, 0.2)), 2))
        else:
            condition = Condition(MOVE, round(rng.uniform(0.5, 10), 2), rng.choice(DIRECTIONS),
                                  rng.choice(list(WINDOWS)))
        spec = AlertSpec(symbol, condition, repeat=n % 3 == 0, cooldown=300, note='take profit' if n % 2 else '',
                         webhook=hook if n % 4 == 0 else None)
        made.append(Alert(f'{n:016x}', f'browser-{n % 500}', spec, created_at=START))
    return made


def _built(count: int, moves: bool = True) -> tuple[Book, list[str], dict[str, float], int]:
    rng = random.Random(count)
    symbols = [f'BINANCE:COIN{n}USD' for n in range(SYMBOLS)]
    prices = {symbol: 100.0 * (n + 1) for n, symbol in enumerate(symbols)}
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    book = Book()
    for alert in _alerts(count, symbols, prices, rng, moves):
        book.add(alert, START)
    allocated = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return book, symbols, prices, allocated


def _ticks(book: Book, symbols: list[str], prices: dict[str, float], ticks: int) -> dict[str, Any]:
    rng = random.Random(7)
    samples: list[float] = []
    fired = 0
    for n in range(ticks):
        symbol = symbols[n % len(symbols)]
        prices[symbol] *= 1 + rng.gauss(0, 1e-4)
        at = START + n / len(symbols)
        started = time.perf_counter_ns()
        fired += len(book.tick(symbol, prices[symbol], at))
        samples.append((time.perf_counter_ns() - started) / 1000)
    return {'samples_us': samples, 'fired': fired}


def _load_time(count: int) -> float:
    """Seconds to read `count` alerts back from SQLite, as a restart does."""
    async def load() -> float:
        with tempfile.TemporaryDirectory() as directory:
            store = SqliteStore(Path(directory) / 'alerts.sqlite3')
            await store.start()
            book, symbols, prices, _ = _built(count)
            for alert in book.alerts.values():
                await store.put(alert)
            started = time.perf_counter()
            loaded = await store.load()
            took = time.perf_counter() - started
            await store.stop()
            assert len(loaded) == count
            return took
    return asyncio.run(load())


def run(size: str = 'full') -> tuple[list[dict], dict]:
    gc.set_threshold(*THRESHOLDS)  # the app's (cryptoui/collector.py); it also freezes survivors, not done here
    rows, raw = [], {'load_before': psutil.getloadavg()}
    for count in SIZES[size].alerts:
        for moves in (True, False):
            book, symbols, prices, allocated = _built(count, moves)
            armed = len(book)
            result = _ticks(book, symbols, prices, SIZES[size].ticks)
            samples = result['samples_us']
            kind = 'levels and moves' if moves else 'levels only'
            rows.append({'measure': f'a tick (book.tick), {kind}', 'alerts': count,
                         'p50_us': round(statistics.median(samples), 2), 'p99_us': round(percentile(samples, 99), 2),
                         'value': round(max(samples), 1),
                         'note': f'max in value; {len(samples)} ticks, {result["fired"]} firings, {armed} armed'})
            if moves:
                rows.append({'measure': 'memory per alert (bytes)', 'alerts': count, 'p50_us': None, 'p99_us': None,
                             'value': round(allocated / count),
                             'note': f'{allocated / 2**20:.1f} MiB for all (tracemalloc)'})
            raw[f'{count} {kind}'] = {'tick_us': {'p50': statistics.median(samples), 'p90': percentile(samples, 90),
                                                  'p99': percentile(samples, 99), 'max': max(samples)},
                                      'allocated_bytes': allocated, 'fired': result['fired'], 'armed': armed}
    load_count = 10_000 if size == 'full' else 1_000
    took = _load_time(load_count)
    rows.append({'measure': 'load from SQLite at start (ms)', 'alerts': load_count, 'p50_us': None, 'p99_us': None,
                 'value': round(took * 1000, 1), 'note': 'one run'})
    raw['load_ms'] = took * 1000
    raw['load_after'] = psutil.getloadavg()
    return rows, raw
