"""From TradingView symbol pages to observable per-symbol price state. Knows nothing of the UI."""
from .engine import PriceEngine
from .settings import Settings, parse_settings
from .state import PriceEntry, Status
from .symbols import InvalidSymbol, normalize_symbol, sort_key, split_symbol

__all__ = ['InvalidSymbol', 'PriceEngine', 'PriceEntry', 'Settings', 'Status',
           'normalize_symbol', 'parse_settings', 'sort_key', 'split_symbol']
