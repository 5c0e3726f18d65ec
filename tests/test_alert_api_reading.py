"""An alert as a program sends it to POST /api/alerts (alerts/reading.py), read in-process: a good body gives
the alert meant, a bad one a BadAlert naming the field and saying what is expected. (The HTTP side, the token
and the status codes: e2e/test_alert_webhooks.py, test_programs_manage_alerts_with_the_browsers_token.)"""
from __future__ import annotations

import json
from typing import Any

import pytest

from alerts.conditions import BadAlert
from alerts.model import ABOVE, BELOW, DOWN, EITHER, MOVE, UP, AlertSpec, Condition, Webhook
from alerts.reading import spec_from_json

TOKEN = '123456789:AAE_abcdefghijklmnopqrstuvwxyz0123'


def read(**body: Any) -> AlertSpec:
    return spec_from_json({'symbol': 'BTCUSD', 'condition': {'kind': 'above', 'level': 98100}, **body}, 'BINANCE')


def refused(body: Any) -> BadAlert:
    with pytest.raises(BadAlert) as error:
        spec_from_json(body, 'BINANCE')
    return error.value


def test_the_smallest_body_is_a_symbol_and_a_level():
    assert read() == AlertSpec('BINANCE:BTCUSD', Condition(ABOVE, 98100.0), False, 300.0, '', None)


def test_every_field_a_program_may_send():
    spec = read(symbol=' coinbase:ethusd ', condition={'kind': 'move', 'percent': 2.5, 'direction': 'down',
                                                       'window_s': 300},
                repeat='every', cooldown_s=60, note='  rebalance ', webhook={'url': 'https://example.com/h',
                                                                             'format': 'slack'})
    assert spec == AlertSpec('COINBASE:ETHUSD', Condition(MOVE, 2.5, DOWN, 300), True, 60.0, 'rebalance',
                             Webhook('https://example.com/h', 'slack'))


@pytest.mark.parametrize(('window', 'seconds'), [(300, 300), (3600, 3600), (86400, 86400), (3600.0, 3600),
                                                 ('5m', 300), ('5min', 300), ('1h', 3600), ('24h', 86400),
                                                 ('1d', 86400)])
def test_a_window_is_seconds_or_a_name(window, seconds):
    condition = {'kind': 'move', 'percent': 5, 'direction': 'up', 'window_s': window}
    assert read(condition=condition).condition == Condition(MOVE, 5.0, UP, seconds)
    assert read(condition={'kind': 'move', 'percent': 5}).condition == Condition(MOVE, 5.0, EITHER, 3600)


def test_a_telegram_webhook_is_its_token_and_chat():
    spec = read(webhook={'format': 'telegram', 'token': TOKEN, 'chat_id': -1001234567890})
    assert spec.webhook == Webhook(f'https://api.telegram.org/bot{TOKEN}/sendMessage', 'telegram', '-1001234567890')


@pytest.mark.parametrize(('body', 'field', 'message'), [
    ([], 'body', 'Send a JSON object: {"symbol": "BTCUSD", "condition": {...}}.'),
    ('BTCUSD', 'body', 'Send a JSON object: {"symbol": "BTCUSD", "condition": {...}}.'),
    ({'condition': {'kind': 'above', 'level': 1}}, 'symbol', 'Type a ticker such as BTCUSD.'),
    ({'symbol': 42, 'condition': {'kind': 'above', 'level': 1}}, 'symbol', 'Type a ticker such as BTCUSD.'),
    ({'symbol': 'BTC/USD', 'condition': {'kind': 'above', 'level': 1}}, 'symbol',
     'A ticker uses only letters, digits and . _ - (for example BTCUSD).'),
    ({'symbol': 'BTCUSD'}, 'condition', None),
    ({'symbol': 'BTCUSD', 'condition': {'kind': 'sideways'}}, 'condition', None),
    ({'symbol': 'BTCUSD', 'condition': 'above 5'}, 'condition', None),
])
def test_a_body_without_a_symbol_or_condition_says_which(body, field, message):
    error = refused(body)
    assert error.field == field
    if message is not None:
        assert str(error) == message
    else:
        assert str(error).startswith('"condition" is {"kind": "above" or "below", "level": PRICE}')


@pytest.mark.parametrize('level', [0, -1, 1e15 + 1, 1e300])
def test_a_level_out_of_range_is_refused(level):
    error = refused({'symbol': 'BTCUSD', 'condition': {'kind': 'below', 'level': level}})
    assert (error.field, str(error)) == ('level', '"level" must be greater than 0 and at most 1,000,000,000,000,000.')


@pytest.mark.parametrize('level', ['98100', True, None, [1], {'v': 1}, float('nan'), float('inf'), float('-inf')])
def test_a_level_that_is_not_a_finite_number_is_refused(level):
    """Strings are not read as numbers here (a program sends JSON numbers); NaN and Infinity, which Python's
    JSON reader accepts, are refused too."""
    error = refused({'symbol': 'BTCUSD', 'condition': {'kind': 'above', 'level': level}})
    assert (error.field, str(error)) == ('level', '"level" must be a number.')


