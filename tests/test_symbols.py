import pytest

from scraper.settings import Settings, parse_settings
from scraper.symbols import InvalidSymbol, normalize_symbol


@pytest.mark.parametrize(('typed', 'ticker'), [
    ('BTCUSD', 'BTCUSD'), (' btcusd ', 'BTCUSD'), ('binance:btcusdt', 'BTCUSDT'), ('BRK.B', 'BRK.B'),
    ('1000SATS_USDT', '1000SATS_USDT'), ('A' * 20, 'A' * 20),
])
def test_accepts_and_normalises(typed, ticker):
    assert normalize_symbol(typed) == ticker


@pytest.mark.parametrize('typed', [
    '', '   ', 'BTC USD', 'A' * 21, 'A' * 100, '../x', '<script>', 'BTC/USD', 'BTCÜSD', 'ビットコイン',
    'BTC%2F', 'BTC?x=1', '..', '.BTC', 'BTC\nUSD', ':BTC', 'BIN ANCE:BTC', 'BTC;DROP', '"BTC"',
])
def test_refuses_anything_that_could_escape_a_url(typed):
    with pytest.raises(InvalidSymbol) as refused:
        normalize_symbol(typed)
    assert str(refused.value)  # a message a person can read


def test_symbol_url_is_built_only_from_a_normalised_ticker():
    settings = Settings(tradingview_url='http://127.0.0.1:9/', exchange='BINANCE')
    assert settings.symbol_url(normalize_symbol('btcusd')) == 'http://127.0.0.1:9/symbols/BTCUSD/?exchange=BINANCE'


def test_flags_win_over_environment_over_defaults():
    env = {'PORT': '9000', 'HEADLESS': '1', 'EXCHANGE': 'coinbase', 'CHROMIUM_PATH': '/usr/bin/chromium'}
    settings = parse_settings(['--port', '9100'], env)
    assert (settings.port, settings.headless, settings.exchange, settings.chromium_path) == \
        (9100, True, 'COINBASE', '/usr/bin/chromium')
    assert parse_settings([], {}) == Settings()
