"""Settings for the test run: the project's own, with a key that is not the development one."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "stockwatch-test-key-not-for-deployment")

from config.settings import *  # noqa: E402,F403
