"""One typed settings object, built from command-line flags and environment variables."""
from __future__ import annotations

import argparse
import os
import re
import socket
from dataclasses import dataclass, field, fields
from typing import Mapping, Sequence

from .symbols import InvalidSymbol, normalize_exchange, split_symbol


_NODE_ID = re.compile(r'[A-Za-z0-9._:-]{1,64}')
_HOST = re.compile(r'[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:]{2,39}\]')


def _env_flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, '').strip().lower() in {'1', 'true', 'yes', 'on'}


@dataclass(frozen=True)
class Settings:
    host: str = '0.0.0.0'
    port: int = 8080
    headless: bool = False
    tradingview_url: str = 'https://www.tradingview.com'
    exchange: str = 'BINANCE'
    chromium_path: str | None = None
    max_symbols: int = 50
    demo: bool = False
    # Seconds without any update from the source before an entry is called stale.
    stale_after: float = 30.0
    # Deadline for a freshly opened page to show its first price before we give up on the symbol.
    first_price_timeout: float = 20.0
    navigation_timeout: float = 15.0
    # How often the watcher confirms that its tab still answers; this is not the price path.
    liveness_interval: float = 5.0
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    # Benchmark-only: read the price element on a timer as peer tools do, instead of being pushed.
    poll_interval: float | None = None
    storage_secret: str = field(default='', repr=False)
    max_tickers_per_browser: int = 30
    # Programs' streams (/api/stream, /api/ws): events one consumer may leave unread before it is cut off, and
    # seconds between SSE heartbeat comments (proxies close connections that stay silent).
    stream_buffer_events: int = 100
    stream_heartbeat: float = 15.0
    # Cluster mode (cluster/): set, this process is one node of several sharing prices through Redis.
    redis_url: str | None = None
    # Or, for a Valkey that fails over: the sentinels (HOST:PORT each) and the name they know the primary by.
    redis_sentinels: tuple[str, ...] = ()
    redis_master: str = 'tracker'
    node_id: str = ''
    # Seconds a node's lease on a symbol lasts unless renewed; also how long a dead node's interest lingers.
    lease_ttl: float = 6.0
    # Alert webhooks may reach loopback, private and link-local addresses (tests' local receivers, a LAN bot).
    allow_private_webhooks: bool = False

    @property
    def clustered(self) -> bool:
        """One node of several sharing prices and users' data through Valkey/Redis."""
        return bool(self.redis_url or self.redis_sentinels)

    @property
    def node_name(self) -> str:
        """This process's name in a cluster."""
        return self.node_id or f'{socket.gethostname()}:{self.port}'

    def symbol_url(self, symbol: str) -> str:
        """The page URL for a symbol that has already passed `normalize_symbol`."""
        exchange, ticker = split_symbol(symbol)
        return f'{self.tradingview_url.rstrip("/")}/symbols/{ticker}/?exchange={exchange}'


def parse_sentinels(text: str) -> tuple[str, ...]:
    """'h1:26379,h2:26379' -> ('h1:26379', 'h2:26379'); ValueError says which part is wrong."""
    sentinels: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(','))):
        host, _, port = part.rpartition(':')
        if not _HOST.fullmatch(host) or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError(f'{part!r} is not HOST:PORT (e.g. 127.0.0.1:26379)')
        sentinels.append(f'{host}:{int(port)}')
    return tuple(sentinels)


