"""Prometheus metrics on a registry of our own (the global one would mix in whatever else is imported)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING

from fastapi import Response
from nicegui import Client, app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cryptoui.programs.streams import KINDS, StreamHub
from market.entry import PriceEntry, Status
from prices import Instruments, Mode, PriceSource, SourceHealth

if TYPE_CHECKING:
    from alerts.service import AlertService

TROUBLE = {Status.ERROR.value, Status.RECONNECTING.value}
# From sub-millisecond (the usual in-process push) to seconds (a blocked event loop).
LATENCY_BUCKETS = (.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5)


def connected_clients() -> int:
    """Pages whose browser holds a live socket to us right now."""
    return sum(1 for client in list(Client.instances.values()) if client.has_socket_connection)


class Metrics:
    """One for the app: its listeners on the source live as long as the source does."""

    def __init__(self, prices: PriceSource, health: SourceHealth, instruments: Instruments) -> None:
        self.registry = CollectorRegistry()
        # Gauges are computed when Prometheus scrapes, so nothing runs between scrapes.
        self._gauge('cryptotracker_connected_clients', 'Browser pages connected now', connected_clients)
        self._gauge('cryptotracker_active_symbols', 'Symbols watched now', lambda: len(prices.symbols))
        self._gauge('cryptotracker_open_tabs', 'Chromium tabs open now', lambda: health.browser_health().open_tabs)
        self._gauge('cryptotracker_browser_up', '1 while Chromium is running',
                    lambda: 1 if health.browser_health().state == 'running' else 0)
        # `symbol` is EXCHANGE:TICKER; `exchange` again on its own, to sum or filter by market.
        self.price_updates = Counter('cryptotracker_price_updates', 'Price changes received, by symbol',
                                     ['symbol', 'exchange'], registry=self.registry)
        self.scrape_errors = Counter('cryptotracker_scrape_errors',
                                     'Transitions into error or reconnecting, by symbol',
                                     ['symbol', 'exchange'], registry=self.registry)
        self.push_latency = Histogram('cryptotracker_update_push_seconds',
                                      'Time from a source update to its push to the viewers',
                                      buckets=LATENCY_BUCKETS, registry=self.registry)
        # The input path, in two parts: the engine's own loop (where source frames are read) and the hand-over.
        self.engine_lag = Histogram('cryptotracker_engine_loop_lag_seconds',
                                    "How long a source frame arriving now waits for the engine process's loop "
                                    '(sampled 4 times a second)', buckets=LATENCY_BUCKETS, registry=self.registry)
        self.handover = Histogram('cryptotracker_engine_handover_seconds',
                                  "Time from the engine taking a source update to the web server's loop applying it",
                                  buckets=LATENCY_BUCKETS, registry=self.registry)
        prices.on_price(self._on_price)
        if health.mode is Mode.CLUSTER:
            self.registry.register(_ClusterCollector(health))
            self.hop = Histogram('cryptotracker_cluster_hop_seconds',
                                 "From another node's publish to the message's arrival here (the Redis hop)",
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
            instruments.on_hop(self.hop.observe)
        instruments.on_handover(self.handover.observe)
        instruments.on_engine_lag(self.engine_lag.observe)

    def _gauge(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        Gauge(name, documentation, registry=self.registry).set_function(read)

    def _on_price(self, entry: PriceEntry) -> None:
        self.price_updates.labels(symbol=entry.symbol, exchange=entry.exchange).inc()

    def observe_push(self, seconds: float) -> None:
        """Time from the source's update to the price message leaving for its viewers."""
        self.push_latency.observe(seconds)

    def count_trouble(self, entry: PriceEntry) -> None:
        """Called on each change of an entry's status (once per symbol, however many pages show it)."""
        if entry.status in TROUBLE:
            self.scrape_errors.labels(symbol=entry.symbol, exchange=entry.exchange).inc()

    def count_streams(self, hub: StreamHub) -> None:
        """The programs' streams (cryptoui/programs/streams.py), read from the hub when Prometheus scrapes."""
        self.registry.register(_StreamCollector(hub))

    def count_alerts(self, service: AlertService) -> None:
        """Alerts and their webhook deliveries, read when Prometheus scrapes (counts only: never a URL)."""
        self.registry.register(_AlertCollector(service))

    def register_route(self) -> None:
        @app.get('/metrics', include_in_schema=False)
        async def metrics() -> Response:  # on the loop that owns the state the gauges read
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class _ClusterCollector(Collector):
    """A node's view of the cluster, read from the source when Prometheus scrapes."""
    GAUGES = {'redis_reachable': '1 while this node reaches the cluster store',
              'symbols_owned': "Symbols whose tab is in this node's Chromium",
              'symbols_followed': 'Symbols this node shows from another node',
              'degraded': '1 while the cluster store is unreachable and this node serves from its own tabs',
              'solo_tabs': "Symbols this node watches itself without the lease (degraded, or handing over)"}
    COUNTERS = {'lease_renewals_failed': 'Leases this node lost', 'messages_published': 'Price messages sent',
                'messages_received': 'Price messages received from other nodes',
                'stale_messages_dropped': 'Messages ignored because they came from an owner that lost its lease',
                'degraded_seconds': 'Seconds this node spent degraded (the cluster store unreachable)'}

    def __init__(self, health: SourceHealth) -> None:
        self._health = health

    def collect(self) -> Iterator[Metric]:
        view = self._health.cluster_view()
        if view is None:
            return
        fields = asdict(view)
        labels = {'node': view.node}
        for name, documentation in self.GAUGES.items():
            gauge = GaugeMetricFamily(f'cryptotracker_cluster_{name}', documentation, labels=list(labels))
            gauge.add_metric(list(labels.values()), float(fields[name]))
            yield gauge
        for name, documentation in self.COUNTERS.items():
            counter = CounterMetricFamily(f'cryptotracker_cluster_{name}', documentation, labels=list(labels))
            counter.add_metric(list(labels.values()), float(fields[name]))
            yield counter


