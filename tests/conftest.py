"""Fixtures shared by every test package."""

# Real-server fixtures (``server``, ``staff``, ``server_factory``) for e2e and browser tests.
pytest_plugins = ["tests.support.fixtures"]
