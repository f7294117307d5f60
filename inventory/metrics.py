"""Prometheus metrics of the store's side: stock events and failing observers."""

from prometheus_client import Counter

STOCK_EVENTS = Counter("stockwatch_stock_events", "Committed stock events, by kind.", ["event"])
OBSERVER_FAILURES = Counter(
    "stockwatch_observer_failures", "Stock observers that raised, by observer.", ["observer"]
)
