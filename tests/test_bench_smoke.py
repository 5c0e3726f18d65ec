"""`python -m bench ... --smoke` still runs end to end and writes sane rows.

Smoke sizes are tiny (2-3 symbols, a few viewer pages or simulated viewers, seconds of measuring): this
proves the harness, the in-page probe, the simulated viewers' protocol, the timing joins and the memory
probes work, not that the targets are met. Results go to a temporary directory, so the committed full-size
results in bench/results/ are left alone.
"""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from launcher.app_process import ROOT

# seconds; about 50 (latency add polling) and 60 (fanout memory) on an idle 2-core machine
DEADLINE = 150

RUN_WITH_RESULTS_DIR = (
    'import pathlib, runpy, sys\n'
    'import bench.common\n'
    'bench.common.RESULTS = pathlib.Path(sys.argv[1])\n'
    "sys.argv = ['bench', *sys.argv[2:]]\n"
    "runpy.run_module('bench', run_name='__main__')\n"
)


def run_smoke(results: Path, *scenarios: str) -> None:
    # Its own process group: on a timeout the whole tree (app, its Chromium, replica, viewer workers) is
    # interrupted, so the harness's own clean-up runs, and only then killed.
    process = subprocess.Popen([sys.executable, '-c', RUN_WITH_RESULTS_DIR, str(results), *scenarios, '--smoke'],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)
        try:
            stdout, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
        pytest.fail(f'the smoke run took over {DEADLINE} s\n{stdout[-3000:]}\n{stderr[-3000:]}')
    assert process.returncode == 0, f'{stdout[-3000:]}\n{stderr[-3000:]}'


def sane(row: dict) -> bool:
    return (row['n'] > 0 and math.isfinite(row['p50_ms']) and 0 < row['p50_ms'] <= row['p95_ms'] <= row['p99_ms']
            <= row['max_ms'] < 30_000 and row['met'] in ('yes', 'no', '-'))


@pytest.mark.e2e
@pytest.mark.timeout(DEADLINE + 30)
def test_latency_add_and_polling_smoke(tmp_path: Path) -> None:
    run_smoke(tmp_path, 'latency', 'add', 'polling')

    latency = json.loads((tmp_path / 'latency.json').read_text())
    main, engine, wire, _metric, drawn = latency['rows']
    assert main['mode'] == 'push, viewer windows minimized' and main['target'] != '-'
    assert sane(main) and sane(drawn) and sane(engine) and sane(wire), latency['rows']
    assert main['n'] == 2 * 10, 'every change is timed in every page'  # 10 changes x 2 pages
    assert latency['raw']['minimized']['missing_pairs'] == 0
    # the parts come before the whole: the engine has a price before the viewer's script, which has it
    # before the DOM shows it
    assert engine['p50_ms'] <= wire['p50_ms'] <= main['p50_ms'] + 1, latency['rows']

    add = json.loads((tmp_path / 'add.json').read_text())
    cold, cached = add['rows']
    assert cold['mode'].startswith('cold') and cached['mode'].startswith('cached')
    assert cold['n'] == cached['n'] == 2 and sane(cold) and sane(cached), add['rows']

    polling = json.loads((tmp_path / 'polling.json').read_text())
    push, poll, ratio = polling['rows'][:3]
    assert sane(push) and sane(poll), polling['rows']
    assert push['mode'] == 'push' and poll['mode'].startswith('poll every')
    assert ratio['ratio'] == round(poll['p50_ms'] / push['p50_ms'], 1)


@pytest.mark.e2e
@pytest.mark.timeout(DEADLINE + 30)
def test_fanout_and_memory_smoke(tmp_path: Path) -> None:
    run_smoke(tmp_path, 'fanout', 'memory')

    fanout = json.loads((tmp_path / 'fanout.json').read_text())
    [row] = fanout['rows']
    window = fanout['raw']['windows'][0]
    assert row['viewers'] == 5
    assert window['latency']['n'] > 0, 'no viewer received a price'
    assert window['delivered'] > 0 and row['delivered_%'] > 50, row
    assert 0 < row['p50_ms'] <= row['p99_ms'] < 5000, row
    assert window['changes'] >= 3 * 4, 'the driver moved too few prices'
    assert row['server_cpu_%'] >= 0 and not math.isnan(row['loop_lag_p99_ms'])
    # every row says how many viewers were connected and got prices, and what a frame cost the server
    assert row['connected'] == 5 and 0 < row['measured'] <= 5, row
    assert row['frames_per_s'] > 0 and row['server_us_per_frame'] is not None and row['server_us_per_frame'] >= 0, row
    assert row['viewers_cpu_%'] >= 0 and row['load_1m'] >= 0 and row['met'] == '-', row

    memory = json.loads((tmp_path / 'memory.json').read_text())
    steps = memory['raw']['steps']
    assert [(s['symbols'], s['viewers'], s['viewer_kind']) for s in steps] == [
        (0, 0, 'none'), (1, 1, 'browser'), (3, 1, 'browser'), (3, 1, 'browser pages'), (3, 2, 'browser pages'),
        (3, 1, 'simulated'), (3, 5, 'simulated')]
    assert all(s['server_rss_mb'] > 10 and s['chromium_processes'] > 0 for s in steps), steps
    # every symbol is a Chromium tab: three cost more Chromium memory than one
    assert steps[2]['chromium_pss_mb'] > steps[1]['chromium_pss_mb'], steps
    assert memory['raw']['per_extra_symbol_mb']['chromium_pss_mb'] is not None


