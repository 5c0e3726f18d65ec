"""`./run.sh bench [scenario ...] [--smoke] [--runs N]`: run scenarios, print one table each, save
bench/results/*.json."""
from __future__ import annotations

import argparse
import importlib
import logging
import signal
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from bench.common import print_table, save
from bench.reports import runs_table

# name -> module in bench/ with `run(size) -> (rows, raw)` and `RUNS_TABLE = (key columns, value columns)`
SCENARIOS = {'engine': 'bench.engine', 'latency': 'bench.latency', 'add': 'bench.add_first_price',
             'polling': 'bench.polling', 'fanout': 'bench.fanout', 'memory': 'bench.memory',
             'cluster': 'bench.cluster', 'history': 'bench.history', 'stream': 'bench.stream',
             'durability': 'bench.durability', 'search': 'bench.search', 'alerts': 'bench.alerts',
             'webhooks': 'bench.hanging_webhooks'}


def run_scenario(name: str, module: ModuleType, size: str, runs: int) -> Path:
    if runs == 1:
        rows, raw = module.run(size)
        print_table(name, rows)
        return save(name, rows, raw)
    done: list[dict[str, Any]] = []
    for number in range(1, runs + 1):
        rows, raw = module.run(size)
        print_table(f'{name}, run {number} of {runs}', rows)
        done.append({'rows': rows, 'raw': raw})
        table = runs_table([d['rows'] for d in done], *module.RUNS_TABLE)
        path = save(name, table, {'runs': done})  # after every run: a later one failing loses nothing
    print_table(f'{name}: {runs} runs', table)
    return path


def _interrupt_on_sigterm() -> None:
    # As Ctrl+C does: every scenario's `finally` then stops the replica, the app and the viewer workers it
    # started. The default SIGTERM would end this process alone and leave them all running.
    def interrupt(signum: int, _: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)
    signal.signal(signal.SIGTERM, interrupt)


def main() -> None:
    _interrupt_on_sigterm()
    parser = argparse.ArgumentParser(prog='./run.sh bench')
    parser.add_argument('scenarios', nargs='*', metavar='scenario', help=f'any of {", ".join(SCENARIOS)}')
    parser.add_argument('--smoke', action='store_true', help='tiny sizes: checks the harness still runs')
    parser.add_argument('--runs', type=int, default=1, metavar='N',
                        help='run each scenario N times in a row; every run is saved, and a table shows '
                             "each run's figures and their spread (min-max)")
    args = parser.parse_args()
    if unknown := set(args.scenarios) - set(SCENARIOS):
        parser.error(f'unknown scenario {", ".join(sorted(unknown))}; choose from {", ".join(SCENARIOS)}')
    if args.runs < 1:
        parser.error('--runs must be 1 or more')
    logging.basicConfig(level=logging.WARNING, format='%(levelname)s %(name)s: %(message)s')
    for name in args.scenarios or list(SCENARIOS):
        path = run_scenario(name, importlib.import_module(SCENARIOS[name]), 'smoke' if args.smoke else 'full',
                            args.runs)
        print(f'saved {path}')


if __name__ == '__main__':
    main()
