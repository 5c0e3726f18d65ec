"""The sorted book of alerts: what a price sets off, once or every time, levels and moves over a window."""
from __future__ import annotations

import random

from alerts.book import Book
from alerts.model import ABOVE, BELOW, DOWN, EITHER, MOVE, UP, Alert, AlertSpec, Condition
from alerts.sorted_ids import SortedIds
from alerts.windows import Window

SYMBOL = 'BINANCE:BTCUSD'


def alert(alert_id: str, kind: str, level: float, *, repeat: bool = False, cooldown: float = 60.0,
          direction: str = EITHER, window: int = 300, symbol: str = SYMBOL) -> Alert:
    return Alert(alert_id, 'browser', AlertSpec(symbol, Condition(kind, level, direction, window), repeat, cooldown))


def fired_ids(firings) -> list[str]:
    return sorted(f.alert.id for f in firings)


def test_sorted_ids_take_what_a_price_reaches():
    ids = SortedIds()
    for key, name in [(3, 'c'), (1, 'a'), (2, 'b'), (2, 'b2'), (5, 'e')]:
        ids.add(key, name)
    assert list(ids.keys) == [1, 2, 2, 3, 5]
    assert ids.take_up_to(2, inclusive=False) == ['a']
    assert ids.take_from(3) == ['c', 'e']
    assert ids.remove(2, 'b2') and not ids.remove(2, 'zz')
    assert ids.ids == ['b']


def test_level_alerts_fire_when_the_price_gets_there_and_only_once():
    book = Book()
    book.add(alert('up1', ABOVE, 100), 0)
    book.add(alert('up2', ABOVE, 110), 0)
    book.add(alert('down', BELOW, 90), 0)
    assert book.tick(SYMBOL, 95, 1) == []
    assert fired_ids(book.tick(SYMBOL, 100, 2)) == ['up1']  # at the level counts
    assert book.tick(SYMBOL, 105, 3) == []  # fired once: gone from the book
    assert fired_ids(book.tick(SYMBOL, 80, 4)) == ['down']
    assert fired_ids(book.tick(SYMBOL, 200, 5)) == ['up2']
    assert len(book) == 0 and book.symbols() == []


def test_a_price_reaching_many_levels_fires_each_of_them():
    book = Book()
    for n in range(50):
        book.add(alert(f'a{n}', ABOVE, 100 + n), 0)
    firing = book.tick(SYMBOL, 124.5, 1)
    assert fired_ids(firing) == sorted(f'a{n}' for n in range(25))
    assert {f.price for f in firing} == {124.5}


def test_every_time_needs_the_price_back_and_the_cool_down_over():
    book = Book()
    book.add(alert('r', ABOVE, 100, repeat=True, cooldown=60), 0)
    assert fired_ids(book.tick(SYMBOL, 101, 10)) == ['r']
    book.update(book.alerts['r'].fired(10, 101))  # what the service does once the store agreed
    assert book.tick(SYMBOL, 102, 11) == []  # still above: not a new crossing
    assert book.tick(SYMBOL, 99, 12) == []  # back below: armed again
    assert book.tick(SYMBOL, 101, 13) == []  # crossed within the cool-down: not announced...
    assert book.tick(SYMBOL, 99, 80) == []
    assert fired_ids(book.tick(SYMBOL, 100.5, 81)) == ['r']  # ...and crossing after it is


def test_an_every_time_alert_that_fired_before_waits_for_the_price_to_come_back():
    book = Book()
    book.add(alert('r', BELOW, 50, repeat=True).fired(1, 49), 0)  # as loaded after a restart
    assert book.tick(SYMBOL, 40, 1000) == []
    assert book.tick(SYMBOL, 60, 1001) == []
    assert fired_ids(book.tick(SYMBOL, 45, 1002)) == ['r']


def test_removed_and_replaced_alerts_leave_no_trace():
    book = Book()
    book.add(alert('a', ABOVE, 100), 0)
    book.add(alert('a', ABOVE, 200), 0)  # the same id again: replaced, not doubled
    assert book.tick(SYMBOL, 150, 1) == []
    assert book.remove('a') is not None and book.remove('a') is None
    assert book.tick(SYMBOL, 250, 2) == [] and book.symbols() == []


