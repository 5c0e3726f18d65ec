"""Scenario 'polling': the 'latency' run twice in one go, pushed (ours) and polled every 1 s (the peers' way)."""
from __future__ import annotations

from bench.latency import PACE_S
from bench.page_updates import LATENCY_SYMBOLS, UpdateBench
from bench.reports import latency_rows

POLL_INTERVAL_S = 1.0
SIZES = {'full': {'symbols': 10, 'viewers': 10, 'changes': 200},
         'smoke': {'symbols': 2, 'viewers': 2, 'changes': 10}}
RUNS_TABLE = (('mode',), ('p50_ms', 'p99_ms', 'ratio'))


def run(size: str = 'full') -> tuple[list[dict], dict]:
    sizes = SIZES[size]
    symbols = LATENCY_SYMBOLS[:sizes['symbols']]
    note = (f'{sizes["changes"]} changes (latency makes more), same pacing: one per {PACE_S * 1000:g} ms; '
            f'{sizes["symbols"]} symbols x {sizes["viewers"]} pages, windows minimized')
    with UpdateBench(symbols, sizes['viewers']) as bench:
        push = bench.phase(sizes['changes'], PACE_S, drawn=False)
    with UpdateBench(symbols, sizes['viewers'], ('--bench-poll-interval', str(POLL_INTERVAL_S))) as bench:
        poll = bench.phase(sizes['changes'], PACE_S, drawn=False, settle_s=10 + 2 * POLL_INTERVAL_S)
    # The push phase is the reference for the ratio; the latency targets are judged in 'latency' (1000 changes).
    push_rows = latency_rows('polling', 'push', push, target=None, p50_max=None, p99_max=None, note=note)
    poll_rows = latency_rows('polling', f'poll every {POLL_INTERVAL_S:g} s', poll, target=None, p50_max=None,
                             p99_max=None, note=note)
    push_p50, poll_p50 = push_rows[0]['p50_ms'], poll_rows[0]['p50_ms']
    ratio = round(poll_p50 / push_p50, 1) if push_p50 else float('nan')
    ratio_row = {'scenario': 'polling', 'mode': 'ratio of medians: poll p50 / push p50', 'n': None,
                 'p50_ms': None, 'p95_ms': None, 'p99_ms': None, 'max_ms': None, 'target': 'push faster',
                 'met': 'yes' if ratio > 1 else 'no', 'note': f'{ratio}x', 'ratio': ratio}
    rows = [push_rows[0], poll_rows[0], ratio_row, *push_rows[1:], *poll_rows[1:]]
    return rows, {'push': push.raw, 'poll': poll.raw, 'poll_interval_s': POLL_INTERVAL_S, 'ratio_p50': ratio}
