"""The chart-series reader on frames shaped like the facts' captures, with the real page's awkwardness."""
import json

from scraper.chart_series import (
    ChartSeriesReader,
    Completed,
    Described,
    Failed,
    Loaded,
    Updated,
    pricescale_decimals,
    resolution_seconds,
)
from scraper.tv_protocol import Message, parse_messages
from tests.test_tv_protocol import frame

OURS = 'BINANCE:BTCUSD'


def call(method: str, *params) -> str:
    return json.dumps({'m': method, 'p': list(params)})


def asked(reader: ChartSeriesReader, session: str, symbol: str, series: str = 'sds_1',
          resolution: str = '5') -> None:
    spec = '=' + json.dumps({'adjustment': 'splits', 'symbol': symbol})
    for payload in (call('chart_create_session', session, 'disable_statistics'),
                    call('resolve_symbol', session, 'sds_sym_1', spec),
                    call('create_series', session, series, 's1', 'sds_sym_1', resolution, 300)):
        for message in parse_messages(frame(payload)):
            reader.sent(message)


def resolved(session: str, symbol: str, pricescale=100) -> str:
    return call('symbol_resolved', session, 'sds_sym_1', {'pro_name': symbol, 'full_name': symbol,
                                                          'description': 'Bitcoin / U.S. Dollar',
                                                          'pricescale': pricescale, 'type': 'crypto'})


def bars(method: str, session: str, *points, series: str = 'sds_1') -> str:
    body = {series: {'node': 'x', 's': [{'i': i, 'v': v} for i, v in points], 't': 's1',
                     'ns': {'d': '', 'indexes': []}, 'lbs': {'bar_close_time': 0}}}
    return call(method, session, body, {'changes': [], 'index': 0}) if method == 'timescale_update' else \
        call(method, session, body)


def events(reader: ChartSeriesReader, *payloads: str) -> list:
    return [event for message in parse_messages(frame(*payloads)) for event in reader.received(message)]


def test_reads_only_the_series_the_page_asked_for_our_symbol_although_ids_repeat_across_sessions():
    reader = ChartSeriesReader(OURS)
    asked(reader, 'cs_ours', OURS)
    asked(reader, 'cs_other', 'BINANCE:ETHUSD')  # the related symbol's mini chart: same series id sds_1
    got = events(reader,
                 resolved('cs_other', 'BINANCE:ETHUSD'), resolved('cs_ours', OURS),
                 call('qsd', 'qs_1', {'n': OURS, 's': 'ok', 'v': {'lp': 3.0}}),
                 bars('timescale_update', 'cs_other', (0, [600, 9, 9, 9, 9, 1])),
                 bars('timescale_update', 'cs_ours', (1, [600, 2, 3, 1, 2.5, 7]), (0, [300, 1, 2, 1, 2, 5])),
                 call('series_completed', 'cs_ours', 'sds_1', 'streaming', 's1', {}),
                 bars('du', 'cs_other', (1, [900, 9, 9, 9, 8, 1])),
                 bars('du', 'cs_ours', (1, [600, 2, 3.5, 1, 3.0, 8])))
    assert got == [Described('Bitcoin / U.S. Dollar', 2),
                   Loaded([(300.0, 1.0, 2.0, 1.0, 2.0, 5.0), (600.0, 2.0, 3.0, 1.0, 2.5, 7.0)], 300),
                   Completed(), Updated([(600.0, 2.0, 3.5, 1.0, 3.0, 8.0)])]


def test_a_series_whose_symbol_the_server_resolved_as_another_is_not_ours():
    reader = ChartSeriesReader(OURS)
    asked(reader, 'cs_1', OURS)
    got = events(reader, resolved('cs_1', 'COINBASE:BTCUSD'), bars('timescale_update', 'cs_1', (0, [60, 1, 1, 1, 1])))
    assert got == []


def test_bars_of_a_series_the_page_never_asked_for_are_ignored():
    reader = ChartSeriesReader(OURS)
    assert events(reader, resolved('cs_1', OURS), bars('du', 'cs_1', (0, [60, 1, 1, 1, 1]))) == []


def test_malformed_bars_are_skipped_and_errors_reported():
    reader = ChartSeriesReader(OURS)
    asked(reader, 'cs_1', OURS)
    got = events(reader, resolved('cs_1', OURS, pricescale=8),
                 bars('du', 'cs_1', (0, [60, 1, 1, 'x', 1]), (1, [120, 1, 1]), (2, [180, 1, 2, 0.5, 1.5, None])),
                 call('series_error', 'cs_1', 'sds_1', 'boom'))
    assert got == [Described('Bitcoin / U.S. Dollar', None), Failed('the chart series failed')]


def test_a_deleted_session_is_forgotten():
    reader = ChartSeriesReader(OURS)
    asked(reader, 'cs_1', OURS)
    events(reader, resolved('cs_1', OURS))
    reader.sent(Message('chart_delete_session', ['cs_1']))
    assert events(reader, bars('du', 'cs_1', (0, [60, 1, 1, 1, 1]))) == []


def test_resolutions_and_price_scales():
    assert [resolution_seconds(r) for r in ('1', '5', '240', '1D', 'D', 'W', '12M', '5S')] == \
        [60, 300, 14400, 86400, 86400, 604800, 12 * 30 * 86400, 5]
    assert [resolution_seconds(r) for r in ('', 'X', '0', '1Q', 5, None)] == [None] * 6
    assert [pricescale_decimals(s) for s in (1, 100, 100000000, 8, 0, True, '100')] == [0, 2, 8, None, None, None, None]
