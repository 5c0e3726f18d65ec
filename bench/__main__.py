"""`./run.sh bench [scenario ...] [--smoke]`: run scenarios, print one table each, save bench/results/*.json."""
from __future__ import annotations

import argparse
import importlib
import logging

from bench.common import print_table, save

# name -> module in bench/ with `run(size) -> (rows, raw)`
SCENARIOS = {'engine': 'bench.engine', 'latency': 'bench.latency', 'add': 'bench.add_first_price',
             'polling': 'bench.polling', 'fanout': 'bench.fanout', 'memory': 'bench.memory'}


def main() -> None:
    parser = argparse.ArgumentParser(prog='./run.sh bench')
    parser.add_argument('scenarios', nargs='*', metavar='scenario', help=f'any of {", ".join(SCENARIOS)}')
    parser.add_argument('--smoke', action='store_true', help='tiny sizes: checks the harness still runs')
    args = parser.parse_args()
    if unknown := set(args.scenarios) - set(SCENARIOS):
        parser.error(f'unknown scenario {", ".join(sorted(unknown))}; choose from {", ".join(SCENARIOS)}')
    logging.basicConfig(level=logging.WARNING, format='%(levelname)s %(name)s: %(message)s')
    for name in args.scenarios or list(SCENARIOS):
        rows, raw = importlib.import_module(SCENARIOS[name]).run('smoke' if args.smoke else 'full')
        print_table(name, rows)
        print(f'saved {save(name, rows, raw)}')


if __name__ == '__main__':
    main()
