"""Prices as the UI sees them: one interface (PriceSource) between the engine and the UI."""
from .live_price import LivePrice
from .local import LocalPrices
from .source import PriceListener, PriceSource, TooManySymbols

__all__ = ['LivePrice', 'LocalPrices', 'PriceListener', 'PriceSource', 'TooManySymbols']
