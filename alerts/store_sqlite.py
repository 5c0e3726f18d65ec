"""Alerts of a single process, in SQLite under the app's state directory.

Write-ahead log with synchronous=FULL: a write is on disk when it returns, and a crash (even of the machine)
in the middle of one loses that write at most, never an older one. SQLite runs in one thread of its own, so
the event loop (and every price) never waits for the disk; the one thread also orders the writes.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from .model import LOG_KEPT, Alert, AlertSpec, Firing, LogEntry
from .store import ChangeListener, make_token

log = logging.getLogger(__name__)
T = TypeVar('T')

SCHEMA = '''
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, spec TEXT NOT NULL, arming TEXT NOT NULL,
    generation INTEGER NOT NULL, fired_at REAL, fired_price REAL, created_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_owner ON alerts(owner);
CREATE TABLE IF NOT EXISTS deliveries (alert_id TEXT NOT NULL, at REAL NOT NULL, entry TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_alert ON deliveries(alert_id, at);
CREATE TABLE IF NOT EXISTS tokens (owner TEXT PRIMARY KEY, token TEXT NOT NULL UNIQUE);
'''


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix='alerts-sqlite')
        self._db: sqlite3.Connection | None = None

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._in_thread, work)

    def _in_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        assert self._db is not None, 'the store is not started'
        with self._db:  # one transaction: committed on return, rolled back on an exception
            return work(self._db)

    async def start(self) -> None:
        def open_db() -> None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not self.path.exists()
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            if fresh:
                os.chmod(self.path, 0o600)  # webhook URLs and API tokens are secrets
            self._db.execute('PRAGMA journal_mode=WAL')
            self._db.execute('PRAGMA synchronous=FULL')
            self._db.executescript(SCHEMA)
            self._db.isolation_level = 'DEFERRED'  # from now on `with db:` makes transactions ('' is its alias)
        await asyncio.get_running_loop().run_in_executor(self._thread, open_db)
        log.info('alerts kept in %s', self.path)

    async def stop(self) -> None:
        def close() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None
        await asyncio.get_running_loop().run_in_executor(self._thread, close)
        self._thread.shutdown(wait=True)

    def on_change(self, listener: ChangeListener) -> None:
        """One process: every change is made here, nobody else changes anything."""

    async def lost_since_seen(self) -> bool:
        return False  # a file does not empty itself

    async def mark(self) -> None:
        """Nothing to mark: see lost_since_seen."""

    async def load(self) -> list[Alert]:
        rows = await self._run(lambda db: db.execute('SELECT * FROM alerts').fetchall())
        alerts = []
        for row in rows:
            try:
                alerts.append(_alert(row))
            except (KeyError, TypeError, ValueError) as error:  # a row an older or newer version wrote
                log.warning('alert %s not read (%s): left in the database', row[0], error)
        return alerts

    async def get(self, alert_id: str) -> Alert | None:
        row = await self._run(lambda db: db.execute('SELECT * FROM alerts WHERE id = ?', (alert_id,)).fetchone())
        return _alert(row) if row else None

    async def put(self, alert: Alert) -> None:
        values = (alert.id, alert.owner, json.dumps(alert.spec.as_dict()), alert.arming, alert.generation,
                  alert.fired_at, alert.fired_price, alert.created_at)
        await self._run(lambda db: db.execute('INSERT OR REPLACE INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?)', values))

    async def delete(self, alert_id: str) -> bool:
        def delete(db: sqlite3.Connection) -> bool:
            db.execute('DELETE FROM deliveries WHERE alert_id = ?', (alert_id,))
            return db.execute('DELETE FROM alerts WHERE id = ?', (alert_id,)).rowcount > 0
        return await self._run(delete)

    async def claim(self, firings: list[Firing]) -> list[Alert | None]:
        def claim(db: sqlite3.Connection) -> list[Alert | None]:
            results: list[Alert | None] = []
            for firing in firings:
                alert, fired = firing.alert, firing.alert.fired(firing.at, firing.price)
                won = db.execute('UPDATE alerts SET generation = ?, fired_at = ?, fired_price = ? '
                                 'WHERE id = ? AND arming = ? AND generation = ?',
                                 (fired.generation, fired.fired_at, fired.fired_price, alert.id, alert.arming,
                                  alert.generation)).rowcount == 1
                results.append(fired if won else None)
            return results
        return await self._run(claim)

    async def add_log(self, alert_id: str, entry: LogEntry, broken: bool = False) -> None:
        def add(db: sqlite3.Connection) -> None:
            db.execute('INSERT INTO deliveries VALUES (?, ?, ?)', (alert_id, entry.at, json.dumps(entry.as_dict())))
            db.execute('DELETE FROM deliveries WHERE alert_id = ? AND rowid NOT IN (SELECT rowid FROM deliveries '
                       'WHERE alert_id = ? ORDER BY at DESC, rowid DESC LIMIT ?)', (alert_id, alert_id, LOG_KEPT))
        await self._run(add)

    async def log_of(self, alert_id: str) -> list[LogEntry]:
        rows = await self._run(lambda db: db.execute(
            'SELECT entry FROM deliveries WHERE alert_id = ? ORDER BY at DESC, rowid DESC', (alert_id,)).fetchall())
        return [LogEntry.from_dict(json.loads(row[0])) for row in rows]

    async def token(self, owner: str) -> str:
        def token(db: sqlite3.Connection) -> str:
            row = db.execute('SELECT token FROM tokens WHERE owner = ?', (owner,)).fetchone()
            if row:
                return row[0]
            made = make_token()
            db.execute('INSERT INTO tokens VALUES (?, ?)', (owner, made))
            return made
        return await self._run(token)

    async def new_token(self, owner: str) -> str:
        made = make_token()
        await self._run(lambda db: db.execute('INSERT OR REPLACE INTO tokens VALUES (?, ?)', (owner, made)))
        return made

    async def owner_of(self, token: str) -> str | None:
        row = await self._run(lambda db: db.execute('SELECT owner FROM tokens WHERE token = ?', (token,)).fetchone())
        return row[0] if row else None


def _alert(row: Any) -> Alert:
    alert_id, owner, spec, arming, generation, fired_at, fired_price, created_at = row
    return Alert(alert_id, owner, AlertSpec.from_dict(json.loads(spec)), arming, int(generation), fired_at,
                 fired_price, float(created_at))
