"""When Python's garbage collector may hold the web process's event loop, and which objects it may skip.

A collection holds the loop: every price in flight and every engine.io ping waits for it. Each viewer keeps
~2000 objects alive (its page's elements, its socket, their queues), and CPython walks every object of the
generations it collects:
- default thresholds (700, 10, 10): at 1000 viewers a full collection every few seconds, ~1 s each;
- (50 000, 20, 10), shipped until 2026-12-05: short-lived objects die by reference count before a young
  collection sees them, but at 5000 viewers a middle collection walked up to a million survivors (0.5-0.9 s,
  every 20-30 s) and a full one all ten million (5.6-7.3 s) to free ~2000 of them (bench fanout's app logs).

So what survives a middle collection is frozen (`gc.freeze`: moved to the permanent generation, which no
collection walks), and middle collections come 4x as often, each walking at most ~250 000 objects: a viewer's
objects are walked a few times while young and never again. Frozen objects are still freed by reference
counting (NiceGUI holds an element's client and parent by weak reference, so a page that closes goes that
way); only garbage in a reference cycle among frozen objects stays. That is bounded by thawing
(`gc.unfreeze`), after which the next full collection walks, and frees, everything once more:
- when the pages fell to half of the most seen since the last thaw (viewers left: their cycles may be frozen);
- when the process's resident memory grew by half with no more pages than at their peak since the last thaw
  (a slow leak; counting frozen objects would walk all of them).
"""
from __future__ import annotations

import functools
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil

log = logging.getLogger(__name__)

THRESHOLDS = (50_000, 5, 10)
LONG_COLLECTION_S = 0.5  # engine.io closes a socket whose pong it has not read 2 s after its ping
THAW_BELOW_PEAK = 0.5
THAW_AT_GROWTH = 1.5
PAGES_FLOOR = 10  # fewer pages than this leaving is no reason to thaw


@dataclass
class FreezePlan:
    """The decision after each middle or full collection: freeze, thaw or wait. No gc calls: testable as is."""
    peak_pages: int = 0  # the most pages since the last thaw
    memory_at_peak: int = 0  # the process's resident bytes right after the freeze at that peak
    thawed: bool = False  # waiting for the full collection that frees what was frozen

    def after_collection(self, generation: int, pages: int, memory: int) -> str:
        if self.thawed:
            if generation < 2:
                return 'wait'
            self.thawed = False
        left = self.peak_pages >= PAGES_FLOOR and pages <= self.peak_pages * THAW_BELOW_PEAK
        grew = pages <= self.peak_pages and 0 < self.memory_at_peak * THAW_AT_GROWTH <= memory
        if left or grew:
            self.peak_pages, self.memory_at_peak, self.thawed = pages, 0, True
            return 'thaw'
        return 'freeze'

    def froze(self, pages: int, memory: int) -> None:
        """Right after a freeze: more memory with more pages is the pages', not a leak."""
        if pages > self.peak_pages or not self.memory_at_peak:
            self.peak_pages, self.memory_at_peak = max(pages, self.peak_pages), memory


@functools.cache
def _this_process() -> psutil.Process:
    return psutil.Process()  # made once: making one reads /proc too


def resident_bytes() -> int:
    return int(_this_process().memory_info().rss)


class Collector:
    """Installed once per web process: thresholds, freezing, and a warning for every collection that held the
    loop past LONG_COLLECTION_S."""

    def __init__(self, pages: Callable[[], int], memory: Callable[[], int] = resident_bytes) -> None:
        self._pages, self._memory = pages, memory
        self._plan = FreezePlan()
        self._started = 0.0

    def install(self) -> None:
        gc.set_threshold(*THRESHOLDS)
        gc.callbacks.append(self._on_collection)

    def uninstall(self) -> None:
        gc.callbacks.remove(self._on_collection)
        gc.unfreeze()

    def _on_collection(self, phase: str, info: dict) -> None:
        if phase == 'start':
            self._started = time.perf_counter()
            return
        if (held := time.perf_counter() - self._started) >= LONG_COLLECTION_S:
            log.warning('garbage collection (generation %d, %d objects freed) held the event loop %.2f s',
                        info['generation'], info['collected'], held)
        if info['generation'] >= 1:
            self._decide(info['generation'])

    def _decide(self, generation: int) -> None:
        # Not gc.get_freeze_count(): it walks every frozen object (40 ms for three million).
        pages, memory = self._pages(), self._memory()
        decision = self._plan.after_collection(generation, pages, memory)
        if decision == 'freeze':
            gc.freeze()
            self._plan.froze(pages, memory)
        elif decision == 'thaw':
            gc.unfreeze()
            log.info('frozen objects thawed (%d pages, %d MB resident): the next full collection frees their cycles',
                     pages, memory // 2**20)
