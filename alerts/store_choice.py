"""Which store holds the alerts: SQLite in the state directory for one process, the cluster's Valkey for a node
of several. Apart from store.py (the contract both stores keep), so that neither store imports its chooser."""
from __future__ import annotations

import os
from pathlib import Path

from settings import Settings

from .store import AlertStore


def state_dir() -> Path:
    """The app's state directory: where NiceGUI keeps each browser's list (NICEGUI_STORAGE_PATH)."""
    return Path(os.environ.get('NICEGUI_STORAGE_PATH', '.nicegui'))


def open_store(settings: Settings) -> AlertStore:
    """SQLite in the state directory for one process; the cluster's Valkey for a node of several."""
    if settings.clustered:
        from .store_valkey import ValkeyStore  # only cluster mode needs redis-py: a single process never loads it
        return ValkeyStore(settings)
    from .store_sqlite import SqliteStore
    return SqliteStore(state_dir() / 'alerts.sqlite3')