class _StreamCollector(Collector):
    """Stream consumers by kind ('sse', 'ws'), what they were sent, who was cut off and what waits unsent."""

    def __init__(self, hub: StreamHub) -> None:
        self._hub = hub

    def collect(self) -> Iterator[Metric]:
        consumers = GaugeMetricFamily('cryptotracker_stream_consumers', 'Programs connected to a stream now',
                                      labels=['kind'])
        sent = CounterMetricFamily('cryptotracker_stream_events_sent', 'Events written to stream consumers',
                                   labels=['kind'])
        cut = CounterMetricFamily('cryptotracker_stream_cut_offs',
                                  'Stream consumers dropped because they left their whole buffer unread',
                                  labels=['kind'])
        for kind in KINDS:
            consumers.add_metric([kind], self._hub.count(kind))
            sent.add_metric([kind], self._hub.events_sent[kind])
            cut.add_metric([kind], self._hub.cut_offs[kind])
        yield from (consumers, sent, cut)
        yield GaugeMetricFamily('cryptotracker_stream_buffered_events', 'Events waiting in all consumers\' buffers',
                                value=self._hub.buffered)
        yield GaugeMetricFamily('cryptotracker_stream_longest_buffer',
                                'Events waiting in the fullest consumer buffer (cut off at --stream-buffer)',
                                value=self._hub.longest_buffer)


class _AlertCollector(Collector):
    """Alerts kept and armed, firings waiting for the store, and webhook deliveries by outcome."""

    def __init__(self, service: AlertService) -> None:
        self._service = service

    def collect(self) -> Iterator[Metric]:
        service = self._service
        yield GaugeMetricFamily('cryptotracker_alerts', 'Alerts kept (armed or fired)', value=len(service.alerts))
        yield GaugeMetricFamily('cryptotracker_alerts_armed', 'Alerts watching prices now', value=len(service.book))
        yield GaugeMetricFamily('cryptotracker_alert_symbols_held', 'Symbols held by armed alerts',
                                value=len(service.holds.held))
        yield GaugeMetricFamily('cryptotracker_alert_claims_waiting', 'Firings waiting for the store',
                                value=service.claims.pending)
        yield GaugeMetricFamily('cryptotracker_webhooks_waiting', 'Webhook messages queued',
                                value=service.deliveries.waiting())
        deliveries = CounterMetricFamily('cryptotracker_webhook_deliveries', 'Webhook attempts by outcome',
                                         labels=['outcome'])
        for outcome in ('sent', 'retrying', 'failed', 'refused', 'dropped'):
            deliveries.add_metric([outcome], service.deliveries.outcomes[outcome])
        yield deliveries
