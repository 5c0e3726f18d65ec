"""Prices as the UI sees them: one interface (PriceSource) between the engine and the UI."""
from .live_price import LivePrice
from .local import LocalPrices
from .source import EngineHealth, PriceListener, PriceSource, TooManySymbols

__all__ = ['EngineHealth', 'LivePrice', 'LocalPrices', 'PriceListener', 'PriceSource', 'TooManySymbols']
