import json

from scraper.tv_protocol import names_symbol, parse_quotes, split_packets


def frame(*payloads: str) -> str:
    # LEN counts UTF-16 code units, like the page's own JavaScript `String.length`.
    return ''.join(f'~m~{len(p.encode("utf-16-le")) // 2}~m~{p}' for p in payloads)


def qsd(name: str, values: dict, status: str = 'ok') -> str:
    return json.dumps({'m': 'qsd', 'p': ['qs_abc', {'n': name, 's': status, 'v': values}]}, ensure_ascii=False)


def test_splits_several_packets_in_one_frame_including_heartbeats():
    packets = ['~h~7', qsd('BINANCE:BTCUSD', {'lp': 1.5}), '{"m":"quote_completed","p":["qs_abc","BINANCE:BTCUSD"]}']
    assert list(split_packets(frame(*packets))) == packets


def test_lengths_count_utf16_units_not_code_points():
    packets = [qsd('BINANCE:BTCUSD', {'description': 'Bitcoin 🚀 moon'}), qsd('BINANCE:ETHUSD', {'lp': 2.0})]
    assert list(split_packets(frame(*packets))) == packets


def test_reads_quotes_in_both_name_forms_and_the_error_status():
    quotes = list(parse_quotes(frame(
        qsd('={"symbol":"BINANCE:BTCUSD","session":"regular"}', {'lp': 97000.5, 'ch': -12.5}),
        qsd('BINANCE:NOPE', {}, status='error'),
        '~h~1')))
    assert [(q.name, q.ok, q.values) for q in quotes] == [
        ('BINANCE:BTCUSD', True, {'lp': 97000.5, 'ch': -12.5}), ('BINANCE:NOPE', False, {})]


def test_ignores_garbage_without_raising():
    assert list(parse_quotes('~m~5~m~{"m":')) == []
    assert list(parse_quotes('~m~x~m~hello')) == []
    assert list(parse_quotes('not a frame')) == []


def test_matches_only_our_symbol_on_our_exchange():
    assert names_symbol('BINANCE:BTCUSD', 'BINANCE', 'BTCUSD')
    assert names_symbol('COINBASE:BTCUSD', 'COINBASE', 'BTCUSD')
    assert not names_symbol('BTCUSD', 'BINANCE', 'BTCUSD')  # no exchange: it could be any market's
    assert not names_symbol('BINANCE:BTCUSDT', 'BINANCE', 'BTCUSD')
    assert not names_symbol('COINBASE:BTCUSD', 'BINANCE', 'BTCUSD')
