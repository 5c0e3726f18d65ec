import pytest

from market.formatting import format_price
from scraper.parsing import parse_price


@pytest.mark.parametrize(('text', 'expected'), [
    ('97,123.45', 97123.45),
    ('\u200e97,123.45\u200e', 97123.45),
    ('4,456.81', 4456.81),  # the text of `4,456.<span>81</span>` once the spans are flattened
    ('1\u202f234.5', 1234.5),
    ('1\u00a0234.5', 1234.5),
    ('\u22121.66', -1.66),
    ('\u2066\u200f0.00001234\u2069', 0.00001234),
    (' 42 ', 42.0),
])
def test_reads_prices_as_tradingview_renders_them(text, expected):
    assert parse_price(text) == pytest.approx(expected)


@pytest.mark.parametrize('text', [None, '', '—', 'USD', '1.2.3', '97,123.45 USD', '−', 'NaN', 'inf', '1e5'])
def test_refuses_what_is_not_one_number(text):
    assert parse_price(text) is None


def test_formats_with_separators_and_enough_decimals():
    assert format_price(97123.456) == '97,123.46'
    assert format_price(0.4512) == '0.4512'
    assert format_price(0.00001234) == '0.00001234'
