"""Latency joins: what the source sent when, matched to when it arrived where it was seen.

Times: the replica answers each `POST /_replica/price` with `sent_at` (time.time() just before it sends).
Real pages note when each text showed and when each price message came (bench.viewer_pages); simulated
viewers note when each text arrived (bench.viewers). The app stamps each message with `t`, when its engine
took the update, so a delay splits into source -> app and app -> viewer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Change:
    """One price the replica was made to send, in real-page runs."""
    symbol: str
    seq: int  # this symbol's change number, counted over the whole run
    text: str  # as the dashboard shows it
    sent_at: float


@dataclass
class LatencyRun:
    """A phase of changes timed in `viewers` real pages, and what the joins made of it."""
    viewers: int
    changes: list[Change] = field(default_factory=list)
    dom_s: list[float] = field(default_factory=list)  # per change and page: replica -> new text in the DOM
    wire_s: list[float] = field(default_factory=list)  # per change and page: replica -> 'price' message in JS
    engine_s: list[float] = field(default_factory=list)  # per change: replica -> the app's engine took it
    superseded: int = 0  # (change, page) pairs whose own text never showed: a newer one came first
    missing: int = 0  # (change, page) pairs never shown at all by the deadline
    per_change_s: dict[int, list[float]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def expected(self) -> int:
        return len(self.changes) * self.viewers


def first_shown(changes: list[Change], shown: list[tuple[float, str, str]]) -> tuple[dict, set]:
    """When each change first showed, where a later price of its symbol showing also counts (the viewer is
    then at least that up to date; polling skips prices, and this is what that costs). `shown`: (time s,
    symbol, text). Returns {(symbol, seq): time} and the keys whose own text showed."""
    by_text = {(c.symbol, c.text): c for c in changes}
    per_symbol: dict[str, list[Change]] = {}
    for c in changes:
        per_symbol.setdefault(c.symbol, []).append(c)
    first = {symbol: cs[0].seq for symbol, cs in per_symbol.items()}
    upto = {symbol: -1 for symbol in per_symbol}  # index into per_symbol[symbol] shown so far
    at: dict[tuple[str, int], float] = {}
    exact: set[tuple[str, int]] = set()
    for t, symbol, text in sorted(shown, key=lambda row: row[0]):
        change = by_text.get((symbol, text))
        if change is None:
            continue
        exact.add((symbol, change.seq))
        index = change.seq - first[symbol]
        for earlier in per_symbol[symbol][upto[symbol] + 1:index + 1]:
            at[(symbol, earlier.seq)] = t
        upto[symbol] = max(upto[symbol], index)
    return at, exact


def join_page(run: LatencyRun, log: dict[str, list]) -> None:
    """One page's drained log against the run's changes: DOM and message times, skipped and missing ones."""
    dom_at, exact = first_shown(run.changes, [(t / 1000, s, text) for s, text, t in log['log']])
    wire_at, _ = first_shown(run.changes, [(t / 1000, s, text) for t, s, text, _ in log['wire']])
    for index, c in enumerate(run.changes):
        key = (c.symbol, c.seq)
        if key in dom_at:
            run.dom_s.append(dom_at[key] - c.sent_at)
            run.per_change_s.setdefault(index, []).append(dom_at[key] - c.sent_at)
            run.superseded += key not in exact
        else:
            run.missing += 1
        if key in wire_at:
            run.wire_s.append(wire_at[key] - c.sent_at)


def join_engine(run: LatencyRun, logs: list[dict[str, list]]) -> None:
    """The app stamps each price message with the time its engine took the update (`t`)."""
    stamps: dict[tuple[str, str], float] = {}
    for log in logs:
        for _, symbol, text, engine_t in log['wire']:
            if isinstance(engine_t, (int, float)):
                stamps.setdefault((symbol, text), engine_t)
    engine_at, _ = first_shown(run.changes, [(t, s, text) for (s, text), t in stamps.items()])
    for c in run.changes:
        if (c.symbol, c.seq) in engine_at:
            run.engine_s.append(engine_at[(c.symbol, c.seq)] - c.sent_at)


def viewer_latencies(sent: dict[str, tuple[str, float]], collected: dict[str, Any]) -> dict[str, list[float]]:
    """Simulated viewers, keyed by text (unique per change). Seconds, per arrival: `total` source send ->
    viewer; `app` the app's receipt of the source update (`t` in the message) -> viewer; and per change:
    `source` source send -> the app's receipt (Chromium, scraper)."""
    total: list[float] = []
    app_part: list[float] = []
    source_part: list[float] = []
    for text, (_, sent_at) in sent.items():
        times = collected['arrivals'].get(text, ())
        total.extend(t - sent_at for t in times)
        if (source_time := collected['source_time'].get(text)) is not None:
            app_part.extend(t - source_time for t in times)
            source_part.append(source_time - sent_at)
    return {'total': total, 'app': app_part, 'source': source_part}
