"""PriceHistory: bounded, compact, continuous with the live price, from either source."""
from market import history as history_module
from market.history import PriceHistory


def test_prices_alone_build_bars_and_a_sparkline_that_ends_at_the_live_price():
    history = PriceHistory()
    for second in range(0, 180):
        history.record(1_000_020 + second + 0.5, 100 + second)
    assert history.resolution == 60 and not history.from_series
    assert [bar[0] for bar in history.bars()] == [1_000_020 + 60 * i for i in range(3)]  # minutes
    first = history.bars()[0]
    assert first[1:5] == (100, 159, 100, 159)  # open, high, low, close of the first minute
    spark = history.sparkline(now=1_000_200)
    assert spark.points[-1] == [1_000_199.5, 279] and len(spark.points) <= history_module.SPARK_POINTS + 1


def test_one_price_is_one_point_of_the_sparkline_and_the_newest_replaces_its_slot():
    history = PriceHistory()
    history.record(1_000_000.7, 5.0)
    assert history.sparkline(now=1_000_001).points == [[1_000_000.7, 5.0]]  # not its second's tick as well
    history.record(1_000_001.2, 6.0)
    history.record(1_000_001.9, 7.0)
    assert history.sparkline(now=1_000_002).points == [[1_000_000, 5.0], [1_000_001.9, 7.0]]


def test_one_price_a_second_at_most_and_a_day_at_most(monkeypatch):
    monkeypatch.setattr(history_module, 'TICKS_KEPT', 50)
    history = PriceHistory()
    history.record(10.1, 1.0)
    history.record(10.9, 2.0)
    assert history.ticks() == [(10, 2.0)]
    for second in range(11, 500):
        history.record(second, float(second))
    assert len(history.ticks()) == 50 and history.ticks()[-1] == (499, 499.0)
    assert history.nbytes < 200 * 12  # the arrays hold at most twice what is kept


def test_the_series_replaces_quote_bars_and_the_live_price_carries_its_current_bar():
    history = PriceHistory()
    history.record(1_000, 5.0)
    history.set_series([(900, 1, 2, 1, 2, 3), (600, 1, 1, 1, 1, 1)], 300)
    assert history.from_series and [bar[0] for bar in history.bars()] == [600, 900]
    history.record(1_100, 2.5)  # within the current 5-minute bar
    assert history.bars()[-1] == (900, 1, 2.5, 1, 2.5, 3)
    history.update_bar((900, 1, 3, 0.5, 2.75, 4), at=1_150)
    assert history.last_point == (1_150, 2.75) and history.bars()[-1] == (900, 1, 3, 0.5, 2.75, 4)
    history.record(1_250, 3.0)  # the series stopped: the quotes open the next bar themselves
    assert history.bars()[-1] == (1_200, 3.0, 3.0, 3.0, 3.0, 0.0)


def test_a_snapshot_restored_elsewhere_keeps_what_was_recorded_there_after_it():
    owner, follower = PriceHistory(), PriceHistory()
    owner.set_series([(600, 1, 1, 1, 1, 1), (900, 1, 2, 1, 2, 1)], 300)
    owner.record(1_000, 2.0)
    follower.record(1_010, 2.2)
    follower.restore(owner.snapshot())
    assert follower.ticks() == [(1_000, 2.0), (1_010, 2.2)]
    assert [bar[0] for bar in follower.bars()] == [600, 900] and follower.bars()[-1][4] == 2.2
    assert follower.last_point == (1_010, 2.2)
