"""The web process's garbage collector: survivors frozen so long-lived viewers are not walked again, and thawed
so that garbage frozen with them is still freed. The second half runs CPython's real collector."""
from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from cryptoui.collector import Collector, FreezePlan

MB = 2**20


def decide(plan: FreezePlan, generation: int, pages: int, mb: int) -> str:
    """As Collector does: decide, and after a freeze tell the plan what was frozen with."""
    decision = plan.after_collection(generation, pages, mb * MB)
    if decision == 'freeze':
        plan.froze(pages, mb * MB)
    return decision


def test_survivors_are_frozen_while_the_pages_stay():
    plan = FreezePlan()
    assert decide(plan, 1, pages=1000, mb=600) == 'freeze'
    assert decide(plan, 1, pages=1200, mb=700) == 'freeze'
    assert decide(plan, 2, pages=700, mb=700) == 'freeze'  # fewer, not half of 1200; memory is rarely given back


def test_viewers_leaving_thaw_and_nothing_is_frozen_again_before_a_full_collection():
    plan = FreezePlan()
    decide(plan, 1, pages=2000, mb=1000)
    assert decide(plan, 1, pages=1000, mb=1000) == 'thaw'
    assert decide(plan, 1, pages=1000, mb=1000) == 'wait'
    assert decide(plan, 1, pages=900, mb=1000) == 'wait'
    assert decide(plan, 2, pages=900, mb=1000) == 'freeze'
    assert decide(plan, 1, pages=600, mb=1000) == 'freeze'  # the peak counts from the thaw: 1000


def test_memory_growing_by_half_with_no_more_pages_thaws():
    plan = FreezePlan()
    decide(plan, 1, pages=990, mb=500)
    assert decide(plan, 1, pages=990, mb=740) == 'freeze'
    assert decide(plan, 1, pages=990, mb=750) == 'thaw'


def test_more_viewers_bring_more_memory_without_a_thaw():
    plan = FreezePlan()
    decide(plan, 1, pages=0, mb=150)  # the server alone
    for pages in (5, 100, 1000, 5000):
        assert decide(plan, 1, pages=pages, mb=150 + pages * 4 // 10) == 'freeze'


class Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def collector() -> Iterator[tuple[Collector, list[int]]]:
    pages = [100]
    thresholds = gc.get_threshold()
    collector = Collector(lambda: pages[0])
    collector.install()
    try:
        yield collector, pages
    finally:
        collector.uninstall()
        gc.set_threshold(*thresholds)


def test_the_real_collector_skips_frozen_objects_and_frees_their_cycles_after_a_thaw(collector):
    _, pages = collector
    held = [Cycle()]
    cycle = weakref.ref(held[0])
    gc.collect(1)
    assert gc.get_freeze_count() > 0, 'a middle collection froze nothing'
    held.clear()  # garbage now, in a cycle, frozen
    gc.collect()
    assert cycle() is not None, 'a full collection walked the frozen objects'
    pages[0] = 40  # most viewers left
    gc.collect(1)
    assert gc.get_freeze_count() == 0, 'viewers left and nothing was thawed'
    gc.collect(1)
    assert cycle() is not None and gc.get_freeze_count() == 0, 'refrozen before a full collection'
    gc.collect()
    assert cycle() is None, 'the full collection after the thaw did not free the cycle'
    assert gc.get_freeze_count() > 0, 'the survivors of that collection were not frozen'


def test_a_collection_that_holds_the_loop_long_is_logged(collector, caplog, monkeypatch):
    monkeypatch.setattr('cryptoui.collector.LONG_COLLECTION_S', 0.0)
    with caplog.at_level('WARNING', logger='cryptoui.collector'):
        gc.collect(0)
    assert 'garbage collection (generation 0' in caplog.text