@pytest.mark.e2e
@pytest.mark.timeout(DEADLINE + 30)
def test_cluster_smoke(tmp_path: Path) -> None:
    """About 60 s on an idle 2-core machine: Valkey, two nodes with their Chromium, HAProxy, one failover."""
    run_smoke(tmp_path, 'cluster')

    cluster = json.loads((tmp_path / 'cluster.json').read_text())
    delivery, hop = cluster['rows'][:2]
    window = cluster['raw']['windows'][0]
    assert delivery['viewers'] == 10 and delivery['delivered_%'] > 50, delivery
    assert 0 < delivery['p50_ms'] <= delivery['p99_ms'] < 5000, delivery
    # through HAProxy, spread over both nodes, each node's viewers got prices
    assert all(window['open_by_node'].get(node, 0) > 0 for node in ('n1', 'n2')), window['open_by_node']
    assert all(window['per_node'][node]['delivered'] > 0 for node in ('n1', 'n2')), window['per_node']
    # every symbol has one owner, and both nodes say the same one
    views = list(window['owners'].values())
    assert len(views) == 2 and views[0] == views[1] and len(views[0]) == 3 and None not in views[0].values()
    assert hop['measure'].startswith('redis hop') and hop['n'] > 0 and 0 < hop['p50_ms'] <= hop['p99_ms'], hop
    failover = cluster['raw']['failover']
    [round_] = failover['rounds']
    assert round_['first_fresh_s'] is not None and 0 < round_['first_fresh_s'] < 30, round_
    assert round_['killed'] != round_['survivor'] and round_['restart_s'] > 0
    assert cluster['rows'][-1]['seconds'] == round_['first_fresh_s']
    stop = cluster['raw']['stop']
    assert stop['orphans_swept'] == 0, stop


@pytest.mark.e2e
@pytest.mark.timeout(DEADLINE + 30)
def test_stream_smoke(tmp_path: Path) -> None:
    """About 40 s on an idle 2-core machine: a real browser creates the user, then 5 SSE consumers and 5 page
    viewers."""
    run_smoke(tmp_path, 'stream')

    stream = json.loads((tmp_path / 'stream.json').read_text())
    alone, viewers, beside = stream['rows']
    assert [r['measured'] for r in stream['rows']] == [
        'SSE consumers, alone', 'page viewers, beside the SSE consumers', 'SSE consumers, beside the page viewers']
    assert alone['count'] == viewers['count'] == beside['count'] == 5
    for row in stream['rows']:
        assert row['delivered_%'] > 50 and 0 < row['p50_ms'] <= row['p99_ms'] < 5000, row
    assert alone['met'] in ('yes', 'no')
    assert alone['server_mb_each'] is not None and viewers['server_mb_each'] is not None
    windows = stream['raw']['windows']
    assert windows['sse alone']['changes'] >= 3 * 4, 'the driver moved too few prices'
    # the app counted them: 5 consumers, events sent to them, nobody cut off
    assert windows['both']['sse_consumers_by_app'] == 5 and windows['both']['sse_cut_offs'] == 0
    assert windows['sse alone']['sse_events_sent'] > 0 and windows['sse alone']['kinds']['sse']['frames'] > 0
    assert stream['raw']['stop']['app_exit_code'] == 0


@pytest.mark.e2e
@pytest.mark.timeout(DEADLINE + 30)
def test_search_smoke(tmp_path: Path) -> None:
    """About 30 s: three queries each way on the replica, then three typed cold and cached in a real page."""
    run_smoke(tmp_path, 'search')

    search = json.loads((tmp_path / 'search.json').read_text())
    assert [(r['part'], r['mode'].split(' ')[0]) for r in search['rows']] == [
        ('transport', 'python'), ('transport', 'page'), ('keystroke to list', 'cold'), ('keystroke to list', 'cached')]
    for row in search['rows']:
        assert sane(row) and row['n'] == 3, row
    for row in search['rows'][2:]:
        assert row['p50_ms'] >= 200, row  # the page waits for a 200 ms pause in typing before it asks
    assert search['raw']['typing']['queries'] == search['raw']['transport']['queries']