def test_json_s_nan_and_infinity_literals_are_refused_everywhere_a_number_goes():
    for text in ('{"kind": "above", "level": NaN}', '{"kind": "move", "percent": Infinity}'):
        with pytest.raises(BadAlert):
            spec_from_json({'symbol': 'BTCUSD', 'condition': json.loads(text)}, 'BINANCE')
    with pytest.raises(BadAlert) as error:
        spec_from_json(json.loads('{"symbol": "BTCUSD", "condition": {"kind": "above", "level": 5},'
                                  ' "cooldown_s": NaN}'), 'BINANCE')
    assert error.value.field == 'cooldown_s'


@pytest.mark.parametrize(('condition', 'field', 'message'), [
    ({'kind': 'move', 'percent': 0.001}, 'percent', 'Enter a move between 0.01 and 1000 %.'),
    ({'kind': 'move', 'percent': 1001}, 'percent', 'Enter a move between 0.01 and 1000 %.'),
    ({'kind': 'move', 'percent': '5'}, 'percent', '"percent" must be a number.'),
    ({'kind': 'move', 'percent': 5, 'direction': 'sideways'}, 'direction', '"direction" is "up", "down" or "either".'),
    ({'kind': 'move', 'percent': 5, 'window_s': 7}, 'window_s', '"window_s" is 300, 3600 or 86400 (5 min, 1 h, 24 h).'),
    ({'kind': 'move', 'percent': 5, 'window_s': '2h'}, 'window_s',
     '"window_s" is 300, 3600 or 86400 (5 min, 1 h, 24 h).'),
    ({'kind': 'move', 'percent': 5, 'window_s': True}, 'window_s',
     '"window_s" is 300, 3600 or 86400 (5 min, 1 h, 24 h).'),
])
def test_a_move_out_of_range_or_an_unknown_window_is_refused(condition, field, message):
    error = refused({'symbol': 'BTCUSD', 'condition': condition})
    assert (error.field, str(error)) == (field, message)


@pytest.mark.parametrize(('extra', 'field', 'message'), [
    ({'repeat': 'sometimes'}, 'repeat', '"repeat" is "once" or "every".'),
    ({'repeat': True}, 'repeat', '"repeat" is "once" or "every".'),
    ({'cooldown_s': 4}, 'cooldown_s', '"cooldown_s" is a number of seconds from 5 to 604800.'),
    ({'cooldown_s': 604801}, 'cooldown_s', '"cooldown_s" is a number of seconds from 5 to 604800.'),
    ({'cooldown_s': '60'}, 'cooldown_s', '"cooldown_s" is a number of seconds from 5 to 604800.'),
    ({'cooldown_s': True}, 'cooldown_s', '"cooldown_s" is a number of seconds from 5 to 604800.'),
    ({'note': 'x' * 201}, 'note', '"note" is text of at most 200 characters.'),
    ({'note': 5}, 'note', '"note" is text of at most 200 characters.'),
])
def test_how_often_and_the_note_are_checked(extra, field, message):
    error = refused({'symbol': 'BTCUSD', 'condition': {'kind': 'above', 'level': 1}, **extra})
    assert (error.field, str(error)) == (field, message)


@pytest.mark.parametrize(('webhook', 'message'), [
    ('https://example.com/h', '"webhook" is {"url": ..., "format": "json"|"discord"|"slack"} or '
                              '{"format": "telegram", "token": ..., "chat_id": ...}.'),
    ({'url': 'https://example.com/h', 'format': 'xml'}, '"format" is one of json, discord, slack, telegram.'),
    ({'format': 'json'}, 'Enter the webhook URL, starting with https://.'),
    ({'url': 42}, 'Enter the webhook URL, starting with https://.'),
    ({'url': 'file:///etc/passwd'}, 'Only http:// and https:// webhooks are sent.'),
    ({'format': 'telegram', 'token': 'nope', 'chat_id': '1'},
     'A bot token looks like 123456789:AAE…, as @BotFather gave it.'),
    ({'format': 'telegram', 'token': TOKEN, 'chat_id': '١٢٣'},
     'A chat id is a number (like -1001234567890) or a channel name like @mychannel.'),
])
def test_a_webhook_that_cannot_be_sent_is_refused_under_webhook(webhook, message):
    error = refused({'symbol': 'BTCUSD', 'condition': {'kind': 'above', 'level': 1}, 'webhook': webhook})
    assert (error.field, str(error)) == ('webhook', message)


def test_below_is_read_like_above():
    assert read(condition={'kind': 'below', 'level': 0.5}).condition == Condition(BELOW, 0.5)
