"""Settings for stockwatch, each read once from the environment with an embedded default."""

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import email_config, env_bool, env_choice, env_float, env_int, env_list
from config.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("STOCKWATCH_DATA_DIR", BASE_DIR / "data"))

DEV_SECRET_KEY = "django-insecure-stockwatch-development-key-do-not-deploy"

DEBUG = env_bool(os.environ, "DJANGO_DEBUG", False)
#: The development key lets commands run on a fresh checkout; the server refuses it
#: outside debug (see ``require_production_secret``, called by ``config.asgi``).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)


def require_production_secret(*, debug: bool, secret_key: str) -> None:
    """Refuse to serve with the development key when debug is off."""
    if not debug and secret_key == DEV_SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off: the development key "
            "is refused outside debug (set DJANGO_DEBUG=1 for a local run)."
        )


ALLOWED_HOSTS = env_list(os.environ, "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "inventory",
    "alerts",
    "realtime",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_config(url: str | None) -> dict:
    """Return the default database: ``url`` when given, else the embedded SQLite file."""
    if url:
        return dj_database_url.parse(url, conn_max_age=0)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "stockwatch.sqlite3",
        "OPTIONS": {
            # Writers from several processes (server, commands) queue for the lock
            # at BEGIN instead of failing when a read transaction upgrades.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


DATABASES = {"default": database_config(os.environ.get("DATABASE_URL"))}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL") or None
#: Prefix for channel-layer and cache keys, so several stores (or test runs) share one Redis.
KEY_PREFIX = os.environ.get("STOCKWATCH_KEY_PREFIX", "stockwatch")
#: Seconds a group membership lives in Redis unless refreshed; each server refreshes its own
#: memberships well within this, so a killed process leaves no member for longer.
GROUP_EXPIRY = env_int(os.environ, "STOCKWATCH_GROUP_EXPIRY", 300, minimum=3)


#: The Redis channel layers ``STOCKWATCH_CHANNEL_LAYER`` chooses from: ``core`` keeps each
#: channel's messages in a Redis list (channels_redis's ``RedisChannelLayer``), ``pubsub``
#: publishes them (``RedisPubSubChannelLayer``: no group expiry, as a process's
#: subscriptions end with its connection). See bench/README.md for the measurements.
REDIS_CHANNEL_LAYERS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}


def channel_layers_config(redis_url: str | None, *, kind: str = "core") -> dict:
    """Return the channel layer: Redis (of ``kind``) when ``redis_url`` is set, else in-process."""
    if kind not in REDIS_CHANNEL_LAYERS:
        raise ImproperlyConfigured(
            f"STOCKWATCH_CHANNEL_LAYER must be one of {', '.join(REDIS_CHANNEL_LAYERS)}, "
            f"got {kind!r}"
        )
    if redis_url and kind == "pubsub":
        return {
            "default": {
                "BACKEND": REDIS_CHANNEL_LAYERS["pubsub"],
                "CONFIG": {"hosts": [redis_url], "prefix": f"{KEY_PREFIX}:asgi"},
            }
        }
    if redis_url:
        return {
            "default": {
                "BACKEND": REDIS_CHANNEL_LAYERS["core"],
                "CONFIG": {
                    "hosts": [redis_url],
                    "prefix": f"{KEY_PREFIX}:asgi",
                    "group_expiry": GROUP_EXPIRY,
                    "capacity": 10_000,
                    "expiry": 60,
                },
            }
        }
    # Each process's hub is the only listener, so a roomy channel costs nothing.
    return {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 10_000, "group_expiry": GROUP_EXPIRY},
        }
    }


CHANNEL_LAYERS = channel_layers_config(
    REDIS_URL, kind=os.environ.get("STOCKWATCH_CHANNEL_LAYER", "core").strip().lower()
)

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{KEY_PREFIX}:cache",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

#: While the cache is unreachable, API writes are let through rather than refused.
RATELIMIT_FAIL_OPEN = True

