"""`python -m replica --host 127.0.0.1 --port 8765 --tick 1.0`: serve the replica in the foreground."""
from __future__ import annotations

import argparse
import logging
import socket

import uvicorn

from .app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog='python -m replica', description=__doc__)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8765)
    parser.add_argument('--tick', type=float, default=1.0, help='seconds between random moves (0: none)')
    parser.add_argument('--seed', type=int, default=None)
    parser.add_argument('--heartbeat', type=float, default=10.0, help='seconds between socket heartbeats')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)-7s %(name)s: %(message)s')
    # Bind first so the logged URL is one that really serves (and port 0 logs the port it got).
    sock = socket.socket(socket.AF_INET6 if ':' in args.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    port = sock.getsockname()[1]
    host = f'[{args.host}]' if ':' in args.host else args.host
    logging.getLogger('replica').info('TradingView replica serving on http://%s:%d/ (tick %.2f s)',
                                      host, port, args.tick)
    app = create_app(tick_interval=args.tick, seed=args.seed, heartbeat_interval=args.heartbeat)
    config = uvicorn.Config(app, log_config=None, log_level='warning', access_log=False, lifespan='on',
                            timeout_graceful_shutdown=2, ws_ping_interval=None,
                            ws_per_message_deflate=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == '__main__':
    main()
