"""Every armed alert, by symbol, sorted so that a price costs O(log n) to check against all of them.

Per symbol: 'above' levels fire when the price is at or over them (a prefix of the sorted levels), 'below'
levels when it is at or under them (a suffix). An alert that fires every time then waits in a reset list
until the price is back on its near side ("crosses" means crossing again), and fires again only if its
cool-down has passed. Moves are measured per window (5 min, 1 h, 24 h) from the window's low (up) or high
(down), kept by `Window`; their alerts are sorted by percent, so the same bisection finds those reached.

A move alert set while its move is already under way starts in the reset state: it fires when the move
next comes about, not at once for one that happened before it was set. A 'once' alert that fires leaves the
book; the service puts it back if the store refuses the firing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .conditions import move_percent
from .model import ABOVE, DOWN, EITHER, MOVE, UP, Alert, Firing
from .sorted_ids import SortedIds
from .windows import Window

History = Callable[[str, float], Iterable[tuple[float, float]]]  # (symbol, since) -> (time, price), oldest first


@dataclass
class _Moves:
    window: Window
    armed_up: SortedIds = field(default_factory=SortedIds)  # 'up' and 'either' alerts
    armed_down: SortedIds = field(default_factory=SortedIds)  # 'down' and 'either' alerts
    reset_up: SortedIds = field(default_factory=SortedIds)
    reset_down: SortedIds = field(default_factory=SortedIds)
    reset_either: SortedIds = field(default_factory=SortedIds)
    count: int = 0
    seeded: bool = False  # from the symbol's history, once it has one (at the first price after arming)

    def moves(self, price: float) -> tuple[float, float]:
        low, high = self.window.low, self.window.high
        return move_percent(price, low if low is not None else price, high if high is not None else price)


@dataclass
class _Symbol:
    price: float | None = None
    above: SortedIds = field(default_factory=SortedIds)
    below: SortedIds = field(default_factory=SortedIds)
    above_reset: SortedIds = field(default_factory=SortedIds)  # fired every-time 'above': back when price < level
    below_reset: SortedIds = field(default_factory=SortedIds)  # fired every-time 'below': back when price > level
    moves: dict[int, _Moves] = field(default_factory=dict)  # window seconds -> its alerts
    count: int = 0


class Book:
    def __init__(self, history: History | None = None) -> None:
        self.alerts: dict[str, Alert] = {}
        self._symbols: dict[str, _Symbol] = {}
        self._resetting: set[str] = set()
        self._history = history

    def __len__(self) -> int:
        return len(self.alerts)

    def symbols(self) -> list[str]:
        return list(self._symbols)

    def has(self, alert_id: str) -> bool:
        return alert_id in self.alerts

    # --- placing alerts ---------------------------------------------------------------------------------

    def add(self, alert: Alert, at: float) -> None:
        """Arm `alert` (replacing an alert of the same id). A done 'once' alert is not armed."""
        self.remove(alert.id)
        if alert.done:
            return
        book = self._symbols.setdefault(alert.symbol, _Symbol())
        self.alerts[alert.id] = alert
        book.count += 1
        condition = alert.spec.condition
        # An every-time alert that has fired before waits for the price to come back first: after a restart or
        # a move to another node the book does not know which side the price was on when it last fired.
        resetting = alert.spec.repeat and alert.generation > 0
        if condition.kind == MOVE:
            moves = self._moves(book, alert.symbol, condition.window, at)
            moves.count += 1
            if book.price is not None:
                up, down = moves.moves(book.price)
                reached = {UP: up, DOWN: down, EITHER: max(up, down)}[condition.direction] >= condition.level
                resetting = resetting or reached
            self._place_move(moves, alert, resetting)
        elif resetting:
            (book.above_reset if condition.kind == ABOVE else book.below_reset).add(condition.level, alert.id)
        else:
            (book.above if condition.kind == ABOVE else book.below).add(condition.level, alert.id)

    def _place_move(self, moves: _Moves, alert: Alert, resetting: bool) -> None:
        condition = alert.spec.condition
        if resetting:
            self._resetting.add(alert.id)
            {UP: moves.reset_up, DOWN: moves.reset_down, EITHER: moves.reset_either}[condition.direction] \
                .add(condition.level, alert.id)
            return
        self._resetting.discard(alert.id)
        if condition.direction in (UP, EITHER):
            moves.armed_up.add(condition.level, alert.id)
        if condition.direction in (DOWN, EITHER):
            moves.armed_down.add(condition.level, alert.id)

    def _moves(self, book: _Symbol, symbol: str, seconds: int, at: float) -> _Moves:
        moves = book.moves.get(seconds)
        if moves is None:
            moves = book.moves[seconds] = _Moves(Window(seconds))
            if book.price is not None:  # the symbol is live: its history is there to read
                self._seed(moves, symbol, at)
        return moves

    def _seed(self, moves: _Moves, symbol: str, at: float) -> None:
        moves.seeded = True
        if self._history is not None:
            moves.window.seed(self._history(symbol, at - moves.window.seconds))

    def update(self, alert: Alert) -> None:
        """The same arming, newer state (a claimed firing): kept where it is."""
        if alert.id in self.alerts:
            self.alerts[alert.id] = alert

    def remove(self, alert_id: str) -> Alert | None:
        alert = self.alerts.pop(alert_id, None)
        if alert is None:
            return None
        book = self._symbols[alert.symbol]
        condition = alert.spec.condition
        if condition.kind == MOVE:
            moves = book.moves[condition.window]
            for ids in (moves.armed_up, moves.armed_down, moves.reset_up, moves.reset_down, moves.reset_either):
                ids.remove(condition.level, alert_id)
            moves.count -= 1
            if not moves.count:
                del book.moves[condition.window]
        else:
            for ids in (book.above, book.below, book.above_reset, book.below_reset):
                if ids.remove(condition.level, alert_id):
                    break
        self._resetting.discard(alert_id)
        book.count -= 1
        if not book.count:
            del self._symbols[alert.symbol]
        return alert

    # --- a price -----------------------------------------------------------------------------------------

    def tick(self, symbol: str, price: float, at: float, fire: bool = True) -> list[Firing]:
        """The alerts `price` sets off. Costs O(log n) per sorted list when none fires.

        `fire=False` (a cluster node that does not own the symbol): follow the price (windows, re-arming) but
        set nothing off: the owner does, and tells the others."""
        book = self._symbols.get(symbol)
        if book is None:
            return []
        book.price = price
        firings: list[Firing] = []
        if fire:
            for alert_id in book.above.take_up_to(price):
                self._fired(book, alert_id, price, at, firings, book.above_reset)
            for alert_id in book.below.take_from(price):
                self._fired(book, alert_id, price, at, firings, book.below_reset)
        if book.above_reset:
            for alert_id in book.above_reset.take_from(price, inclusive=False):
                book.above.add(self.alerts[alert_id].spec.condition.level, alert_id)
        if book.below_reset:
            for alert_id in book.below_reset.take_up_to(price, inclusive=False):
                book.below.add(self.alerts[alert_id].spec.condition.level, alert_id)
        for moves in list(book.moves.values()):  # a 'once' alert firing may empty a window's group
            self._tick_moves(book, moves, symbol, price, at, firings, fire)
        return firings

    def _tick_moves(self, book: _Symbol, moves: _Moves, symbol: str, price: float, at: float,
                    firings: list[Firing], fire: bool) -> None:
        if not moves.seeded:
            self._seed(moves, symbol, at)
        moves.window.push(at, price)
        up, down = moves.moves(price)
        if fire:
            for ids, other, size in ((moves.armed_up, moves.armed_down, up),
                                     (moves.armed_down, moves.armed_up, -down)):
                for alert_id in ids.take_up_to(abs(size)):
                    alert = self.alerts[alert_id]
                    if alert.spec.condition.direction == EITHER:
                        other.remove(alert.spec.condition.level, alert_id)
                    self._fired(book, alert_id, price, at, firings, None, moves, size)
        for ids, size in ((moves.reset_up, up), (moves.reset_down, down), (moves.reset_either, max(up, down))):
            if ids:
                for alert_id in ids.take_from(size, inclusive=False):
                    self._place_move(moves, self.alerts[alert_id], resetting=False)

    def _fired(self, book: _Symbol, alert_id: str, price: float, at: float, firings: list[Firing],
               reset: SortedIds | None, moves: _Moves | None = None, move: float | None = None) -> None:
        alert = self.alerts[alert_id]
        if not alert.spec.repeat:
            self.alerts.pop(alert_id)  # already out of its sorted list
            book.count -= 1
            if moves is not None:
                moves.count -= 1
                if not moves.count:
                    del book.moves[alert.spec.condition.window]
            if not book.count:
                del self._symbols[alert.symbol]
            firings.append(Firing(alert, price, at, move))
            return
        if moves is not None:
            self._place_move(moves, alert, resetting=True)
        else:
            assert reset is not None
            reset.add(alert.spec.condition.level, alert_id)
        if alert.fired_at is None or at - alert.fired_at >= alert.spec.cooldown:
            firings.append(Firing(alert, price, at, move))
        # else: crossed within its cool-down: not announced, and it must cross again
