"""Failure windows the controls open: page requests that fail with a status, or hang, for a while."""
from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Troubles:
    """Failure windows set by the controls, by `EX:TICKER`. Key None means every symbol."""
    fail: dict[str | None, tuple[float, int]] = field(default_factory=dict)  # -> (until, status)
    hang: dict[str | None, float] = field(default_factory=dict)  # -> until

    def failing(self, symbol: str) -> int | None:
        now = time.monotonic()
        for key in (symbol, None):
            until, status = self.fail.get(key, (0.0, 0))
            if until > now:
                return status
        return None

    def hang_left(self, symbol: str) -> float:
        now = time.monotonic()
        return max(0.0, *(self.hang.get(key, 0.0) - now for key in (symbol, None)))
