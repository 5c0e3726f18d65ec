"""A LivePrice's changes and who hears of them: the decisions behind the source's on_price and on_state."""
from cluster.wire import PriceMessage
from market.entry import PriceEntry, Status
from prices import Listeners, LivePrice


def values(**changes) -> dict:
    """What the engine hands over for one change of an entry (its FIELDS), from a fresh entry's."""
    return {**PriceEntry('BINANCE:BTCUSD').values(), **changes}


def test_a_first_price_moves_the_price_and_restates_the_card():
    price = LivePrice('BINANCE:BTCUSD')
    change = price.apply(values(price=100.0, price_text='100.00', status='live', message='', updated_at=10.0))
    assert change.moved and change.restated
    assert price.history.last_point == (10, 100.0)


def test_a_word_with_the_same_price_is_neither_a_move_nor_a_new_state():
    price = LivePrice('BINANCE:BTCUSD')
    price.apply(values(price=100.0, price_text='100.00', status='live', message='', updated_at=10.0))
    change = price.apply(values(price=100.0, price_text='100.00', status='live', message='', updated_at=11.0))
    assert not change.moved and not change.restated and price.updated_at == 11.0


def test_a_status_currency_or_name_alone_restates_without_a_move():
    price = LivePrice('BINANCE:BTCUSD')
    first = values(price=100.0, price_text='100.00', status='live', message='', currency='USD')
    price.apply(first)
    for change in ({'status': 'stale', 'message': 'No update for 30 s'}, {'currency': 'USDT'},
                   {'name': 'Bitcoin / TetherUS', 'decimals': 2}):
        first = {**first, **change}
        moved, restated = price.apply(first)
        assert (moved, restated) == (False, True), change


def test_a_bar_whose_close_is_not_the_quote_moves_the_price():
    price = LivePrice('BINANCE:BTCUSD')
    price.apply(values(price=100.0, price_text='100.00', status='live', message=''))
    quoted = values(price=100.0, price_text='100.00', status='live', message='', bar=[60, 99, 101, 98, 100.0, 5])
    assert not price.apply(quoted).moved  # the du that follows a quote: nothing new to draw
    ahead = values(price=100.0, price_text='100.00', status='live', message='', bar=[60, 99, 102, 98, 101.5, 6])
    assert price.apply(ahead).moved and price.bar == (60, 99, 102, 98, 101.5, 6)


def test_set_status_says_whether_it_changed_anything():
    price = LivePrice('BINANCE:BTCUSD')
    assert price.set_status(Status.RECONNECTING, 'The price engine stopped; restarting it')
    assert not price.set_status(Status.RECONNECTING, 'The price engine stopped; restarting it')


def test_a_listener_removed_hears_nothing_more_and_may_remove_itself_while_called():
    heard: list[tuple[str, int]] = []
    listeners: Listeners[[int]] = Listeners()
    remove_first = listeners.add(lambda n: heard.append(('first', n)))

    def once(n: int) -> None:
        heard.append(('once', n))
        remove_once()
    remove_once = listeners.add(once)
    listeners.add(lambda n: heard.append(('last', n)))
    listeners(1)
    assert heard == [('first', 1), ('once', 1), ('last', 1)]  # removing itself did not skip the next one
    remove_first()
    remove_first()  # a second call is harmless
    listeners(2)
    assert heard[3:] == [('last', 2)] and len(listeners) == 1


def test_a_bound_method_is_removed_by_what_its_add_returned():
    class Page:
        def __init__(self) -> None:
            self.heard: list[int] = []

        def hear(self, n: int) -> None:
            self.heard.append(n)
    page, other = Page(), Page()
    listeners: Listeners[[int]] = Listeners()
    remove = listeners.add(page.hear)
    listeners.add(other.hear)
    remove()
    listeners(3)
    assert page.heard == [] and other.heard == [3]


def test_an_entry_that_crossed_to_another_node_reads_back_as_it_was():
    entry = PriceEntry('BINANCE:BTCUSD', price=1.5, price_text='1.50', status='live', message='', name='Bitcoin',
                       decimals=2, updated_at=5.0, bar=(60, 1.0, 2.0, 0.5, 1.5, 10.0))
    message = PriceMessage.decode(PriceMessage(3, 'n1', entry.values(), 5.1).encode())  # JSON: the bar is a list
    assert message is not None
    copy = PriceEntry('BINANCE:BTCUSD')
    copy.assign(message.values)
    assert copy == entry and copy.bar == (60, 1.0, 2.0, 0.5, 1.5, 10.0)
