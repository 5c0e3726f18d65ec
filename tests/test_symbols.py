import pytest

from market.symbols import InvalidSymbol, normalize_symbol
from settings import Settings, parse_settings


@pytest.mark.parametrize(('typed', 'symbol'), [
    ('BTCUSD', 'BINANCE:BTCUSD'), (' btcusd ', 'BINANCE:BTCUSD'), ('binance:btcusdt', 'BINANCE:BTCUSDT'),
    ('COINBASE:BTCUSD', 'COINBASE:BTCUSD'), ('coinbase:btcusd', 'COINBASE:BTCUSD'), ('BRK.B', 'BINANCE:BRK.B'),
    ('1000SATS_USDT', 'BINANCE:1000SATS_USDT'), ('A' * 20, 'BINANCE:' + 'A' * 20), ('FOOEX:BTCUSD', 'FOOEX:BTCUSD'),
])
def test_accepts_and_normalises_with_the_exchange(typed, symbol):
    assert normalize_symbol(typed, 'BINANCE') == symbol
    assert normalize_symbol(symbol, 'BINANCE') == symbol  # idempotent


def test_a_bare_ticker_is_on_the_configured_exchange():
    assert normalize_symbol('ethusd', 'COINBASE') == 'COINBASE:ETHUSD'
    assert normalize_symbol('BINANCE:ETHUSD', 'COINBASE') == 'BINANCE:ETHUSD'


@pytest.mark.parametrize('typed', [
    '', '   ', 'BTC USD', 'A' * 21, 'A' * 100, '../x', '<script>', 'BTC/USD', 'BTCÜSD', 'ビットコイン',
    'BTC%2F', 'BTC?x=1', '..', '.BTC', 'BTC\nUSD', ':BTC', 'BIN ANCE:BTC', 'BTC;DROP', '"BTC"',
    'A:B:C', 'BINANCE:', 'BIN-ANCE:BTC', 'BINANCE:BTC:USD',
])
def test_refuses_anything_that_could_escape_a_url(typed):
    with pytest.raises(InvalidSymbol) as refused:
        normalize_symbol(typed, 'BINANCE')
    assert str(refused.value)  # a message a person can read


# Most of these upper-case to plain ASCII ('ſ' -> 'S', 'ß' -> 'SS', 'ﬀ' -> 'FF', 'ı' -> 'I'), the rest only look
# like it (Kelvin sign, full-width letters, Arabic-Indic digit, zero-width space): checking after the case
# change would send the source text nobody typed.
@pytest.mark.parametrize('typed', ['btcuſd', 'ßUSD', 'Zﬀ', 'ıUSD', 'BTC\u212aUSD', 'ＢＴＣＵＳＤ', 'BTC١USD',
                                   'ſINANCE:BTCUSD', 'BINANCE:btcuſd', 'BTCUSD\u200b'])
def test_refuses_non_ascii_letters_before_any_case_change(typed):
    with pytest.raises(InvalidSymbol, match='only letters, digits|exchange as letters'):
        normalize_symbol(typed, 'BINANCE')


def test_symbol_url_is_built_only_from_a_normalised_symbol():
    settings = Settings(tradingview_url='http://127.0.0.1:9/', exchange='BINANCE')
    assert settings.symbol_url(normalize_symbol('btcusd', settings.exchange)) == \
        'http://127.0.0.1:9/symbols/BTCUSD/?exchange=BINANCE'
    assert settings.symbol_url(normalize_symbol('coinbase:ethusd', settings.exchange)) == \
        'http://127.0.0.1:9/symbols/ETHUSD/?exchange=COINBASE'


@pytest.mark.parametrize('exchange', ['ſINANCE', 'BIN ANCE', 'BINANCE:', ''])
def test_a_bad_exchange_flag_is_refused_with_a_message(exchange, capsys):
    with pytest.raises(SystemExit):
        parse_settings(['--exchange', exchange], {})
    assert 'argument --exchange: must be ASCII letters and digits' in capsys.readouterr().err


def test_a_bad_number_in_the_environment_is_a_message_not_a_traceback(capsys):
    with pytest.raises(SystemExit):
        parse_settings([], {'PORT': 'eighty'})
    assert "argument --port: 'eighty' is not a number" in capsys.readouterr().err


def test_flags_win_over_environment_over_defaults():
    env = {'PORT': '9000', 'HEADLESS': '1', 'EXCHANGE': 'coinbase', 'CHROMIUM_PATH': '/usr/bin/chromium'}
    settings = parse_settings(['--port', '9100'], env)
    assert (settings.port, settings.headless, settings.exchange, settings.chromium_path) == \
        (9100, True, 'COINBASE', '/usr/bin/chromium')
    assert parse_settings([], {}) == Settings()


def test_stream_settings_come_from_flags_or_environment_and_are_checked(capsys):
    assert (Settings().stream_buffer_events, Settings().stream_heartbeat) == (100, 15.0)
    settings = parse_settings(['--stream-buffer', '20'], {'STREAM_HEARTBEAT': '0.5', 'STREAM_BUFFER': '7'})
    assert (settings.stream_buffer_events, settings.stream_heartbeat) == (20, 0.5)
    for flags, message in [(['--stream-buffer', '0'], 'argument --stream-buffer: must be between 1 and 10000, not 0'),
                           (['--stream-heartbeat', '0'],
                            'argument --stream-heartbeat: must be between 0.1 and 3600 seconds, not 0')]:
        with pytest.raises(SystemExit):
            parse_settings(flags, {})
        assert message in capsys.readouterr().err
