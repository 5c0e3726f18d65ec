"""Prices as the UI sees them: one interface (PriceSource) between the engine and the UI, and beside it how the
source is doing (SourceHealth) and its timings (Instruments)."""
from .health import ClusterView, Instruments, Mode, SourceHealth
from .listeners import Listeners, Remove
from .live_price import LivePrice
from .local import LocalPrices
from .source import PriceListener, PriceSource, SeriesListener, TooManySymbols

__all__ = ['ClusterView', 'Instruments', 'Listeners', 'LivePrice', 'LocalPrices', 'Mode', 'PriceListener',
           'PriceSource', 'Remove', 'SeriesListener', 'SourceHealth', 'TooManySymbols']