def test_a_follower_node_follows_the_price_but_sets_nothing_off():
    book = Book()
    book.add(alert('a', ABOVE, 100), 0)
    assert book.tick(SYMBOL, 150, 1, fire=False) == []
    assert fired_ids(book.tick(SYMBOL, 150, 2)) == ['a']  # the node that owns it now


def test_window_low_and_high_slide():
    window = Window(10)
    for at, price in [(0, 5), (1, 3), (2, 4), (5, 8), (11, 6), (13, 7)]:
        window.push(at, price)
    assert (window.low, window.high) == (6, 8)  # at t=13 the last 10 s began at t=3
    window.push(20, 9)
    assert (window.low, window.high) == (6, 9)


def test_window_matches_a_brute_force_minimum_and_maximum():
    rng = random.Random(7)
    window, points = Window(30), []
    for at in range(500):
        price = rng.uniform(1, 2)
        window.push(at, price)
        points.append((at, price))
        inside = [p for t, p in points if t >= at - 30]
        assert (window.low, window.high) == (min(inside), max(inside))


def test_moves_fire_on_the_percent_reached_within_the_window():
    book = Book()
    book.add(alert('up2', MOVE, 2, direction=UP), 0)
    book.add(alert('up5', MOVE, 5, direction=UP), 0)
    book.add(alert('down3', MOVE, 3, direction=DOWN), 0)
    book.add(alert('any4', MOVE, 4, direction=EITHER), 0)
    assert book.tick(SYMBOL, 100, 0) == []
    firing = book.tick(SYMBOL, 102.5, 10)
    assert fired_ids(firing) == ['up2'] and round(firing[0].move, 2) == 2.5
    assert fired_ids(book.tick(SYMBOL, 104, 20)) == ['any4']
    assert book.tick(SYMBOL, 100.9, 30) == []  # 2.98 % below the high of 104
    assert fired_ids(book.tick(SYMBOL, 100.8, 40)) == ['down3']
    assert book.tick(SYMBOL, 105.2, 305) == []  # 100 (t=0) left the 5 min window: 4.4 % over 100.8, not 5.2 %
    assert fired_ids(book.tick(SYMBOL, 106, 310)) == ['up5']


def test_a_move_already_under_way_when_set_fires_only_when_it_comes_about_again():
    book = Book()
    book.add(alert('other', ABOVE, 1000), 0)  # the symbol is live in the book
    book.tick(SYMBOL, 100, 0)
    book.tick(SYMBOL, 110, 5)
    book.add(alert('r', MOVE, 5, direction=UP, repeat=True, cooldown=5), 6)
    assert book.tick(SYMBOL, 111, 7) == []  # still the old move
    assert book.tick(SYMBOL, 111, 400) == []  # the window forgot 100: the move is over
    assert fired_ids(book.tick(SYMBOL, 117, 401)) == ['r']


def test_moves_are_measured_from_the_history_when_set():
    history = {SYMBOL: [(0.0, 100.0), (60.0, 98.0)]}
    book = Book(history=lambda symbol, since: [p for p in history[symbol] if p[0] >= since])
    book.add(alert('other', ABOVE, 1000), 0)
    book.tick(SYMBOL, 99, 100)
    book.add(alert('m', MOVE, 3, direction=UP), 100)  # 99 is 1 % over the history's low of 98
    assert fired_ids(book.tick(SYMBOL, 101, 110)) == ['m']  # 3.06 % over 98


def test_a_window_keeps_at_most_one_price_a_second_however_often_they_come():
    window = Window(300)
    for n in range(3000):  # ten prices a second, rising for five minutes: the worst case for the low
        window.push(1000 + n / 10, 100 + n / 1000)
    assert (window.low, window.high) == (100.0, 100 + 2999 / 1000)
    assert len(window) == 300 + 1  # the low deque: one rising price a second; the high deque: the last one
