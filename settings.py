"""The app's settings: each option declared once, as a field of `Settings`.

A field made by `option(...)` is also a command-line flag and an environment variable: its `--help` line, its
check (a bad value is refused with a message that says why, from a flag or from the environment alike) and its
row in the README's Options table (tests/test_settings.py compares them) all come from that one declaration.
Flags win over environment variables, which win over defaults.
"""
from __future__ import annotations

import argparse
import os
import re
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from market.symbols import InvalidSymbol, normalize_exchange, split_symbol

_NAME = re.compile(r'[A-Za-z0-9._:-]{1,64}')
_HOST = re.compile(r'[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:]{2,39}\]')
_URL = re.compile(r'https?://[^\s/?#]+/?\S*')
Parse = Callable[[str], Any]


@dataclass(frozen=True)
class Option:
    flag: str
    env: str
    help: str
    parse: Parse = str
    shown_default: str | None = None  # the default as --help and the README say it, when not the value itself
    metavar: str | None = None
    hidden: bool = False  # benchmarks only: no --help line, no README row


def option(default: Any, flag: str, env: str, help: str, **details: Any) -> Any:
    return field(default=default, metadata={'option': Option(flag, env, help, **details)})


def between(low: float, high: float, kind: type = int, unit: str = '') -> Parse:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'{text!r} is not a number') from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f'must be between {low:g} and {high:g}{unit}, not {text}')
        return value
    parse.range = f'{low:g}-{high:g}'  # type: ignore[attr-defined]  # for the --help line and the README
    return parse


def matching(pattern: re.Pattern[str], what: str) -> Parse:
    def parse(text: str) -> str:
        if not pattern.fullmatch(text):
            raise argparse.ArgumentTypeError(f'{text!r} is not {what}')
        return text
    return parse


def exchange_name(text: str) -> str:
    try:
        return normalize_exchange(text)
    except InvalidSymbol:
        raise argparse.ArgumentTypeError('must be ASCII letters and digits, e.g. BINANCE') from None


def sentinels(text: str) -> tuple[str, ...]:
    """'h1:26379,h2:26379' -> ('h1:26379', 'h2:26379'); the error says which part is wrong."""
    found: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(','))):
        host, _, port = part.rpartition(':')
        if not _HOST.fullmatch(host) or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise argparse.ArgumentTypeError(f'{part!r} is not HOST:PORT (e.g. 127.0.0.1:26379)')
        found.append(f'{host}:{int(port)}')
    return tuple(found)


NAME = matching(_NAME, 'letters, digits and . _ : - (at most 64)')
SECONDS = between(0.1, 3600, float, ' seconds')