def parse_settings(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Flags win over environment variables, which win over defaults."""
    env = os.environ if environ is None else environ
    default = Settings()
    parser = argparse.ArgumentParser(prog='main.py', description='Live crypto prices from TradingView.')
    # String defaults go through `type` too, so a bad environment value gets argparse's clear message.
    parser.add_argument('--host', default=env.get('HOST', default.host),
                        help='address to listen on (default 0.0.0.0; env HOST)')
    parser.add_argument('--port', type=int, default=env.get('PORT', str(default.port)),
                        help='port of the web page (default 8080; env PORT)')
    parser.add_argument('--headless', action='store_true', default=_env_flag(env, 'HEADLESS'),
                        help='no visible browser window, for servers and CI (default headed; env HEADLESS=1)')
    parser.add_argument('--tradingview-url', default=env.get('TRADINGVIEW_URL', default.tradingview_url),
                        help='where symbol pages are: {url}/symbols/{TICKER}/?exchange={EXCHANGE} '
                             '(default https://www.tradingview.com; env TRADINGVIEW_URL)')
    parser.add_argument('--exchange', default=env.get('EXCHANGE', default.exchange),
                        help='exchange of a ticker typed without one: BTCUSD means EXCHANGE:BTCUSD '
                             '(default BINANCE; env EXCHANGE)')
    parser.add_argument('--chromium', dest='chromium_path', default=env.get('CHROMIUM_PATH') or None,
                        help="Chromium executable (default: Playwright's build, else a system chromium; "
                             'env CHROMIUM_PATH)')
    parser.add_argument('--max-symbols', type=int, default=env.get('MAX_SYMBOLS', str(default.max_symbols)),
                        help='most symbols (Chromium tabs) watched at once, 1-500 (default 50; env MAX_SYMBOLS)')
    parser.add_argument('--stale-after', type=float, default=env.get('STALE_AFTER', str(default.stale_after)),
                        help='seconds without an update before a price is marked stale (default 30; env STALE_AFTER)')
    parser.add_argument('--max-tickers-per-browser', type=int,
                        default=env.get('MAX_TICKERS_PER_BROWSER', str(default.max_tickers_per_browser)),
                        help='most cards one browser may hold, 1-200 (default 30; env MAX_TICKERS_PER_BROWSER)')
    parser.add_argument('--stream-buffer', dest='stream_buffer_events', type=int, metavar='EVENTS',
                        default=env.get('STREAM_BUFFER', str(default.stream_buffer_events)),
                        help='events a program\'s stream may leave unread before it is cut off, 1-10000 '
                             '(default 100; env STREAM_BUFFER)')
    parser.add_argument('--stream-heartbeat', type=float, metavar='SECONDS',
                        default=env.get('STREAM_HEARTBEAT', str(default.stream_heartbeat)),
                        help='seconds between heartbeat comments on a quiet /api/stream, 0.1-3600 '
                             '(default 15; env STREAM_HEARTBEAT)')
    parser.add_argument('--bench-poll-interval', dest='poll_interval', type=float,
                        default=env.get('BENCH_POLL_INTERVAL') or None,
                        help=argparse.SUPPRESS)  # benchmarks only: read the price on a timer, as peers do
    parser.add_argument('--demo', action='store_true', default=_env_flag(env, 'DEMO'),
                        help='serve the bundled TradingView replica and watch it, offline (env DEMO=1)')
    parser.add_argument('--redis-url', default=env.get('REDIS_URL') or None,
                        help='run as one node of a cluster sharing prices through this Valkey/Redis, e.g. '
                             'redis://127.0.0.1:6379/0 (default: none, a single process; env REDIS_URL)')
    parser.add_argument('--redis-sentinel', dest='redis_sentinels', metavar='HOST:PORT,...',
                        default=env.get('REDIS_SENTINEL', ''),
                        help='instead of --redis-url: the sentinels that know the current Valkey primary, '
                             'followed through failovers (default none; env REDIS_SENTINEL)')
    parser.add_argument('--redis-master', default=env.get('REDIS_MASTER', default.redis_master),
                        help='the primary\'s name at the sentinels (default tracker; env REDIS_MASTER)')
    parser.add_argument('--node-id', default=env.get('NODE_ID', ''),
                        help='this node\'s name in the cluster (default HOSTNAME:PORT; env NODE_ID)')
    parser.add_argument('--lease-ttl', type=float, default=env.get('LEASE_TTL', str(default.lease_ttl)),
                        help='seconds a node holds a symbol without renewing; a dead node\'s symbols move after '
                             'about this long (default 6; env LEASE_TTL)')
    parser.add_argument('--allow-private-webhooks', action='store_true',
                        default=_env_flag(env, 'ALLOW_PRIVATE_WEBHOOKS'),
                        help='let alert webhooks reach loopback, private and link-local addresses (refused by '
                             'default: a URL must not make this server probe its own network; '
                             'env ALLOW_PRIVATE_WEBHOOKS=1)')
    args = parser.parse_args(argv)
    if not 1 <= args.max_symbols <= 500:
        parser.error('--max-symbols must be between 1 and 500')
    if not 1 <= args.max_tickers_per_browser <= 200:
        parser.error('--max-tickers-per-browser must be between 1 and 200')
    if not 1 <= args.stream_buffer_events <= 10_000:
        parser.error('--stream-buffer must be between 1 and 10000 events')
    if not 0.1 <= args.stream_heartbeat <= 3600:
        parser.error('--stream-heartbeat must be between 0.1 and 3600 seconds')
    try:
        exchange = normalize_exchange(args.exchange)
    except InvalidSymbol:
        parser.error('--exchange must be ASCII letters and digits, e.g. BINANCE')
    if not 1 <= args.lease_ttl <= 600:
        parser.error('--lease-ttl must be between 1 and 600 seconds')
    try:
        sentinels = parse_sentinels(args.redis_sentinels)
    except ValueError as error:
        parser.error(f'--redis-sentinel: {error}')
    if sentinels and args.redis_url:
        parser.error('--redis-url and --redis-sentinel exclude each other: give one way to reach Valkey')
    if not _NODE_ID.fullmatch(args.redis_master):
        parser.error('--redis-master is letters, digits and . _ : - (at most 64)')
    if args.node_id and not _NODE_ID.fullmatch(args.node_id):
        parser.error('--node-id is letters, digits and . _ : - (at most 64)')
    known = {f.name for f in fields(Settings)}
    values = {k: v for k, v in vars(args).items() if k in known}
    values['exchange'] = exchange
    values['redis_sentinels'] = sentinels
    values['storage_secret'] = env.get('STORAGE_SECRET', '')
    return Settings(**values)
