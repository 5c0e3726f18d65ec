"""The web process's garbage collector: survivors frozen so long-lived viewers are not walked again, and thawed
so that garbage frozen with them is still freed. The second half runs CPython's real collector."""
from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from cryptoui.collector import Collector, FreezePlan


def decide(plan: FreezePlan, generation: int, pages: int, frozen: int, frozen_after: int | None = None) -> str:
    """As Collector does: decide, and after a freeze tell the plan what is frozen now."""
    decision = plan.after_collection(generation, pages, frozen)
    if decision == 'freeze':
        plan.froze(pages, frozen if frozen_after is None else frozen_after)
    return decision


def test_survivors_are_frozen_while_the_pages_stay():
    plan = FreezePlan()
    assert decide(plan, 1, pages=1000, frozen=0, frozen_after=2_400_000) == 'freeze'
    assert decide(plan, 1, pages=1200, frozen=2_600_000, frozen_after=2_800_000) == 'freeze'
    assert decide(plan, 2, pages=700, frozen=1_700_000) == 'freeze'  # fewer, not half of 1200


def test_viewers_leaving_thaw_and_nothing_is_frozen_again_before_a_full_collection():
    plan = FreezePlan()
    decide(plan, 1, pages=2000, frozen=0, frozen_after=4_400_000)
    assert decide(plan, 1, pages=1000, frozen=2_400_000) == 'thaw'
    assert decide(plan, 1, pages=1000, frozen=0) == 'wait'
    assert decide(plan, 1, pages=900, frozen=0) == 'wait'
    assert decide(plan, 2, pages=900, frozen=0, frozen_after=2_200_000) == 'freeze'
    assert decide(plan, 1, pages=600, frozen=1_600_000) == 'freeze'  # the peak counts from the thaw: 1000


def test_frozen_objects_doubling_with_no_more_pages_thaw():
    plan = FreezePlan()
    decide(plan, 1, pages=990, frozen=0, frozen_after=2_000_000)
    assert decide(plan, 1, pages=990, frozen=3_900_000, frozen_after=3_900_000) == 'freeze'
    assert decide(plan, 1, pages=990, frozen=4_000_000) == 'thaw'


def test_more_viewers_bring_more_frozen_objects_without_a_thaw():
    plan = FreezePlan()
    decide(plan, 1, pages=0, frozen=0, frozen_after=400_000)  # the server's own objects, before any viewer
    frozen = 400_000
    for pages in (5, 100, 1000, 5000):  # frozen lags a step behind: it is counted before each freeze
        assert decide(plan, 1, pages=pages, frozen=frozen, frozen_after=400_000 + 2000 * pages) == 'freeze'
        frozen = 400_000 + 2000 * pages


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
