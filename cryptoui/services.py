"""What every page of the app is built with: one of each for the whole process, made in app.py.

Pages show prices (PriceSource); how the source is doing (prices.SourceHealth) goes to /health and /metrics only.
"""
from __future__ import annotations

from dataclasses import dataclass

from alerts.service import AlertService
from cryptoui.fanout.price_feed import PriceFeed
from prices import PriceSource
from settings import Settings
from symbol_search.service import SymbolSearch


@dataclass(frozen=True)
class Services:
    prices: PriceSource
    settings: Settings
    feed: PriceFeed
    search: SymbolSearch
    alerts: AlertService
