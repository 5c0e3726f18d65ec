"""The replica's listings: which exchange quotes which coin in which currency, as TradingView names them.

A symbol is `EXCHANGE:TICKER`; a bare ticker means BINANCE, as on TradingView's page without `?exchange=`.
"""
from __future__ import annotations

import json
from collections.abc import Container
from dataclasses import dataclass
from typing import Any

DEFAULT_EXCHANGE = 'BINANCE'


@dataclass(frozen=True)
class Coin:
    base: str
    name: str
    price: float  # plausible starting price in USD
    small_decimals: int  # decimals shown while the price is below 1 (TradingView's pricescale)
    supply: float  # circulating supply, for the market-cap decoy
    local_name: str  # the localized description the socket sends: non-ASCII on purpose (LEN counts UTF-16)


@dataclass(frozen=True)
class Listing:
    """One market: a coin against a quote currency on one exchange."""
    exchange: str
    ticker: str
    coin: Coin
    currency: str
    currency_name: str

    @property
    def description(self) -> str:
        return f'{self.coin.name} / {self.currency_name}'

    @property
    def title_pair(self) -> str:
        return f'{self.coin.base} {self.currency}'

    @property
    def symbol(self) -> str:
        return f'{self.exchange}:{self.ticker}'


_COINS = [
    Coin('BTC', 'Bitcoin', 97123.45, 4, 19.79e6, 'Биткоин'),
    Coin('ETH', 'Ethereum', 3487.62, 4, 120.4e6, 'Эфириум'),
    Coin('ADA', 'Cardano', 0.4512, 4, 35.9e9, 'Кардано'),
    Coin('SOL', 'Solana', 150.37, 4, 472e6, 'Солана'),
    Coin('XRP', 'XRP', 2.31, 4, 57.6e9, 'XRP'),
    Coin('DOGE', 'Dogecoin', 0.16234, 5, 147.8e9, 'Догикоин 🐕'),
    Coin('BNB', 'BNB', 612.8, 4, 144e6, 'BNB'),
    Coin('LTC', 'Litecoin', 88.42, 4, 75.4e6, 'Лайткоин'),
    Coin('DOT', 'Polkadot', 4.218, 4, 1.52e9, 'Полкадот'),
    Coin('AVAX', 'Avalanche', 22.41, 4, 411e6, 'Аваланч'),
    Coin('LINK', 'Chainlink', 15.12, 4, 638e6, 'Чейнлинк'),
    Coin('TRX', 'TRON', 0.24381, 5, 86.2e9, 'Трон'),
    Coin('MATIC', 'Polygon', 0.3812, 4, 9.9e9, 'Полигон'),
    Coin('ATOM', 'Cosmos', 4.52, 4, 390e6, 'Космос'),
    Coin('XLM', 'Stellar', 0.29411, 5, 30.6e9, 'Стеллар'),
    Coin('ETC', 'Ethereum Classic', 18.07, 4, 150e6, 'Эфириум Классик'),
    Coin('FIL', 'Filecoin', 2.81, 4, 650e6, 'Файлкоин'),
    Coin('NEAR', 'NEAR Protocol', 2.53, 4, 1.2e9, 'Протокол NEAR'),
    Coin('APT', 'Aptos', 5.12, 4, 590e6, 'Аптос'),
    Coin('UNI', 'Uniswap', 7.23, 4, 600e6, 'Юнисвоп 🦄'),
    Coin('SHIB', 'Shiba Inu', 0.00001234, 8, 589e12, 'Шиба-ину 🐕'),
    Coin('PEPE', 'Pepe', 0.00000952, 8, 420e12, 'Пепе 🐸'),
    Coin('ARB', 'Arbitrum', 0.4213, 4, 4.4e9, 'Арбитрум'),
    Coin('OP', 'Optimism', 0.7531, 4, 1.6e9, 'Оптимизм'),
    Coin('SUI', 'Sui', 3.42, 4, 3.3e9, 'Суи'),
    Coin('TON', 'Toncoin', 3.11, 4, 2.5e9, 'Тонкоин'),
    Coin('BCH', 'Bitcoin Cash', 421.6, 4, 19.8e6, 'Биткоин Кэш'),
    Coin('HBAR', 'Hedera', 0.19042, 5, 42e9, 'Хедера'),
    Coin('ALGO', 'Algorand', 0.2113, 4, 8.6e9, 'Алгоранд'),
    Coin('AAVE', 'Aave', 261.4, 4, 15e6, 'Ааве 👻'),
    Coin('ICP', 'Internet Computer', 5.61, 4, 530e6, 'Интернет-компьютер'),
    Coin('VET', 'VeChain', 0.027315, 6, 86e9, 'ВиЧейн'),
    Coin('INJ', 'Injective', 12.18, 4, 97e6, 'Инджектив'),
    Coin('RNDR', 'Render', 4.12, 4, 517e6, 'Рендер'),
    Coin('MKR', 'Maker', 1502.0, 4, 0.88e6, 'Мейкер'),
    Coin('FLOKI', 'Floki', 0.00008512, 8, 9.6e12, 'Флоки 🐕'),
]

