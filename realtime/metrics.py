"""Prometheus metrics of the WebSocket side."""

from prometheus_client import Counter, Gauge, Histogram

CONNECTIONS_OPEN = Gauge("stockwatch_connections_open", "Open WebSocket connections.")
SUBSCRIPTIONS = Gauge(
    "stockwatch_subscriptions", "Subscribed skus over all open connections ('*' counts as one)."
)
EVENTS_PUBLISHED = Counter(
    "stockwatch_events_published", "Stock events sent to the channel layer by this process."
)
EVENTS_DELIVERED = Counter(
    "stockwatch_events_delivered", "Stock frames handed to local WebSocket connections."
)
FRAMES_DROPPED = Counter(
    "stockwatch_frames_dropped", "Frames not delivered, by reason.", ["reason"]
)
CONNECTIONS_CLOSED = Counter(
    "stockwatch_connections_closed", "Connections closed, by reason.", ["reason"]
)
FANOUT_SECONDS = Histogram(
    "stockwatch_fanout_seconds",
    "From a change's commit time until this process handed it to its last local socket.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
