"""ECharts as NiceGUI ships it, for a component of our own (cryptoui/pages/symbol_chart.js).

NiceGUI (3.18.0) bundles ECharts for its ui.echart as a browser module named 'nicegui-echart' (its `dist`, whose
index.js exports `echarts`). The module is registered, and so put in each page's import map, only when the
package nicegui.elements.echart is imported; ui.echart is loaded lazily, so nothing else imports it. Our component
imports `echarts` from that module instead of shipping a second copy of ECharts (1.7 MB of
minified files in NiceGUI 3.18.0's dist).
"""
from __future__ import annotations

import importlib

from library_hooks import require

WRITTEN_FOR = {'nicegui': '3.18.0'}
require(__name__, WRITTEN_FOR)  # before importing what it relies on, which another version may have moved

BROWSER_MODULE = 'nicegui-echart'  # what symbol_chart.js imports `echarts` from
PACKAGE = 'nicegui.elements.echart'


def register_browser_module() -> str:
    """Register NiceGUI's ECharts browser module (once is enough; again is harmless) and return its name."""
    importlib.import_module(PACKAGE)
    return BROWSER_MODULE
