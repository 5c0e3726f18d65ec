"""Numbers a person types into the alert and holding forms (cryptoui/pages/amounts.py), read in-process: each
good text gives the number meant, each bad one the sentence shown under its field, and nothing is guessed."""
from __future__ import annotations

import sys
import unicodedata

import pytest

from cryptoui.pages.amounts import BadAmount, parse_amount, plain

NOT_A_NUMBER = 'Enter a number, like 1250.5 or 1,250.50.'
POSITIVE = 'Enter a number greater than 0.'
NOT_NEGATIVE = 'Enter 0 or more.'
TOO_LARGE = 'That is too large: at most 1,000,000,000,000,000.'
TOO_LONG = 'That is too long: at most 30 characters.'


@pytest.mark.parametrize(('typed', 'value'), [
    ('98100', 98100.0),
    ('98,100.50', 98100.5),  # as the cards show prices
    ('1,250', 1250.0),
    ('1,234,567.891', 1234567.891),
    ('0.5', 0.5),
    ('.5', 0.5),
    ('007', 7.0),
    ('0.00000001', 1e-8),  # a satoshi
    ('0.0000012345', 0.0000012345),  # more decimals than a card shows: kept, not rounded
    ('  42\t', 42.0),
    ('\n7 ', 7.0),
    ('\u00a012.5\u2003', 12.5),  # a no-break space and an em space pasted around it
    ('1,000,000,000,000,000', 1e15),  # the largest
    ('１２３', 123.0),  # full-width digits: the same number, read as such
    ('١٢٣٤.٥', 1234.5),  # Arabic-Indic digits (with our decimal point)
])
def test_a_plain_number_reads_as_the_number_meant(typed, value):
    assert parse_amount(typed) == value


@pytest.mark.parametrize('typed', [None, '', '   ', '\t\n'])
def test_an_empty_field_is_no_number_not_an_error(typed):
    assert parse_amount(typed) is None
    assert parse_amount(typed, zero_allowed=True) is None


@pytest.mark.parametrize('typed', [
    'abc', '1,5', '1.234,56', '1,23', '12,34,567', '1,2345', ',5', '1,', '1 000', '1\u00a0000', '1_000', '1e5',
    '1E5', '0x10', '+5', '5.', '1..2', '1.2.3', '$100', '100 USD', '€5', '½', '²', 'nan', 'NaN', 'inf', 'Infinity',
    '-inf', '−nan', '--5', '-', '−', '.', '5%',
    '1٫5', '١٬٢٣٤',  # the Arabic decimal and thousands separators are not read: refused, never misread
])
def test_anything_else_is_refused_with_an_example_of_what_is_read(typed):
    """Locale decimal commas, spaces as separators, exponents, signs, words: never a silently other number."""
    for zero_allowed in (False, True):
        with pytest.raises(BadAmount) as refused:
            parse_amount(typed, zero_allowed=zero_allowed)
        assert str(refused.value) == NOT_A_NUMBER


@pytest.mark.parametrize('typed', ['-3', '−3', '-0.5', '-1,000', '-.5'])
def test_a_negative_number_is_told_what_the_field_takes(typed):
    with pytest.raises(BadAmount) as refused:
        parse_amount(typed)
    assert str(refused.value) == POSITIVE
    with pytest.raises(BadAmount) as refused:
        parse_amount(typed, zero_allowed=True)
    assert str(refused.value) == NOT_NEGATIVE


@pytest.mark.parametrize('typed', ['0', '0.0', '.0', '000', '0,000', '0.000000'])
def test_zero_is_refused_where_it_means_nothing_and_kept_where_it_may(typed):
    with pytest.raises(BadAmount) as refused:
        parse_amount(typed)
    assert str(refused.value) == POSITIVE
    assert parse_amount(typed, zero_allowed=True) == 0.0


@pytest.mark.parametrize('typed', ['1000000000000001', '1,000,000,000,000,001', '9' * 30, '5' * 20 + '.5'])
def test_a_huge_number_is_too_large(typed):
    with pytest.raises(BadAmount) as refused:
        parse_amount(typed)
    assert str(refused.value) == TOO_LARGE


@pytest.mark.parametrize('typed', ['9' * 31, '0.' + '0' * 28 + '1', pytest.param('1' * 10_000, id='10000 digits'),
                                   'x' * 31, '-' + '9' * 30])
def test_a_text_over_30_characters_is_too_long_whatever_it_holds(typed):
    """Before this was checked first, 31 digits were told 'Enter a number' (it was one) and a long fraction
    'too large' would not have been true either."""
    with pytest.raises(BadAmount) as refused:
        parse_amount(typed)
    assert str(refused.value) == TOO_LONG


def test_every_script_s_decimal_digits_read_as_their_value_never_a_crash():
    """The pattern's \\d takes any Unicode decimal digit: each must read as its value (float() knows them all),
    since a digit the pattern took and float() refused would be an uncaught error under the field."""
    digits = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == 'Nd']
    assert len(digits) > 500
    for digit in digits:
        value = unicodedata.digit(digit)
        assert parse_amount(f'{digit}{digit}.{digit}', zero_allowed=True) == pytest.approx(11 * value + value / 10)


@pytest.mark.parametrize(('value', 'decimals', 'text'), [
    (98100.0, 2, '98100'), (98100.5, 2, '98100.5'), (0.164, 8, '0.164'), (0.1, 4, '0.1'), (3.0, 0, '3'),
    (0.0000012345, 8, '0.00000123'),  # rounded when decimals are asked for (a prefilled level)
])
def test_plain_writes_a_number_as_it_can_be_typed_back(value, decimals, text):
    assert plain(value, decimals) == text


@pytest.mark.parametrize('value', [98100.5, 0.1, 0.3, 1e-9, 0.0000012345, 12345678.87654321, 1e15, 5.0, 0.0,
                                   1234567.891, 2 / 3])
def test_what_was_saved_shows_again_as_typed_and_reads_back_the_same(value):
    """A holding or an alert opened again shows its number with every digit it has: saving without a change
    must not change it (with 8 decimals, 0.0000012345 came back as 0.00000123 and 1e-9 as '0', refused)."""
    text = plain(value)
    assert 'e' not in text.lower() and ',' not in text
    assert parse_amount(text, zero_allowed=True) == value
