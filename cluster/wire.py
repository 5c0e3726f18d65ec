"""What nodes write to Redis: key names, and the one message an owner publishes for each change of a symbol."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

PREFIX = 'cryptotracker:'


def redacted(url: str) -> str:
    """A Redis URL fit for a log line: no user, no password."""
    parts = urlsplit(url)
    return f'{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}'


def lease_key(symbol: str) -> str:
    """Held by the one node whose Chromium watches the symbol (SET NX PX, renewed by its owner)."""
    return f'{PREFIX}lease:{symbol}'


def fence_key(symbol: str) -> str:
    """INCR'd by each new owner: a message carrying a lower number is from an owner that has since lost it."""
    return f'{PREFIX}fence:{symbol}'


def latest_key(symbol: str) -> str:
    """The last message published for the symbol: what a node that starts following it shows at once."""
    return f'{PREFIX}latest:{symbol}'


def history_key(symbol: str) -> str:
    """The owner's snapshot of the symbol's history (scraper.history), for nodes that start following it."""
    return f'{PREFIX}history:{symbol}'


def latest_ttl_ms(lease_ttl: float) -> int:
    """How long a latest value or history snapshot lives unless its owner's renewals keep it."""
    return int(max(600.0, lease_ttl * 10) * 1000)


def interest_key(symbol: str) -> str:
    """Sorted set: member = node id, score = when that node's interest expires unless it renews it."""
    return f'{PREFIX}wanted:{symbol}'


def probe_key(node: str) -> str:
    """Written every few hundred ms by a node's store probe (store_probe.py); nobody reads it."""
    return f'{PREFIX}probe:{node}'


def channel(symbol: str) -> str:
    return f'{PREFIX}price:{symbol}'


def symbol_of(channel_name: str) -> str:
    return channel_name[len(channel('')):]


@dataclass(frozen=True)
class PriceMessage:
    fence: int
    node: str
    values: dict[str, Any]  # the owner's entry's values() (market.entry owns that form)
    sent_at: float = 0.0  # the owner's time.time() when it published: what the hop through Redis costs

    def encode(self) -> str:
        return json.dumps({'f': self.fence, 'n': self.node, 'v': self.values, 't': self.sent_at},
                          separators=(',', ':'))

    @classmethod
    def decode(cls, raw: str | bytes) -> PriceMessage | None:
        """None for anything that is not a message of ours (a stray publish must not break a node)."""
        try:
            data = json.loads(raw)
            message = cls(int(data['f']), str(data['n']), dict(data['v']), float(data.get('t', 0.0)))
        except (ValueError, TypeError, KeyError):
            return None
        return message
