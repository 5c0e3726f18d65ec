"""What every scenario shares: the machine it ran on, symbol names, percentiles, a printed table, a JSON file."""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psutil

RESULTS = Path(__file__).parent / 'results'
# The replica's controls take a bare ticker and mean this exchange; the app names a symbol EXCHANGE:TICKER.
EXCHANGE = 'BINANCE'


def app_symbol(ticker: str) -> str:
    """The app's name for a replica ticker: `s` of its socket messages, /api/tickers rows, a card's data-symbol."""
    return f'{EXCHANGE}:{ticker}'


def replica_ticker(symbol: str) -> str:
    """Back from the app's name to the replica's ticker (a bare ticker, as the app named symbols before, stays)."""
    return symbol.rpartition(':')[2]


def machine() -> dict[str, Any]:
    chromium = os.environ.get('CHROMIUM_PATH') or 'chromium'
    try:
        chromium_version = subprocess.run([chromium, '--version'], capture_output=True, text=True,
                                          timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        chromium_version = 'unknown'
    return {
        'cores': psutil.cpu_count(), 'memory_gib': round(psutil.virtual_memory().total / 2**30, 1),
        'cpu': platform.processor() or platform.machine(), 'python': platform.python_version(),
        'nicegui': version('nicegui'), 'playwright': version('playwright'), 'chromium': chromium_version,
        'date': time.strftime('%Y-%m-%d %H:%M:%S %Z'),
    }


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float('nan')
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(samples_s: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {'n': len(ms), 'p50_ms': round(statistics.median(ms), 2) if ms else float('nan'),
            'p95_ms': round(percentile(ms, 95), 2), 'p99_ms': round(percentile(ms, 99), 2),
            'max_ms': round(max(ms), 2) if ms else float('nan')}


def save(scenario: str, rows: list[dict[str, Any]], raw: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f'{scenario}.json'
    path.write_text(json.dumps({'scenario': scenario, 'machine': machine(), 'rows': rows, 'raw': raw}, indent=1))
    return path


def print_table(scenario: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(dict.fromkeys(key for row in rows for key in row))
    widths = {c: max(len(c), *(len(_cell(row.get(c))) for row in rows)) for c in columns}
    print(f'\n== {scenario}')
    print('  '.join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print('  '.join(_cell(row.get(c)).ljust(widths[c]) for c in columns))


def _cell(value: Any) -> str:
    return f'{value:.2f}' if isinstance(value, float) else '' if value is None else str(value)
