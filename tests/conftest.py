"""Fixtures shared by every test package."""

# Real-server fixtures (``server``, ``staff``, ``server_factory``) for e2e and browser tests.
# Channels' communicator fixtures (``hub``, ``connect``, ``products``) for consumer tests.
pytest_plugins = ["tests.support.fixtures", "tests.support.communicators"]
