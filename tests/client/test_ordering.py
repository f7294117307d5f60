"""Each product's events are accepted once, in seq order, and resume from the last seen."""

from stockwatch.ordering import SeqTracker


def test_a_repeated_or_older_seq_is_refused():
    tracker = SeqTracker()
    assert [tracker.accept("A", seq) for seq in (1, 2, 2, 1, 3)] == [True, True, False, False, True]
    assert tracker.last("A") == 3


def test_products_are_ordered_apart():
    tracker = SeqTracker()
    assert tracker.accept("A", 5)
    assert tracker.accept("B", 1)
    assert not tracker.accept("A", 4)


def test_a_created_event_of_seq_zero_is_news_for_an_unknown_product():
    tracker = SeqTracker()
    assert tracker.accept("NEW", 0)
    assert not tracker.accept("NEW", 0)


def test_a_snapshot_covers_what_it_shows_but_never_moves_back():
    tracker = SeqTracker()
    tracker.advance("A", 4)
    assert not tracker.accept("A", 4)
    tracker.advance("A", 2)
    assert tracker.last("A") == 4
    assert tracker.accept("A", 5)


def test_reset_takes_a_lower_seq_as_the_truth():
    tracker = SeqTracker()
    tracker.accept("A", 9)
    tracker.reset("A", 1)
    assert tracker.accept("A", 2)


def test_since_names_the_last_seq_of_each_known_product():
    tracker = SeqTracker()
    tracker.accept("A", 3)
    tracker.advance("B", 7)
    assert tracker.since() == {"A": 3, "B": 7}
    assert tracker.since(["B", "C"]) == {"B": 7}


def test_forgotten_products_start_afresh():
    tracker = SeqTracker()
    tracker.accept("A", 3)
    tracker.accept("B", 3)
    tracker.forget(["A"])
    assert "A" not in tracker and "B" in tracker
    tracker.forget(None)
    assert tracker.since() == {}
