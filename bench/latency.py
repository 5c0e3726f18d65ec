"""Scenario 'latency': replica price change -> new text in the DOM of every viewer page, in real browsers."""
from __future__ import annotations

from bench.browsers import LATENCY_SYMBOLS, latency_rows, measure_updates

P50_MS, P99_MS = 50, 150
PACE_S = 0.03  # one change every 30 ms, round-robin over the symbols: each symbol moves every 0.3 s
SIZES = {'full': {'symbols': 10, 'viewers': 10, 'changes': 1000},
         'smoke': {'symbols': 2, 'viewers': 2, 'changes': 10}}


def run(size: str = 'full') -> tuple[list[dict], dict]:
    sizes = SIZES[size]
    result = measure_updates(LATENCY_SYMBOLS[:sizes['symbols']], sizes['viewers'], sizes['changes'], PACE_S)
    note = f'{sizes["symbols"]} symbols x {sizes["viewers"]} pages, one change per {PACE_S * 1000:g} ms'
    rows = latency_rows('latency', 'push', result, target=f'p50 <= {P50_MS} ms, p99 <= {P99_MS} ms',
                        p50_max=P50_MS, p99_max=P99_MS, note=note)
    return rows, result.raw