@dataclass(frozen=True)
class Settings:
    host: str = option('0.0.0.0', '--host', 'HOST', 'address to listen on')
    port: int = option(8080, '--port', 'PORT', 'port of the web page', parse=between(1, 65535))
    headless: bool = option(False, '--headless', 'HEADLESS', 'no visible Chromium window, for servers and CI',
                            shown_default='headed')
    tradingview_url: str = option('https://www.tradingview.com', '--tradingview-url', 'TRADINGVIEW_URL',
                                  'where symbol pages are: {url}/symbols/{TICKER}/?exchange={EXCHANGE}',
                                  parse=matching(_URL, 'an http(s) URL'))
    symbol_search_url: str = option('https://symbol-search.tradingview.com/symbol_search/v3/',
                                    '--symbol-search-url', 'SYMBOL_SEARCH_URL',
                                    "TradingView's symbol search, for suggestions as you type (--demo: the "
                                    "replica's)", parse=matching(_URL, 'an http(s) URL'))
    exchange: str = option('BINANCE', '--exchange', 'EXCHANGE',
                           'exchange of a ticker typed without one: BTCUSD means EXCHANGE:BTCUSD', parse=exchange_name)
    chromium_path: str | None = option(None, '--chromium', 'CHROMIUM_PATH', 'Chromium executable',
                                       shown_default="Playwright's build, else a system chromium")
    max_symbols: int = option(50, '--max-symbols', 'MAX_SYMBOLS', 'most symbols (Chromium tabs) watched at once',
                              parse=between(1, 500))
    max_tickers_per_browser: int = option(30, '--max-tickers-per-browser', 'MAX_TICKERS_PER_BROWSER',
                                          'most cards one browser may hold', parse=between(1, 200))
    stale_after: float = option(30.0, '--stale-after', 'STALE_AFTER',
                                'seconds without an update before a price is marked stale', parse=SECONDS)
    stream_buffer_events: int = option(100, '--stream-buffer', 'STREAM_BUFFER',
                                       "events a program's stream may leave unread before it is cut off",
                                       parse=between(1, 10_000), metavar='EVENTS')
    stream_heartbeat: float = option(15.0, '--stream-heartbeat', 'STREAM_HEARTBEAT',
                                     'seconds between heartbeat comments on a quiet /api/stream', parse=SECONDS,
                                     metavar='SECONDS')
    demo: bool = option(False, '--demo', 'DEMO', 'serve the bundled TradingView replica and watch it, offline',
                        shown_default='off')
    # Cluster mode (cluster/): set, this process is one node of several sharing prices through Valkey/Redis.
    redis_url: str | None = option(None, '--redis-url', 'REDIS_URL',
                                   'be one node of a cluster sharing prices through this Valkey/Redis, e.g. '
                                   'redis://127.0.0.1:6379/0', shown_default='none')
    redis_sentinels: tuple[str, ...] = option((), '--redis-sentinel', 'REDIS_SENTINEL',
                                              'instead of --redis-url: the sentinels that name the current '
                                              'primary, followed through failovers', parse=sentinels,
                                              shown_default='none', metavar='HOST:PORT,...')
    redis_master: str = option('tracker', '--redis-master', 'REDIS_MASTER', "the primary's name at the sentinels",
                               parse=NAME)
    node_id: str = option('', '--node-id', 'NODE_ID', "this node's name in the cluster", parse=NAME,
                          shown_default='HOSTNAME:PORT')
    lease_ttl: float = option(6.0, '--lease-ttl', 'LEASE_TTL', "seconds a node holds a symbol without renewing: a "
                              "dead node's symbols move after about this long", parse=between(1, 600, float))
    allow_private_webhooks: bool = option(False, '--allow-private-webhooks', 'ALLOW_PRIVATE_WEBHOOKS',
                                          'let alert webhooks reach loopback, private and link-local addresses '
                                          '(refused by default: a URL must not make this server probe its own '
                                          'network)', shown_default='off')
    # Benchmark-only: read the price element on a timer as peer tools do, instead of being pushed.
    poll_interval: float | None = option(None, '--bench-poll-interval', 'BENCH_POLL_INTERVAL', '', parse=SECONDS,
                                         hidden=True)
    # Not options: what the engine's pages and the app take as given.
    storage_secret: str = field(default='', repr=False)  # STORAGE_SECRET: signs browsers' cookies
    first_price_timeout: float = 20.0  # a freshly opened page's deadline for its first price
    navigation_timeout: float = 15.0
    liveness_interval: float = 5.0  # how often a watcher confirms that its tab still answers
    backoff_initial: float = 1.0
    backoff_max: float = 30.0

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


def options() -> list[tuple[str, Any, Option]]:
    """(field name, default, declaration) of every option, in declaration order."""
    return [(f.name, f.default, f.metadata['option']) for f in fields(Settings) if 'option' in f.metadata]


def shown_default(default: Any, declared: Option) -> str:
    if declared.shown_default is not None:
        return declared.shown_default
    return f'{default:g}' if isinstance(default, float) else str(default)


def meaning(declared: Option) -> str:
    """What the option does, with its range where it has one."""
    limits = getattr(declared.parse, 'range', None)
    return f'{declared.help}, {limits}' if limits else declared.help


def help_line(default: Any, declared: Option) -> str:
    variable = f'{declared.env}=1' if isinstance(default, bool) else declared.env
    return f'{meaning(declared)} (default {shown_default(default, declared)}; env {variable})'


def readme_table() -> str:
    """The README's Options table, as the declarations say it."""
    rows = ['| flag | variable | default | meaning |', '| --- | --- | --- | --- |']
    for _, default, declared in options():
        if not declared.hidden:
            variable = f'{declared.env}=1' if isinstance(default, bool) else declared.env
            rows.append(f'| `{declared.flag}` | `{variable}` | `{shown_default(default, declared)}` | '
                        f'{meaning(declared)} |')
    return '\n'.join(rows)


def _env_flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, '').strip().lower() in {'1', 'true', 'yes', 'on'}


def _parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='main.py', description='Live crypto prices from TradingView.')
    for name, default, declared in options():
        shown = argparse.SUPPRESS if declared.hidden else help_line(default, declared)
        if isinstance(default, bool):
            parser.add_argument(declared.flag, dest=name, action='store_true',
                                default=_env_flag(env, declared.env), help=shown)
            continue
        # A value from the environment is a string default, which argparse checks with `parse` like a flag's;
        # None (not there) is left alone, and becomes the field's default.
        parser.add_argument(declared.flag, dest=name, type=declared.parse, metavar=declared.metavar,
                            default=env.get(declared.env) or None, help=shown)
    return parser


def parse_settings(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    parser = _parser(env)
    args = parser.parse_args(argv)
    if args.redis_sentinels and args.redis_url:
        parser.error('--redis-url and --redis-sentinel exclude each other: give one way to reach Valkey')
    given = {name: value for name, value in vars(args).items() if value is not None}
    return Settings(**given, storage_secret=env.get('STORAGE_SECRET', ''))
