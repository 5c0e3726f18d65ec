"""The replica's default symbol universe: every coin quoted in USD and in USDT, as TradingView lists them."""
from __future__ import annotations

from dataclasses import dataclass


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
    """One ticker: a coin against a quote currency."""
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

_QUOTES = [('USD', 'U.S. Dollar'), ('USDT', 'TetherUS')]

# Popular pairs shown as "related symbols": the same ones on most pages, so decoys overlap across tabs.
POPULAR = ['BTC', 'ETH', 'SOL', 'XRP', 'BNB', 'DOGE', 'ADA']


def default_universe() -> dict[str, Listing]:
    listings = {}
    for coin in _COINS:
        for currency, currency_name in _QUOTES:
            ticker = coin.base + currency
            listings[ticker] = Listing(ticker, coin, currency, currency_name)
    return listings


def related_tickers(listing: Listing, universe: dict[str, Listing]) -> list[str]:
    """4 to 6 other popular tickers in the same quote currency, fixed per ticker."""
    count = 4 + sum(map(ord, listing.ticker)) % 3
    others = [base + listing.currency for base in POPULAR if base != listing.coin.base]
    return [t for t in others if t in universe][:count]