_QUOTES = {'USD': 'U.S. Dollar', 'USDT': 'TetherUS'}
_EVERY = frozenset(coin.base for coin in _COINS)
_HANDFUL = frozenset({'BTC', 'ETH', 'SOL', 'XRP', 'DOGE', 'ADA'})


@dataclass(frozen=True)
class Exchange:
    name: str
    price_factor: float  # its books trade this far from Binance's, so one coin differs across exchanges
    bases: dict[str, frozenset[str]]  # quote currency -> the coins listed against it


EXCHANGES = {e.name: e for e in [
    Exchange('BINANCE', 1.0, {'USD': _EVERY, 'USDT': _EVERY}),
    Exchange('COINBASE', 1.0035, {'USD': _EVERY, 'USDT': _HANDFUL}),
    Exchange('KRAKEN', 0.9968, {'USD': _EVERY - {'BNB', 'TON', 'FLOKI', 'RNDR'}, 'USDT': _HANDFUL}),
]}

# Popular pairs shown as "related symbols": the same ones on most pages, so decoys overlap across tabs.
POPULAR = ['BTC', 'ETH', 'SOL', 'XRP', 'BNB', 'DOGE', 'ADA']


def listings() -> dict[str, Listing]:
    """Every market of every exchange, by `EXCHANGE:TICKER`."""
    found = {}
    for exchange in EXCHANGES.values():
        for coin in _COINS:
            for currency, bases in exchange.bases.items():
                if coin.base in bases:
                    listing = Listing(exchange.name, coin.base + currency, coin, currency, _QUOTES[currency])
                    found[listing.symbol] = listing
    return found


def default_universe() -> dict[str, Listing]:
    """BINANCE's markets by bare ticker: what a ticker without an exchange means (the benches use it)."""
    return {listing.ticker: listing for listing in listings().values() if listing.exchange == DEFAULT_EXCHANGE}


def qualify(name: str) -> str:
    """`BTCUSD` -> `BINANCE:BTCUSD`, `coinbase:BTCUSD` -> `COINBASE:BTCUSD`. Exchanges are upper-cased, as
    TradingView does; tickers keep their case (`btcusd` is not found)."""
    exchange, colon, ticker = name.rpartition(':')
    return f'{exchange.upper() if colon else DEFAULT_EXCHANGE}:{ticker}'


def resolve(name: Any) -> str | None:
    """`COINBASE:BTCUSD` or `={"symbol":"COINBASE:BTCUSD",...}` -> `COINBASE:BTCUSD`; `BTCUSD` is BINANCE's."""
    if isinstance(name, str) and name.startswith('='):
        try:
            name = json.loads(name[1:]).get('symbol')
        except (ValueError, AttributeError):
            return None
    return qualify(name) if isinstance(name, str) else None


def page_symbol(slug: str, exchange: str | None) -> str:
    """The symbol a page URL names: `/symbols/COINBASE-BTCUSD/`, or `/symbols/BTCUSD/?exchange=COINBASE`."""
    if '-' in slug:
        exchange, slug = slug.split('-', 1)
    return f'{(exchange or DEFAULT_EXCHANGE).upper()}:{slug}'


def related_symbols(listing: Listing, listed: Container[str]) -> list[str]:
    """Up to 4-6 other popular markets of the same exchange and quote currency, fixed per ticker."""
    count = 4 + sum(map(ord, listing.ticker)) % 3
    others = [f'{listing.exchange}:{base}{listing.currency}' for base in POPULAR if base != listing.coin.base]
    return [s for s in others if s in listed][:count]
