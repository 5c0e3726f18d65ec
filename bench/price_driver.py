"""The price driver of the simulated-viewer scenarios ('fanout', 'memory'): the market, moving every symbol
once a second through the replica's controls, and remembering when the source sent each price text."""
from __future__ import annotations

import asyncio
import time

import httpx

from replica.formatting import decimals_for, price_text
from replica.universe import default_universe

UNIVERSE = default_universe()


def grid_decimals(symbol: str, price: float) -> int:
    """The page's decimals (its pricescale), which the card shows too since it reads the chart series."""
    return decimals_for(price, UNIVERSE[symbol].coin.small_decimals)


class PriceDriver:
    """Moves every symbol once a second (all at once, as a market does), each time up by about 0.01 % to a
    price text never used before, and remembers when the source sent each text."""

    def __init__(self, replica: httpx.AsyncClient, symbols: list[str]) -> None:
        self.replica = replica
        self.symbols = list(symbols)
        self.current: dict[str, float] = {}
        self.sent: dict[str, tuple[str, float]] = {}  # card text -> (symbol, sent_at)
        self.used: set[str] = set()
        self.silent: int = 0  # posts that reached no socket: the symbol's tab was not connected
        self.failures: int = 0
        self._task: asyncio.Task | None = None

    async def prepare(self, symbols: list[str] | None = None) -> None:
        """Start from the replica's current prices; `symbols` replaces the set being moved."""
        wanted = self.symbols if symbols is None else list(symbols)
        for symbol in wanted:
            if symbol not in self.current:
                self.current[symbol] = (await self.replica.get(f'/_replica/price/{symbol}')).json()['price']
        self.symbols = wanted  # only now: the moves running meanwhile need a current price for each

    def start(self) -> None:
        """Keep moving in the background, also while viewers connect (a quiet market would go stale)."""
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        started = time.perf_counter()
        for tick in range(10**7):
            try:
                await self.move_all()
            except httpx.HTTPError:
                self.failures += 1
            await asyncio.sleep(max(0.0, started + tick + 1 - time.perf_counter()))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def sent_between(self, start: float, end: float) -> dict[str, tuple[str, float]]:
        return {text: sent for text, sent in self.sent.items() if start <= sent[1] <= end}

    def _next(self, symbol: str) -> float:
        price = self.current[symbol]
        decimals = grid_decimals(symbol, price)
        unit = 10 ** -decimals
        step = unit * max(1, round(price * 1e-4 / unit))
        for _ in range(20):
            price = round(price + step, decimals)
            if price_text(price, UNIVERSE[symbol].coin.small_decimals) not in self.used:
                break
        return price

    async def _move(self, symbol: str) -> None:
        price = self._next(symbol)
        for attempt in range(3):  # a kept-alive connection the replica closed while idle fails once: retry
            try:
                response = await self.replica.post('/_replica/price', json={'symbol': symbol, 'price': price})
                break
            except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError):
                if attempt == 2:
                    raise
        body = response.raise_for_status().json()
        self.current[symbol] = body['price']
        text = body['text']  # as the page shows it, and so the card (with the decimals of its pricescale)
        self.used.add(text)
        self.sent[text] = (symbol, body['sent_at'])
        if not body.get('sockets'):
            self.silent += 1

    async def move_all(self) -> None:
        await asyncio.gather(*(self._move(symbol) for symbol in self.symbols))

    def reset(self) -> None:
        self.sent.clear()
        self.silent = 0
        self.failures = 0
