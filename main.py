"""Live crypto prices from TradingView: `python main.py --help`, or better `./run.sh --help`."""
from __future__ import annotations

import dataclasses
import logging
import os
import sys

from settings import Settings, parse_settings


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)-7s %(name)s: %(message)s')
    # httpx logs every request at INFO: a line per symbol search query. Our own client logs what matters.
    logging.getLogger('httpx').setLevel(logging.WARNING)


def start_demo_source(settings: Settings) -> Settings:
    """Serve the bundled TradingView replica on a free local port and point the scraper at it."""
    from replica import ReplicaServer  # only --demo needs it
    from replica.search import SEARCH_PATH

    replica = ReplicaServer(tick_interval=1.0)
    replica.start()
    logging.getLogger('demo').info('TradingView replica serving on %s', replica.url)
    return dataclasses.replace(settings, tradingview_url=replica.url,
                               symbol_search_url=replica.url + SEARCH_PATH)


def main(argv: list[str] | None = None) -> None:
    configure_logging()
    settings = parse_settings(argv)
    if settings.demo:
        settings = start_demo_source(settings)
    if settings.clustered and os.environ.pop('NICEGUI_REDIS_URL', ''):
        # NiceGUI reads it at import, hence before cryptoui; a node keeps users' data itself (cluster/user_store.py).
        logging.getLogger('cluster').warning('NICEGUI_REDIS_URL ignored: a cluster node keeps users\' data in '
                                             'the store its --redis-url or --redis-sentinel names')
    from cryptoui.app import run
    run(settings)


if __name__ == '__main__':
    main(sys.argv[1:])
