"""The lowest and highest price of the last N seconds, kept up to date in O(1) amortized per price.

Two monotonic deques (the classic sliding-window minimum): the low deque holds prices that rise from front
to back, each the lowest seen since it came; a new price removes every larger one behind it. Its front is the
window's low. Memory is at most one entry a second of the window (24 h: 86,400), in practice far fewer.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable


class Window:
    __slots__ = ('seconds', '_low', '_high')

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._low: deque[tuple[float, float]] = deque()  # (time, price), prices rising
        self._high: deque[tuple[float, float]] = deque()  # (time, price), prices falling

    def seed(self, points: Iterable[tuple[float, float]]) -> None:
        """Prices seen before (the symbol's history), oldest first."""
        for at, price in points:
            self.push(at, price)

    def push(self, at: float, price: float) -> None:
        # Whole seconds: a price that cannot beat one kept for the same second expires with it and is never
        # the low (or high), so each deque holds at most one entry a second, however often prices come.
        second = float(int(at))
        low, high = self._low, self._high
        while low and low[-1][1] >= price:
            low.pop()
        if not low or low[-1][0] != second:
            low.append((second, price))
        while high and high[-1][1] <= price:
            high.pop()
        if not high or high[-1][0] != second:
            high.append((second, price))
        since = second - self.seconds
        while low[0][0] < since:
            low.popleft()
        while high[0][0] < since:
            high.popleft()

    @property
    def low(self) -> float | None:
        return self._low[0][1] if self._low else None

    @property
    def high(self) -> float | None:
        return self._high[0][1] if self._high else None

    def __len__(self) -> int:
        return len(self._low) + len(self._high)
