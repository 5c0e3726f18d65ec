"""History: what one symbol's history costs in memory, and what reading it costs, full and empty.

A full day is the worst case PriceHistory allows: one price a second for 24 h and BARS_KEPT bars. Memory is
measured twice, side by side: the arrays' own count (PriceHistory.nbytes) and tracemalloc around building
it, against the same history kept as a list of Python tuples (what the arrays replace). Reading is timed as
the app does it: a card's sparkline (each page that shows the symbol), the API's snapshot and its JSON.
"""
from __future__ import annotations

import json
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import orjson

from bench.common import percentile
from market.history import BARS_KEPT, TICKS_KEPT, PriceHistory

SIZES = {'full': {'ticks': TICKS_KEPT, 'repeats': 50}, 'smoke': {'ticks': 3_600, 'repeats': 5}}
RUNS_TABLE = (('measure', 'ticks'), ('value', 'p50_ms', 'p99_ms'))
START = 1_790_000_000.0


def _filled(ticks: int) -> PriceHistory:
    history, price, rng = PriceHistory(), 67_000.0, random.Random(1)
    history.set_series([(START - (BARS_KEPT - i) * 300, price, price, price, price, 1.0) for i in range(BARS_KEPT)],
                       300)
    for second in range(ticks):
        price *= 1 + rng.uniform(-1e-4, 1e-4)
        history.record(START + second, price)
    return history


def _allocated(build: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    built = build()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return built, after - before


def _timed(work: Callable[[], Any], repeats: int) -> dict[str, float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return {'p50_ms': round(statistics.median(samples), 3), 'p99_ms': round(percentile(samples, 99), 3)}


def run(size: str = 'full') -> tuple[list[dict], dict]:
    ticks, repeats = SIZES[size]['ticks'], SIZES[size]['repeats']
    history, traced = _allocated(lambda: _filled(ticks))
    as_tuples, tuples_traced = _allocated(lambda: ([tuple(t) for t in history.ticks()],
                                                   [tuple(b) for b in history.bars()]))
    now = START + ticks
    rows = [
        {'measure': 'history bytes (arrays, nbytes)', 'ticks': ticks, 'value': history.nbytes},
        {'measure': 'history bytes (arrays, tracemalloc)', 'ticks': ticks, 'value': traced},
        {'measure': 'same history as Python tuples (tracemalloc)', 'ticks': ticks, 'value': tuples_traced},
        {'measure': 'card sparkline', 'ticks': ticks, 'value': len(history.sparkline(now).points),
         **_timed(lambda: history.sparkline(now), repeats)},
        {'measure': 'API snapshot, json (bytes)', 'ticks': ticks,
         'value': len(json.dumps(history.snapshot())), **_timed(lambda: json.dumps(history.snapshot()), repeats)},
        {'measure': 'API snapshot, orjson (bytes)', 'ticks': ticks,
         'value': len(orjson.dumps(history.snapshot())), **_timed(lambda: orjson.dumps(history.snapshot()), repeats)},
        {'measure': 'cluster snapshot, orjson (bytes, 15 min of prices)', 'ticks': ticks,
         'value': len(orjson.dumps(history.snapshot(now - 900))),
         **_timed(lambda: orjson.dumps(history.snapshot(now - 900)), repeats)},
    ]
    del as_tuples
    return rows, {'ticks': ticks, 'bars': len(history.bars())}
