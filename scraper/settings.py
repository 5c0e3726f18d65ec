"""One typed settings object, built from command-line flags and environment variables."""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field, fields
from typing import Mapping, Sequence


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

    def symbol_url(self, ticker: str) -> str:
        """The page URL for a ticker that has already passed `normalize_symbol`."""
        return f'{self.tradingview_url.rstrip("/")}/symbols/{ticker}/?exchange={self.exchange}'


def parse_settings(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Flags win over environment variables, which win over defaults."""
    env = os.environ if environ is None else environ
    default = Settings()
    parser = argparse.ArgumentParser(prog='main.py', description='Live crypto prices from TradingView.')
    parser.add_argument('--host', default=env.get('HOST', default.host))
    parser.add_argument('--port', type=int, default=int(env.get('PORT', default.port)))
    parser.add_argument('--headless', action='store_true', default=_env_flag(env, 'HEADLESS'),
                        help='no visible browser window (servers and CI)')
    parser.add_argument('--tradingview-url', default=env.get('TRADINGVIEW_URL', default.tradingview_url))
    parser.add_argument('--exchange', default=env.get('EXCHANGE', default.exchange))
    parser.add_argument('--chromium', dest='chromium_path', default=env.get('CHROMIUM_PATH') or None)
    parser.add_argument('--max-symbols', type=int, default=int(env.get('MAX_SYMBOLS', default.max_symbols)))
    parser.add_argument('--stale-after', type=float, default=float(env.get('STALE_AFTER', default.stale_after)))
    parser.add_argument('--max-tickers-per-browser', type=int,
                        default=int(env.get('MAX_TICKERS_PER_BROWSER', default.max_tickers_per_browser)))
    parser.add_argument('--bench-poll-interval', dest='poll_interval', type=float,
                        default=float(env['BENCH_POLL_INTERVAL']) if env.get('BENCH_POLL_INTERVAL') else None,
                        help=argparse.SUPPRESS)  # benchmarks only: read the price on a timer, as peers do
    parser.add_argument('--demo', action='store_true', default=_env_flag(env, 'DEMO'),
                        help='serve the bundled TradingView replica and watch it (works offline)')
    args = parser.parse_args(argv)
    if not 1 <= args.max_symbols <= 500:
        parser.error('--max-symbols must be between 1 and 500')
    if not 1 <= args.max_tickers_per_browser <= 200:
        parser.error('--max-tickers-per-browser must be between 1 and 200')
    if not args.exchange.isalnum():
        parser.error('--exchange must be letters and digits, e.g. BINANCE')
    known = {f.name for f in fields(Settings)}
    values = {k: v for k, v in vars(args).items() if k in known}
    values['exchange'] = args.exchange.upper()
    values['storage_secret'] = env.get('STORAGE_SECRET', '')
    return Settings(**values)
