"""Scenario 'latency': replica price change -> new text in the DOM of every viewer page, in real browsers.

The main row has the viewer windows minimized: Chromium keeps each page's DOM, scripts and socket going
but draws nothing, so 10 viewers' painting does not eat the 2 cores the app itself needs (a real viewer
paints on their own machine). A second, shorter phase on the same pages draws them, to show that cost.
"""
from __future__ import annotations

from bench.page_updates import LATENCY_SYMBOLS, UpdateBench
from bench.reports import latency_rows

P50_MS, P99_MS = 50, 150
TARGET = f'p50 <= {P50_MS} ms, p99 <= {P99_MS} ms'
PACE_S = 0.05  # one change every 50 ms round-robin over the symbols (20 a second): each symbol every 0.5 s
SIZES = {'full': {'symbols': 10, 'viewers': 10, 'changes': 1000, 'drawn_changes': 200},
         'smoke': {'symbols': 2, 'viewers': 2, 'changes': 10, 'drawn_changes': 10}}
RUNS_TABLE = (('mode',), ('p50_ms', 'p99_ms', 'max_ms'))


def run(size: str = 'full') -> tuple[list[dict], dict]:
    sizes = SIZES[size]
    setup = f'{sizes["symbols"]} symbols x {sizes["viewers"]} pages, one change per {PACE_S * 1000:g} ms'
    with UpdateBench(LATENCY_SYMBOLS[:sizes['symbols']], sizes['viewers']) as bench:
        hidden = bench.phase(sizes['changes'], PACE_S, drawn=False)
        drawn = bench.phase(sizes['drawn_changes'], PACE_S, drawn=True)
    rows = [*latency_rows('latency', 'push, viewer windows minimized', hidden, target=TARGET, p50_max=P50_MS,
                          p99_max=P99_MS, note=setup),
            *latency_rows('latency', 'push, viewer windows drawn', drawn, target=None, p50_max=None, p99_max=None,
                          note=f'{setup}; same pages, {sizes["drawn_changes"]} changes, painting on this machine',
                          breakdown=False)]
    return rows, {'minimized': hidden.raw, 'drawn': drawn.raw}
