"""Prometheus metrics of back-in-stock alerts."""

from prometheus_client import Counter

ALERTS_FIRED = Counter("stockwatch_alerts_fired", "Back-in-stock alerts fired by restocks.")
