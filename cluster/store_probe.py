"""Whether the store answers writes, seen from a thread of its own, so that a busy web loop cannot hide it.

The coordinator's ticks run on the web loop. When 2000 viewers connect to a node at once, that loop is busy
for seconds in many short turns (building pages): each await of a tick waits its turn, and the tick overruns
its deadline while Valkey answered every command at once (bench cluster, run 3 of 2026-12-05: both nodes
called Valkey away for ~9 s and opened a tab per followed symbol, making the load worse). A tick that runs
late proves nothing about the store; this probe does. Every PROBE_S its thread writes one short-lived key
over its own connection, so its answer waits for nothing of the loop's. A late tick counts as the store's
absence only when the probe has not heard from the store since that tick began (coordinator.py).

For the same reason it renews the node's leases in that write's round trip: the leases the coordinator
held at its last tick (`keep`), while that tick is less than KEEP_FOR old. A loop held for a collection or
a burst of page clean-ups no longer lets leases expire; a loop stuck for good stops the renewals within
KEEP_FOR, so a node that cannot serve does not keep its symbols from the others. A lease given back or lost
since the last tick is harmless to renew: RENEW compares the token (lease.py).

Cost: one round trip per PROBE_S per node (4 a second) carrying a SET of a few bytes and one EVALSHA per
lease held, one connection and one mostly sleeping thread.
"""
from __future__ import annotations

import threading
import time

from redis.exceptions import RedisError

from settings import Settings

from . import store_link
from .lease import RENEW, Renewal
from .wire import probe_key

PROBE_S = 0.25
KEEP_FOR_TTLS = 3  # renewals from here stop when the coordinator's last tick is older than this many lease ttls


class StoreProbe:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._key = probe_key(settings.node_name)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.answered_at = 0.0  # time.monotonic() of the last write the store acknowledged
        self.failed_at = 0.0  # ... and of the last one it refused or left unanswered for store_link.TIMEOUT_S
        self._keep_for = settings.lease_ttl * KEEP_FOR_TTLS
        self._leases: tuple[tuple[Renewal, ...], float] = ((), 0.0)  # held at the last tick, and when (monotonic)

    def keep(self, leases: tuple[Renewal, ...]) -> None:
        """The leases this node holds now; called by every tick, so that renewals stop when ticks do."""
        self._leases = (leases, time.monotonic())  # one assignment: the thread reads both or neither

    def answered_since(self, moment: float) -> bool:
        """Has the store acknowledged a write since `moment` (time.monotonic()), and refused none after it?"""
        return self.answered_at >= moment and self.answered_at > self.failed_at

    def start(self) -> None:
        assert self._thread is None, 'a probe runs once'
        self._thread = threading.Thread(target=self._run, name=f'store probe {self._settings.node_name}',
                                        daemon=True)  # daemon: an interpreter that exits mid-write is not held
        self._thread.start()

    def stop(self) -> None:
        """Blocks for at most one write's timeout: call it off the loop (asyncio.to_thread)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        client = store_link.connect_blocking(self._settings)
        renew = client.register_script(RENEW)
        ttl_ms = int(PROBE_S * 8 * 1000)
        try:
            while not self._stop.is_set():
                leases, ticked_at = self._leases
                try:
                    with client.pipeline(transaction=False) as pipe:
                        pipe.set(self._key, b'1', px=ttl_ms)
                        if time.monotonic() - ticked_at < self._keep_for:
                            for lease in leases:
                                renew(keys=[lease.key], args=[lease.token, lease.ttl_ms], client=pipe)
                        pipe.execute()
                    self.answered_at = time.monotonic()
                except (RedisError, OSError):
                    self.failed_at = time.monotonic()  # the coordinator's own tick says what failed, once
                self._stop.wait(PROBE_S)
        finally:
            client.close()