# Console by default, so a fresh checkout prints its emails; SMTP by EMAIL_URL or EMAIL_HOST.
_EMAIL = email_config(os.environ)
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
EMAIL_HOST = _EMAIL["EMAIL_HOST"]
EMAIL_PORT = _EMAIL["EMAIL_PORT"]
EMAIL_HOST_USER = _EMAIL["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _EMAIL["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _EMAIL["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _EMAIL["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _EMAIL["EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "stockwatch <stockwatch@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves collected files from here.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve app static files straight from the apps, so no collectstatic step is needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

#: Request bodies above this get 413 ``too_large``.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int(os.environ, "STOCKWATCH_MAX_BODY_BYTES", 1024 * 1024)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool(
    os.environ, "DJANGO_SECURE_COOKIES", not DEBUG
)
CSRF_TRUSTED_ORIGINS = env_list(os.environ, "DJANGO_CSRF_TRUSTED_ORIGINS", [])
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"


def proxy_ssl_header(name: str | None) -> tuple[str, str] | None:
    """Django's ``SECURE_PROXY_SSL_HEADER`` for a header such as ``X-Forwarded-Proto``."""
    if not name:
        return None
    if not re.fullmatch(r"[A-Za-z0-9-]+", name):
        raise ImproperlyConfigured(
            f"DJANGO_SECURE_PROXY_SSL_HEADER must be a header name such as X-Forwarded-Proto, "
            f"got {name!r}"
        )
    return "HTTP_" + name.upper().replace("-", "_"), "https"


#: The header by which the TLS proxy in front says a request came over HTTPS; set it only
#: when that proxy always sets (or strips) it, or any client could claim HTTPS.
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER"))
#: Seconds browsers keep to HTTPS once told (HSTS, sent on HTTPS answers only); 0 is off.
SECURE_HSTS_SECONDS = env_int(os.environ, "DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    os.environ, "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG
)
#: Asking browsers to preload HSTS is hard to take back, so it is the operator's explicit choice.
SECURE_HSTS_PRELOAD = env_bool(os.environ, "DJANGO_SECURE_HSTS_PRELOAD", False)
#: Off by default: TLS usually ends at the proxy in front, which redirects plain HTTP itself.
SECURE_SSL_REDIRECT = env_bool(os.environ, "DJANGO_SECURE_SSL_REDIRECT", False)
SILENCED_SYSTEM_CHECKS = [
    # W008 (no SSL redirect): left to the TLS proxy by default (DJANGO_SECURE_SSL_REDIRECT).
    "security.W008",
    # W021 (no HSTS preload): preloading is opt-in, see SECURE_HSTS_PRELOAD above.
    "security.W021",
]

# -- stockwatch ----------------------------------------------------------------------------

#: Seconds between WebSocket pings on an idle connection; must match daphne's --ping-interval.
STOCKWATCH_HEARTBEAT = env_int(os.environ, "STOCKWATCH_HEARTBEAT", 20, minimum=1)
#: Skus one connection may subscribe to over all its subscribes ("*" counts as one).
STOCKWATCH_MAX_SUBSCRIPTIONS = env_int(os.environ, "STOCKWATCH_MAX_SUBSCRIPTIONS", 1000, minimum=1)
#: Client messages per second per connection, and the burst allowed above that.
STOCKWATCH_MESSAGE_RATE = env_float(os.environ, "STOCKWATCH_MESSAGE_RATE", 20, minimum=0.1)
STOCKWATCH_MESSAGE_BURST = env_int(os.environ, "STOCKWATCH_MESSAGE_BURST", 40, minimum=1)
#: Seconds a rate-limited client may keep sending before it is closed with 4008.
STOCKWATCH_RATE_LIMIT_GRACE = env_float(os.environ, "STOCKWATCH_RATE_LIMIT_GRACE", 2, minimum=0)
#: Open WebSocket connections one client address may hold per server process (0: no limit);
#: more are closed with 4029. Behind a proxy, start daphne with --proxy-headers.
STOCKWATCH_MAX_CONNECTIONS_PER_ADDRESS = env_int(
    os.environ, "STOCKWATCH_MAX_CONNECTIONS_PER_ADDRESS", 200
)
#: Client frames above this close the connection with 4009.
STOCKWATCH_MAX_MESSAGE_BYTES = env_int(os.environ, "STOCKWATCH_MAX_MESSAGE_BYTES", 64 * 1024)
#: Bytes a connection may leave unread in its send buffer before it is closed with 4013.
STOCKWATCH_MAX_BACKLOG_BYTES = env_int(os.environ, "STOCKWATCH_MAX_BACKLOG_BYTES", 4 * 1024 * 1024)
#: Hours of stock events kept for ``since`` recovery.
STOCKWATCH_EVENT_RETENTION_HOURS = env_int(
    os.environ, "STOCKWATCH_EVENT_RETENTION_HOURS", 24, minimum=24
)
#: Seconds between reads of the event log for changes made by other processes; 0 turns it off.
#: On by default without Redis, where no channel layer links the processes.
STOCKWATCH_LOG_TAIL_INTERVAL = env_float(
    os.environ, "STOCKWATCH_LOG_TAIL_INTERVAL", 0 if REDIS_URL else 0.5
)
#: HTTP writes allowed per credential (django-ratelimit syntax, e.g. ``120/m``).
STOCKWATCH_API_WRITE_RATE = os.environ.get("STOCKWATCH_API_WRITE_RATE", "600/m")
#: Seconds between a server's reports of how many of its connections watch each product.
STOCKWATCH_PRESENCE_SECONDS = env_float(os.environ, "STOCKWATCH_PRESENCE_SECONDS", 5, minimum=0.2)
#: Where shoppers reach the store; emails link back to products under it.
STOCKWATCH_PUBLIC_URL = os.environ.get("STOCKWATCH_PUBLIC_URL", "http://127.0.0.1:8000")
#: Attempts at sending one email before it is marked failed.
STOCKWATCH_EMAIL_MAX_ATTEMPTS = env_int(os.environ, "STOCKWATCH_EMAIL_MAX_ATTEMPTS", 5, minimum=1)
#: Seconds before the first retry of an email; each later retry waits twice as long as the last.
STOCKWATCH_EMAIL_RETRY_SECONDS = env_float(os.environ, "STOCKWATCH_EMAIL_RETRY_SECONDS", 30)
#: The longest wait between two attempts.
STOCKWATCH_EMAIL_RETRY_MAX_SECONDS = env_float(
    os.environ, "STOCKWATCH_EMAIL_RETRY_MAX_SECONDS", 3600
)
#: Emails one worker claims at a time.
STOCKWATCH_EMAIL_BATCH = env_int(os.environ, "STOCKWATCH_EMAIL_BATCH", 50, minimum=1)
#: Seconds a worker's claim on its batch lasts; a worker that dies lets it go after this.
STOCKWATCH_EMAIL_LEASE_SECONDS = env_float(
    os.environ, "STOCKWATCH_EMAIL_LEASE_SECONDS", 600, minimum=10
)
#: Seconds the worker sleeps when no email is due.
STOCKWATCH_EMAIL_POLL_SECONDS = env_float(
    os.environ, "STOCKWATCH_EMAIL_POLL_SECONDS", 2, minimum=0.05
)
#: The server's cyclic garbage collector thresholds (Python's own are 700,10,10): fewer
#: collections mean no pauses of every socket, at the price of garbage that waits longer.
STOCKWATCH_GC_THRESHOLDS = tuple(
    int(value) for value in env_list(os.environ, "STOCKWATCH_GC_THRESHOLDS", ["50000", "20", "100"])
)
#: Stock under this shows as "Low stock" on the dashboard.
STOCKWATCH_LOW_STOCK = env_int(os.environ, "STOCKWATCH_LOW_STOCK", 5)

#: ``json``: one JSON object per line on standard error, for log collectors; ``plain``: text.
STOCKWATCH_LOG_FORMAT = env_choice(
    os.environ, "STOCKWATCH_LOG_FORMAT", "plain" if DEBUG else "json", {"json", "plain"}
)
LOGGING = logging_config(
    log_format=STOCKWATCH_LOG_FORMAT, level=os.environ.get("STOCKWATCH_LOG_LEVEL", "INFO")
)
