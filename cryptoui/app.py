"""Wiring: one price engine for the whole process, started and stopped with NiceGUI, plus every route."""
from __future__ import annotations

import logging
import secrets
import signal
from types import FrameType
from typing import TYPE_CHECKING, Any

from nicegui import Client, app, ui

from alerts.service import AlertService
from alerts.store_choice import open_store
from cryptoui.collector import Collector
from cryptoui.fanout.price_feed import CLUSTER_GATHER_S, GATHER_S, PriceFeed
from cryptoui.pages import alert_tools, connection, dashboard, symbol_page, theme
from cryptoui.programs import alert_api, api, search_api, stream_api
from cryptoui.programs.metrics import Metrics
from cryptoui.programs.streams import StreamHub
from cryptoui.services import Services
from library_hooks import web as web_hooks
from prices import LocalPrices
from settings import Settings
from symbol_search.service import SymbolSearch, browser_agent

if TYPE_CHECKING:
    from cluster.prices import ClusterPrices

log = logging.getLogger(__name__)

FAVICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" '
           'fill="#4f46e5"/><path d="M6 22l6-7 5 4 9-11" fill="none" stroke="#fff" stroke-width="3" '
           'stroke-linecap="round" stroke-linejoin="round"/></svg>')


def storage_secret(settings: Settings) -> str:
    if settings.storage_secret:
        return settings.storage_secret
    # Without a fixed secret the session cookies, and so each browser's list, do not survive a restart.
    log.warning('STORAGE_SECRET is not set: ticker lists will be forgotten when the app restarts '
                '(./run.sh sets it for you)')
    return secrets.token_urlsafe(32)


def _exit_after_graceful_shutdown(signum: int, _: FrameType | None) -> None:
    # Uvicorn catches SIGINT/SIGTERM, shuts down (closing every tab and Chromium), restores the previous
    # handlers and raises the signal again. By then the stop was orderly, so exit with success.
    log.info('stopped by %s', signal.Signals(signum).name)
    raise SystemExit(0)


def price_source(settings: Settings) -> LocalPrices | ClusterPrices:
    """This process's own engine, or, with --redis-url, this node's view of the cluster's. Either is a
    PriceSource, a SourceHealth and Instruments: each user below is handed the part it needs."""
    if settings.clustered:
        from cluster.prices import ClusterPrices  # only cluster mode needs redis-py
        return ClusterPrices(settings)
    return LocalPrices(settings)


def keep_users_data_in_the_cluster(settings: Settings) -> None:
    """On a cluster node each browser's data lives in the cluster's store, so it lands on any node with it."""
    from cluster import store_link
    from cluster.user_store import UserStore
    from library_hooks import storage
    store = UserStore(store_link.connect(settings), settings.node_name)
    storage.install(store.data)
    app.on_startup(store.start)
    app.on_shutdown(lambda: store.stop())  # a handler that takes an argument is given the app


def run_options(settings: Settings) -> dict[str, Any]:
    """What ui.run gets; the library hooks check what they rely on in it."""
    return dict(host=settings.host, port=settings.port, title='Crypto Tracker', reload=False, show=False,
                storage_secret=storage_secret(settings), favicon=FAVICON, dark=None, language='en-US',
                show_welcome_message=True, timeout_graceful_shutdown=5, fastapi_docs=stream_api.DOCS,
                # Our socket messages are a few hundred bytes: compressing each one for each viewer would cost more
                # CPU than the bytes it saves are worth (page HTML still goes out gzipped), and one frame built
                # for every viewer needs it off (library_hooks.socket_path).
                ws_per_message_deflate=False,
                # Engine.IO already pings every socket every few seconds and drops one that does not answer;
                # uvicorn's own websocket ping (every 20 s) would be a second timer and frame per viewer.
                ws_ping_interval=None)


def run(settings: Settings) -> None:
    Collector(pages=lambda: len(Client.instances)).install()  # for the process's life
    if settings.clustered:
        keep_users_data_in_the_cluster(settings)
    source = price_source(settings)
    metrics = Metrics(prices=source, health=source, instruments=source)
    theme.install()
    connection.install()
    feed = PriceFeed(source, on_pushed=metrics.observe_push, on_status=metrics.count_trouble,
                     gather_s=CLUSTER_GATHER_S if settings.clustered else GATHER_S)
    # One search for every page and program: its cache, shared requests and pace are the whole server's.
    search = SymbolSearch(settings.symbol_search_url, settings.tradingview_url,
                          user_agent=lambda: browser_agent(source.browser_health().version))
    alerts = AlertService(source, settings, open_store(settings), health=source)
    alert_tools.install(alerts)
    services = Services(source, settings, feed, search, alerts)
    dashboard.register(services)
    symbol_page.register(services)
    api.register(source, source, settings)
    search_api.register(search)
    alert_api.register(alerts, source, settings)
    hub = StreamHub(source, settings, feed)
    stream_api.register(hub, settings.stream_heartbeat)
    metrics.count_streams(hub)
    metrics.count_alerts(alerts)
    metrics.register_route()
    # Startup handlers run as tasks: the page serves at once and /health says 'degraded' until Chromium is up.
    app.on_startup(source.start)
    app.on_startup(alerts.start)  # after the engine's start has begun: armed alerts subscribe to their symbols
    # Uvicorn turns SIGINT/SIGTERM into this shutdown: every tab and Chromium itself are closed (alerts first:
    # they give their symbols back and end their deliveries).
    app.on_shutdown(alerts.stop)
    app.on_shutdown(source.stop)
    app.on_shutdown(search.close)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _exit_after_graceful_shutdown)
    options = run_options(settings)
    web_hooks.install(app, options)  # its import has checked the library versions the hooks were written for
    ui.run(**options)
