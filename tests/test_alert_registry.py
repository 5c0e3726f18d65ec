"""The process's copy of the alerts (what the store says lands in the right place of the book) and what a browser
kept before alerts were server objects."""
from __future__ import annotations

from alerts.book import Book
from alerts.migration import from_browser
from alerts.model import ABOVE, BELOW, Alert, AlertSpec, Condition
from alerts.registry import Registry

SYMBOL = 'BINANCE:BTCUSD'


def every_time(level: float) -> Alert:
    return Alert('r', 'b1', AlertSpec(SYMBOL, Condition(ABOVE, level), repeat=True, cooldown=5))


def test_a_firing_seen_from_another_node_waits_for_the_price_to_come_back():
    registry = Registry(Book())
    alert = every_time(100)
    registry.take(alert, 0)
    registry.book.tick(SYMBOL, 90, 1)
    old, fired = registry.apply('r', alert.fired(2, 101), 3)  # the owner node fired it
    assert old == alert and fired
    assert registry.book.tick(SYMBOL, 101, 20) == []  # this node owns it now: no second firing for that crossing
    registry.book.tick(SYMBOL, 95, 21)
    assert [f.alert.id for f in registry.book.tick(SYMBOL, 102, 22)] == ['r']


def test_the_same_alert_again_changes_nothing_and_a_removed_one_goes():
    registry = Registry(Book())
    alert = every_time(100)
    registry.take(alert, 0)
    assert registry.apply('r', alert, 1) == (alert, False)
    assert registry.of_owner('b1') == [alert]
    assert registry.apply('r', None, 2) == (alert, False)
    assert registry.of_owner('b1') == [] and len(registry.book) == 0


def test_a_fired_once_alert_is_kept_for_the_page_but_not_armed():
    registry = Registry(Book())
    once = Alert('o', 'b1', AlertSpec(SYMBOL, Condition(BELOW, 50)))
    registry.take(once.fired(1, 49), 2)
    assert registry.of_owner('b1')[0].done and len(registry.book) == 0


def test_old_browser_alerts_become_server_alerts_the_same_every_time():
    stored = {'BINANCE:ETHUSD': {'above': {'price': 4000.0, 'armed_at': 1767225600.5},
                                 'below': {'price': 3000.0, 'armed_at': 1767225601.0, 'fired_at': 1767225700.0,
                                           'fired_price': 2999.5}},
              'solusd': {'above': {'price': 200, 'armed_at': 1767225602}},  # an older bare ticker: normalized
              'BAD SYMBOL': {'above': {'price': 1.0, 'armed_at': 1.0}},
              'BINANCE:XRPUSD': {'above': {'price': 'NaN', 'armed_at': 1.0}, 'below': 'junk'},
              'BINANCE:DOTUSD': []}
    first = from_browser(stored, 'browser-1', 'BINANCE')
    assert [(a.symbol, a.spec.condition.kind, a.done) for a in first] == [
        ('BINANCE:ETHUSD', 'above', False), ('BINANCE:ETHUSD', 'below', True), ('BINANCE:SOLUSD', 'above', False)]
    assert first[1].fired_price == 2999.5
    assert [a.id for a in from_browser(stored, 'browser-1', 'BINANCE')] == [a.id for a in first]  # idempotent
    assert {a.id for a in from_browser(stored, 'browser-2', 'BINANCE')}.isdisjoint(a.id for a in first)
    assert from_browser(None, 'b', 'BINANCE') == [] and from_browser(['x'], 'b', 'BINANCE') == []
