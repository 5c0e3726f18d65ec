"""The Valkey the launcher runs for its nodes (one server, or with --ha a primary, a replica and three sentinels),
and what happens when a piece of it dies: it is started again from its own files.

That is safe because every Valkey here keeps an append-only file: a restarted single Valkey has everything it
acknowledged, and a restarted piece of the --ha group rejoins as a replica of the primary the sentinels name,
copying from it. The one wait: a dead primary comes back only once the sentinels name another one (about 2 s),
or, when none can take over (the replica is down too), after the time a failover would have taken.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from .processes import ManagedProcess, ServerError
from .sentinels import FailoverTiming, SentinelGroup, data_dir_of_last_primary
from .servers import ValkeyServer

log = logging.getLogger('cluster')

RECENT_S = 120  # revivals within this long make the next one wait longer: a piece that keeps dying
MAX_DELAY_S = 60


@dataclass
class _Revival:
    piece: ManagedProcess
    died_at: float
    not_before: float


@dataclass
class StoreKeeper:
    state_dir: Path
    ha: bool = False
    master: str = 'tracker'
    timing: FailoverTiming = FailoverTiming()
    valkey: ValkeyServer | None = None
    group: SentinelGroup | None = None
    _due: list[_Revival] = field(default_factory=list)
    _revived: dict[str, deque[float]] = field(default_factory=dict)
    _recorded_at: float = 0.0

    def start(self, timeout: float | None = None) -> dict[str, str]:
        """Start it; returns how a node reaches it (NodeProcess keyword arguments)."""
        if self.ha:
            self.group = SentinelGroup(self.state_dir, self.master, self.timing)
            self.group.start(timeout)
            primary = self.group.primary()
            log.info('valkey --ha: primary %s (%s), replica %s, sentinels %s; files in %s, logs %s/*.log',
                     primary.name, primary.address, self.group.valkeys[1 - self.group.valkeys.index(primary)].name,
                     self.group.sentinel_addresses, ', '.join(str(v.dir) for v in self.group.valkeys), self.state_dir)
            return {'sentinels': self.group.sentinel_addresses, 'master': self.master}
        self.valkey = ValkeyServer(self.state_dir, data_dir=data_dir_of_last_primary(self.state_dir))
        self.valkey.start(timeout)
        log.info('valkey: %s (pid %d, %s, files in %s, log %s)', self.valkey.url, self.valkey.pid,
                 self.valkey.binary, self.valkey.dir, self.valkey.log_path)
        return {'redis_url': self.valkey.url}

    def pieces(self) -> list[ManagedProcess]:
        """In stopping order."""
        if self.group:
            return self.group.pieces()
        return [self.valkey] if self.valkey else []

    def owns(self, piece: ManagedProcess) -> bool:
        return any(piece is mine for mine in self.pieces())

    def pending(self) -> bool:
        return bool(self._due)

    def died(self, piece: ManagedProcess) -> None:
        now = time.monotonic()
        recent = self._revived.setdefault(piece.name, deque())
        while recent and recent[0] < now - RECENT_S:
            recent.popleft()
        delay = min(MAX_DELAY_S, 2 ** len(recent) - 1)  # 0, 1, 3, 7... s
        self._due.append(_Revival(piece, now, now + delay))
        if delay:
            log.warning('%s died %d time(s) in %d s: starting it again in %d s', piece.name, len(recent) + 1,
                        RECENT_S, delay)

    def tick(self) -> None:
        """Start again each dead piece whose turn has come; note a failover. Called about once a second."""
        now = time.monotonic()
        for revival in [r for r in self._due if r.not_before <= now and self._may_revive(r, now)]:
            self._due.remove(revival)
            self._revive(revival)
        if self.group and now - self._recorded_at > 2:
            self._recorded_at = now
            self.group.record_primary()

    def _may_revive(self, revival: _Revival, now: float) -> bool:
        if not self.group or not isinstance(revival.piece, ValkeyServer):
            return True
        if self.group.named_primary() != revival.piece.address:
            return True  # a replica, or a primary already replaced: it comes back as a replica
        # Still named primary: its replica is being promoted, or cannot be (down too). Then it is the primary.
        t = self.timing
        return now - revival.died_at > (t.down_after_ms + t.failover_timeout_ms) / 1000

    def _revive(self, revival: _Revival) -> None:
        piece = revival.piece
        self._revived[piece.name].append(time.monotonic())
        try:
            if self.group:
                self.group.revive(piece, timeout=20)  # it says as what
            else:
                log.info('%s: starting again from its files', piece.name)
                piece.start(timeout=20)
        except ServerError as problem:
            log.error('%s could not start again: %s', piece.name, problem)
            self.died(piece)
            return
        log.info('%s: running again (pid %d)', piece.name, piece.pid)

    def stop(self) -> None:
        self._due.clear()
        if self.group:
            self.group.stop()
        elif self.valkey:
            self.valkey.stop()
