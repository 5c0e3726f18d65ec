"""The report: a scenario's measurements as table rows, and several runs of one scenario side by side."""
from __future__ import annotations

import math
from typing import Any

from bench.app_metrics import HISTOGRAM
from bench.common import percentile, summary_ms
from bench.latency_joins import LatencyRun


def latency_rows(scenario: str, mode: str, run: LatencyRun, *, target: str | None, p50_max: float | None,
                 p99_max: float | None, note: str = '', breakdown: bool = True) -> list[dict[str, Any]]:
    stats = summary_ms(run.dom_s)
    met = None
    if p50_max is not None and p99_max is not None:
        met = 'yes' if (run.missing == 0 and stats['p50_ms'] <= p50_max and stats['p99_ms'] <= p99_max) else 'no'
    notes = [note] if note else []
    cores = {name: round(percent / 100, 2) for name, percent in run.raw['cpu_percent_while_sending'].items()}
    app_chromium = round(cores['chromium'] + cores['driver'], 2)
    cpu = f'viewers {cores["viewers"]}, app {cores["server"]}+{app_chromium} (Chromium), all {cores["machine"]}'
    if cores['others'] > 0.2:
        notes.append(f'other programs used {cores["others"]} cores meanwhile: numbers skewed')
    if run.missing:
        notes.append(f'{run.missing} of {run.expected} never shown')
    if run.superseded:
        notes.append(f'{run.superseded} of {run.expected} skipped (a newer price showed first)')
    if unpushed := len(run.raw['changes_unpushed_no_socket']):
        notes.append(f'{unpushed} changes found no open source socket (app tab reloading)')
    rows = [{'scenario': scenario, 'mode': mode, **stats, 'target': target or '-', 'met': met or '-',
             'cpu_cores': cpu, 'note': '; '.join(notes)}]
    if breakdown:
        histogram = run.raw['app_push_histogram']
        rows += [
            {'scenario': scenario, 'mode': f'{mode} | part: replica -> app engine', **summary_ms(run.engine_s),
             'target': '-', 'met': '-', 'note': "the `t` stamp in the app's price message"},
            {'scenario': scenario, 'mode': f'{mode} | part: replica -> viewer JS gets the message',
             **summary_ms(run.wire_s), 'target': '-', 'met': '-', 'note': 'the DOM time minus Vue applying it'},
            {'scenario': scenario, 'mode': f'{mode} | app metric {HISTOGRAM}', 'n': int(histogram['count']),
             'p50_ms': histogram['p50_at_most_ms'], 'p95_ms': None, 'p99_ms': None, 'max_ms': None,
             'target': '-', 'met': '-', 'note': f'mean {histogram["mean_ms"]} ms; p50 is a bucket bound'},
        ]
    return rows


def fanout_row(window: dict[str, Any], per_viewer_mb: float | None,
               target_p99_ms: float | None = None) -> dict[str, Any]:
    cpu = window['cpu_percent']
    delivered = round(100 * window['delivered'] / window['expected'], 2) if window['expected'] else 0.0
    p99 = window['latency']['p99_ms']
    met = '-' if target_p99_ms is None else 'yes' if p99 <= target_p99_ms and delivered == 100 else 'no'
    # The server's CPU seconds in the window over the frames the viewers received in it (pings included).
    cpu_seconds = cpu['server'] / 100 * window['cpu_seconds_measured']
    per_frame = round(cpu_seconds / window['frames'] * 1e6, 1) if window['frames'] else None
    return {
        'viewers': window['viewers'], 'connected': window['open_viewers'], 'measured': window['measured_viewers'],
        'replaced': window.get('replaced_before', 0),
        'p50_ms': window['latency']['p50_ms'], 'p99_ms': p99,
        'target_p99_ms': target_p99_ms if target_p99_ms is not None else '-', 'met': met,
        'delivered_%': delivered, 'frames_per_s': round(window['frames'] / window['cpu_seconds_measured']),
        'server_cpu_%': cpu['server'], 'server_us_per_frame': per_frame, 'viewers_cpu_%': cpu['viewers'],
        'loop_lag_p99_ms': window['lag_p99_ms'],
        'health_rtt_p99_ms': round(percentile(window['health_rtt_ms'], 99), 1),
        'server_mb_per_viewer': None if per_viewer_mb is None else round(per_viewer_mb, 3),
        'chromium_cpu_%': cpu['chromium'], 'pw_driver_cpu_%': cpu['driver'],
        # where p99 goes: source -> the app's receipt (Chromium, scraper), and the app's receipt -> viewer
        'source_p99_ms': window['source_latency']['p99_ms'], 'app_p99_ms': window['app_latency']['p99_ms'],
        'other_cpu_%': cpu['others'], 'machine_cpu_%': cpu['machine'],
        'load_1m': round(max(window['loadavg_before'][0], window['loadavg_after'][0]), 2),
    }


def runs_table(runs: list[list[dict[str, Any]]], keys: tuple[str, ...],
               values: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each run's `values` of each row, then their spread (min-max) across the runs. Rows are matched by
    position: a scenario makes the same rows in the same order every run; `keys` name them."""
    table = []
    for same in zip(*runs, strict=False):
        label = {key: same[0].get(key) for key in keys}
        table += [{**label, 'run': number, **{v: row.get(v) for v in values}} for number, row in enumerate(same, 1)]
        table.append({**label, 'run': 'min-max', **{v: _spread([row.get(v) for row in same]) for v in values}})
    return table


def _spread(values: list[Any]) -> str | None:
    numbers = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    return f'{min(numbers):g}-{max(numbers):g}' if numbers else None
