"""What a program may ask of /api/stream and /api/ws, read in-process: the symbols of `?symbols=` and the
commands a WebSocket consumer sends (cryptoui/programs/stream_api.py, StreamHub.parse). Each bad one gets the
sentence the program receives (HTTP 400 or an `error` event); the streams themselves: e2e/test_stream_api.py.

The hub is the app's own, over a price source that is never started: reading symbols asks nothing of it."""
from __future__ import annotations

import pytest

from cryptoui.fanout.price_feed import PriceFeed
from cryptoui.programs.stream_api import USAGE, raw_symbols, read_command
from cryptoui.programs.streams import BadSymbols, StreamHub
from prices import LocalPrices
from settings import Settings

LIST_EXPECTED = '"{}" takes a list of symbols, e.g. ["BTCUSD", "COINBASE:ETHUSD"].'


@pytest.fixture
def hub() -> StreamHub:
    settings = Settings(exchange='BINANCE', max_tickers_per_browser=3)
    engine = LocalPrices(settings)
    return StreamHub(engine, settings, PriceFeed(engine))


def refusal(hub: StreamHub, raws: list[str], held: list[str] | None = None) -> str:
    with pytest.raises(BadSymbols) as error:
        hub.parse(raws, held or [])
    return str(error.value)


# --- ?symbols= -----------------------------------------------------------------------------------------------------

def test_symbols_come_comma_separated_in_one_or_several_parameters():
    assert raw_symbols(['BTCUSD,COINBASE:ETHUSD', 'SOLUSD']) == ['BTCUSD', 'COINBASE:ETHUSD', 'SOLUSD']
    assert raw_symbols([]) == []
    assert raw_symbols(['']) == ['']


def test_symbols_are_named_as_the_form_names_them_once_each_in_the_order_asked(hub):
    assert hub.parse(raw_symbols([' btcusd ,coinbase:ethusd,BINANCE:BTCUSD'])) == ['BINANCE:BTCUSD',
                                                                                   'COINBASE:ETHUSD']


@pytest.mark.parametrize('raws', [[], [''], ['', ' '], raw_symbols([' , '])])
def test_no_symbol_at_all_asks_for_one(hub, raws):
    assert refusal(hub, raws) == 'Name at least one symbol, e.g. BTCUSD,COINBASE:ETHUSD.'


@pytest.mark.parametrize(('raws', 'message'), [
    (raw_symbols(['BTCUSD,']), 'An empty symbol: Type a ticker such as BTCUSD.'),  # a trailing comma
    (raw_symbols(['BTCUSD,,ETHUSD']), 'An empty symbol: Type a ticker such as BTCUSD.'),
    (['BTC/USD'], "'BTC/USD': A ticker uses only letters, digits and . _ - (for example BTCUSD)."),
    (['<script>'], "'<script>': A ticker uses only letters, digits and . _ - (for example BTCUSD)."),
    (['ＢＴＣ'], "'ＢＴＣ': A ticker uses only letters, digits and . _ - (for example BTCUSD)."),
    (['BIN ANCE:BTC'], "'BIN ANCE:BTC': Write the exchange as letters and digits, e.g. BINANCE:BTCUSDT."),
    (['A' * 21], f"'{'A' * 21}': A ticker has at most 20 characters."),
])
def test_one_bad_symbol_refuses_the_whole_list_and_is_quoted(hub, raws, message):
    assert refusal(hub, ['ETHUSD', *raws]) == message


def test_a_long_bad_symbol_is_quoted_cut_to_40_characters(hub):
    message = refusal(hub, ['x' * 5000])
    assert message == f"'{'x' * 40}': A ticker has at most 20 characters."


