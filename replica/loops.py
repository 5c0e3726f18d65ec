"""The replica's background loops, owned by the app's lifespan: random motion, heartbeats, news noise."""
from __future__ import annotations

import asyncio
import time

from . import framing
from .formatting import price_text
from .sockets import publish
from .state import Market


async def tick_loop(market: Market) -> None:
    """Random motion every tick_interval seconds; 0 or less stops it until the interval changes."""
    while True:
        market.tick_changed.clear()
        interval = market.tick_interval
        if interval <= 0:
            await market.tick_changed.wait()
            continue
        try:
            await asyncio.wait_for(market.tick_changed.wait(), interval)
            continue  # a new interval: start timing again
        except TimeoutError:
            pass
        await publish(market, market.step())


async def heartbeat_loop(market: Market, interval: float) -> None:
    """`~m~4~m~~h~N` to every data socket; one whose client skipped two beats in a row is closed."""
    while True:
        await asyncio.sleep(interval)
        for sock in list(market.data_sockets):
            if sock.unanswered >= 2:
                market.close_socket(sock)
                try:
                    await sock.ws.close(code=1000)
                except Exception:
                    pass
                continue
            sock.beats += 1
            sock.unanswered += 1
            if not await sock.send(framing.heartbeat(sock.beats)):
                market.close_socket(sock)


_HEADLINES = [
    '{name} climbs {pct} as traders eye {price}',
    '{name} slips {pct} after ETF outflows; support seen near {price}',
    'Analysts: {name} could retest {price} this week',
    '{name} open interest jumps {pct} — funding turns positive 📈',
]


async def noise_loop(market: Market, interval: float) -> None:
    """News-ish JSON on the pushstream every few seconds, full of numbers that are not the price."""
    count = 0
    while True:
        await asyncio.sleep(interval * market.rng.uniform(0.5, 1.5))
        if not market.push_sockets:
            continue
        count += 1
        state = market.rng.choice(list(market.symbols.values()))
        decoy = state.price * market.rng.uniform(0.9, 1.1)
        title = market.rng.choice(_HEADLINES).format(
            name=state.listing.coin.name, pct=f'{market.rng.uniform(0.1, 6):.2f}%',
            price=price_text(decoy, state.small_decimals))
        text = framing.dumps({'text': {'channel': 'news', 'content': {
            'id': f'tag:reuters.com,2026:newsml_L{count}', 'title': title, 'published': int(time.time()),
            'related_symbols': [state.listing.symbol], 'price': round(decoy, 2)}}})
        for sock in list(market.push_sockets):
            if not await sock.send(text):
                market.close_socket(sock)
