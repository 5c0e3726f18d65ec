"""`python -m launcher run N [options]`: N app nodes behind HAProxy; `python -m launcher config N`: its config."""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

import settings

from .cluster import ClusterPlan, config_text, run

NODE_OPTIONS = ('Any other option goes to every node as it is (see `python main.py --help`), e.g. --headless, '
                '--exchange KRAKEN, --max-symbols 20; the launcher itself sets --host, --port, --node-id and '
                'either --redis-url or --redis-sentinel and --redis-master of each node.')
_NAME = re.compile(r'[A-Za-z0-9._:-]{1,64}')  # as main.py checks --redis-master


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f'{port} is not a port')
    return port


def _nodes(text: str) -> int:
    count = int(text)
    if not 1 <= count <= 64:
        raise argparse.ArgumentTypeError('between 1 and 64 nodes')
    return count


def _env_flag(name: str) -> bool:
    return os.environ.get(name, '').strip().lower() in {'1', 'true', 'yes', 'on'}


def _add_layout_options(parser: argparse.ArgumentParser) -> None:
    env = os.environ
    parser.add_argument('nodes', type=_nodes, metavar='N', help='how many app nodes')
    parser.add_argument('--port', type=_port, default=env.get('PORT', '8080'),
                        help="HAProxy's port, the one browsers use (default 8080; env PORT)")
    parser.add_argument('--host', default=env.get('HOST', '0.0.0.0'),
                        help='address HAProxy listens on (default 0.0.0.0; env HOST); nodes listen on 127.0.0.1')
    parser.add_argument('--node-port', type=_port, default=None, metavar='PORT',
                        help="first node's port: nodes get PORT..PORT+N-1 (default --port+1; 0: any free ports)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m launcher', description=__doc__)
    commands = parser.add_subparsers(dest='command', required=True, metavar='{run,config}')
    run_parser = commands.add_parser('run', help='start the cluster and keep it up until Ctrl+C or SIGTERM',
                                     description='Start Valkey (unless REDIS_URL or REDIS_SENTINEL is set; with '
                                                 '--ha a primary, a replica and three sentinels), N nodes and '
                                                 'HAProxy in front of them; Ctrl+C or SIGTERM stops all of it. '
                                                 "Valkey keeps its data in the state directory's valkey/ "
                                                 '(append-only file, fsync every second) from one run to the next, '
                                                 'and a Valkey piece that dies is started again from its files.',
                                     epilog=NODE_OPTIONS, allow_abbrev=False)
    _add_layout_options(run_parser)
    run_parser.add_argument('--demo', action='store_true', default=_env_flag('DEMO'),
                            help='start one TradingView replica and point every node at it, offline (env DEMO=1)')
    run_parser.add_argument('--ha', action='store_true',
                            help='Valkey that fails over: a primary, a replica and three sentinels on this '
                                 'machine, each with its own files in the state directory; nodes follow the '
                                 'primary the sentinels name')
    run_parser.add_argument('--redis-url', default=os.environ.get('REDIS_URL') or None,
                            help='use this Redis/Valkey instead of starting one (env REDIS_URL)')
    run_parser.add_argument('--redis-sentinel', dest='redis_sentinels', metavar='HOST:PORT,...',
                            default=os.environ.get('REDIS_SENTINEL') or None,
                            help='use the Redis/Valkey these sentinels name as primary instead of starting '
                                 'one (env REDIS_SENTINEL)')
    run_parser.add_argument('--redis-master', default=os.environ.get('REDIS_MASTER') or 'tracker',
                            help="the primary's name at the sentinels, with --redis-sentinel or --ha "
                                 '(default tracker; env REDIS_MASTER)')
    run_parser.add_argument('--without-redis', action='store_true',
                            help='start no Valkey and give nodes no --redis-url/--node-id: independent nodes '
                                 'behind one sticky balancer (for an app without cluster mode)')
    run_parser.add_argument('--state-dir', type=Path, default=None,
                            help="where Valkey's data, logs, the HAProxy config and node files go "
                                 '(default .state/cluster-PORT; keep it to keep users\' data)')
    run_parser.add_argument('--start-timeout', type=float, default=120,
                            help='seconds the whole start may take before it is given up (default 120)')
    config_parser = commands.add_parser('config', help='print the HAProxy config that `run N` would use',
                                        description='Print the HAProxy config for N nodes on 127.0.0.1, '
                                                    'ports --port+1.. (edit the server lines for other machines).')
    _add_layout_options(config_parser)
    return parser


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = build_parser()
    args, node_args = parser.parse_known_args(argv)
    if args.command == 'config':
        if node_args:
            parser.error(f'unrecognized arguments: {" ".join(node_args)}')
        if args.node_port == 0:
            parser.error('config needs fixed node ports: --node-port 0 is for run only')
    elif '--node-id' in node_args or any(a.startswith('--node-id=') for a in node_args):
        parser.error('the launcher names the nodes n1..nN itself: drop --node-id')
    elif args.demo and any(a.split('=')[0] == '--tradingview-url' for a in node_args):
        parser.error('--demo points the nodes at the replica: drop --tradingview-url, or --demo')
    elif args.port == 0:
        parser.error('--port 0: HAProxy needs a fixed port')
    elif problem := _store_conflict(args):
        parser.error(problem)
    return args, node_args


def _store_conflict(args: argparse.Namespace) -> str | None:
    """Why the ways of reaching Valkey that were asked for cannot go together; checks --redis-sentinel."""
    asked = {'--ha': args.ha, '--without-redis': args.without_redis,
             'a Redis URL (--redis-url or REDIS_URL)': args.redis_url,
             'sentinels (--redis-sentinel or REDIS_SENTINEL)': args.redis_sentinels}
    if len(given := [name for name, value in asked.items() if value]) > 1:
        why = {'--ha': ': --ha starts its own Valkey'}.get(given[0], '')
        return f'{" and ".join(given)} exclude each other{why}'
    if args.redis_sentinels:
        try:
            args.redis_sentinels = ','.join(settings.sentinels(args.redis_sentinels)) or None
        except argparse.ArgumentTypeError as error:
            return f'--redis-sentinel: {error}'
        if not args.redis_sentinels:
            return '--redis-sentinel: no HOST:PORT given'
    if not _NAME.fullmatch(args.redis_master):
        return '--redis-master is letters, digits and . _ : - (at most 64)'
    return None


def plan_from(args: argparse.Namespace, node_args: list[str]) -> ClusterPlan:
    return ClusterPlan(nodes=args.nodes, host=args.host, port=args.port, first_node_port=args.node_port,
                       demo=getattr(args, 'demo', False), redis_url=getattr(args, 'redis_url', None),
                       redis_sentinels=getattr(args, 'redis_sentinels', None),
                       redis_master=getattr(args, 'redis_master', 'tracker'), ha=getattr(args, 'ha', False),
                       without_redis=getattr(args, 'without_redis', False), node_args=tuple(node_args),
                       state_dir=getattr(args, 'state_dir', None),
                       start_timeout=getattr(args, 'start_timeout', 120))


def main(argv: list[str] | None = None) -> int:
    args, node_args = parse(sys.argv[1:] if argv is None else argv)
    plan = plan_from(args, node_args)
    if args.command == 'config':
        sys.stdout.write(config_text(plan))
        return 0
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)-7s %(name)s: %(message)s')
    logging.getLogger('httpx').setLevel(logging.WARNING)  # readiness probes are not events
    return run(plan)


if __name__ == '__main__':
    sys.exit(main())