def test_a_program_follows_at_most_as_many_symbols_as_a_browser(hub):
    assert hub.parse(['A', 'B', 'C']) == ['BINANCE:A', 'BINANCE:B', 'BINANCE:C']
    too_many = 'A program can follow at most 3 symbols at once, as a browser can.'
    assert refusal(hub, ['A', 'B', 'C', 'D']) == too_many
    # what it holds counts, once: a symbol held and asked again is not one more
    assert hub.parse(['B', 'C'], ['BINANCE:A', 'BINANCE:B']) == ['BINANCE:B', 'BINANCE:C']
    assert refusal(hub, ['C', 'D'], ['BINANCE:A', 'BINANCE:B']) == too_many
    assert hub.parse(['a', 'A', 'binance:a', 'B']) == ['BINANCE:A', 'BINANCE:B']  # repeats are not counted


# --- /api/ws commands ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(('text', 'command'), [
    ('{"subscribe": ["BTCUSD"]}', ('subscribe', ['BTCUSD'])),
    ('{"unsubscribe": ["BTCUSD", "COINBASE:ETHUSD"]}', ('unsubscribe', ['BTCUSD', 'COINBASE:ETHUSD'])),
    (' {"subscribe" : [ ] } ', ('subscribe', [])),  # read, then refused by parse: no symbol named
    ('{"subscribe": ["bitcoin\\u00e9"]}', ('subscribe', ['bitcoiné'])),  # read, then refused by parse
])
def test_a_command_is_subscribe_or_unsubscribe_with_a_list(text, command):
    assert read_command(text) == command


@pytest.mark.parametrize(('text', 'message'), [
    ('BTCUSD', f'Not JSON. {USAGE}'),
    ('', f'Not JSON. {USAGE}'),
    ("{'subscribe': ['BTCUSD']}", f'Not JSON. {USAGE}'),
    ('{"subscribe": ["BTCUSD"]', f'Not JSON. {USAGE}'),
    ('{"subscribe": ["BTCUSD"]} x', f'Not JSON. {USAGE}'),
    ('null', f'Unknown message. {USAGE}'),
    ('42', f'Unknown message. {USAGE}'),
    ('NaN', f'Unknown message. {USAGE}'),
    ('"subscribe"', f'Unknown message. {USAGE}'),
    ('["subscribe", ["BTCUSD"]]', f'Unknown message. {USAGE}'),
    ('{}', f'Unknown message. {USAGE}'),
    ('{"Subscribe": ["BTCUSD"]}', f'Unknown message. {USAGE}'),
    ('{"add": ["BTCUSD"]}', f'Unknown message. {USAGE}'),
    ('{"subscribe": ["BTCUSD"], "unsubscribe": ["ETHUSD"]}', f'Unknown message. {USAGE}'),
    ('{"subscribe": "BTCUSD"}', LIST_EXPECTED.format('subscribe')),
    ('{"subscribe": "BTCUSD,ETHUSD"}', LIST_EXPECTED.format('subscribe')),
    ('{"unsubscribe": {"BTCUSD": 1}}', LIST_EXPECTED.format('unsubscribe')),
    ('{"subscribe": ["BTCUSD", 5]}', LIST_EXPECTED.format('subscribe')),
    ('{"subscribe": [null]}', LIST_EXPECTED.format('subscribe')),
    ('{"subscribe": [["BTCUSD"]]}', LIST_EXPECTED.format('subscribe')),
    ('{"subscribe": null}', LIST_EXPECTED.format('subscribe')),
])
def test_a_bad_command_is_answered_with_what_a_good_one_looks_like(text, message):
    with pytest.raises(BadSymbols) as error:
        read_command(text)
    assert str(error.value) == message


def test_json_nested_too_deep_to_read_is_an_unknown_message_not_the_end_of_the_socket():
    """Python's JSON reader gives up on 100 000 nested lists with RecursionError, not ValueError: it went past
    the reader's `except`, ended the socket's reader task, and the socket closed with no answer."""
    with pytest.raises(BadSymbols) as error:
        read_command('[' * 100_000 + ']' * 100_000)
    assert str(error.value) == f'Unknown message. {USAGE}'
