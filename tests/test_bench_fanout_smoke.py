"""`python -m bench fanout memory --smoke` still runs end to end and writes sane rows.

The smoke sizes are tiny (5 simulated viewers, 3 symbols, seconds of measuring): this proves the harness,
the simulated viewers' protocol and the memory probes work, not that the targets are met. Results go to a
temporary directory, so the committed full-size results in bench/results/ are left alone.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 150  # seconds; about 60 on an idle 2-core machine

RUN_WITH_RESULTS_DIR = (
    'import pathlib, runpy, sys\n'
    'import bench.common\n'
    'bench.common.RESULTS = pathlib.Path(sys.argv[1])\n'
    "sys.argv = ['bench', *sys.argv[2:]]\n"
    "runpy.run_module('bench', run_name='__main__')\n"
)


@pytest.mark.e2e
@pytest.mark.timeout(DEADLINE + 30)
def test_fanout_and_memory_smoke(tmp_path: Path) -> None:
    try:
        done = subprocess.run([sys.executable, '-c', RUN_WITH_RESULTS_DIR, str(tmp_path), 'fanout', 'memory', '--smoke'],
                              cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE)
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f'the smoke run took over {DEADLINE} s\n{expired.stdout or ""}\n{expired.stderr or ""}')
    assert done.returncode == 0, f'{done.stdout[-3000:]}\n{done.stderr[-3000:]}'

    fanout = json.loads((tmp_path / 'fanout.json').read_text())
    [row] = fanout['rows']
    window = fanout['raw']['windows'][0]
    assert row['viewers'] == 5
    assert window['latency']['n'] > 0, 'no viewer received a price'
    assert window['delivered'] > 0 and row['delivered_%'] > 50, row
    assert 0 < row['p50_ms'] <= row['p99_ms'] < 5000, row
    assert window['changes'] >= 3 * 4, 'the driver moved too few prices'
    assert row['server_cpu_%'] >= 0 and not math.isnan(row['loop_lag_p99_ms'])

    memory = json.loads((tmp_path / 'memory.json').read_text())
    steps = memory['raw']['steps']
    assert [(s['symbols'], s['viewers'], s['viewer_kind']) for s in steps] == [
        (0, 0, 'none'), (1, 1, 'browser'), (3, 1, 'browser'), (3, 1, 'browser pages'), (3, 2, 'browser pages'),
        (3, 1, 'simulated'), (3, 5, 'simulated')]
    assert all(s['server_rss_mb'] > 10 and s['chromium_processes'] > 0 for s in steps), steps
    # every symbol is a Chromium tab: three cost more Chromium memory than one
    assert steps[2]['chromium_pss_mb'] > steps[1]['chromium_pss_mb'], steps
    assert memory['raw']['per_extra_symbol_mb']['chromium_pss_mb'] is not None
