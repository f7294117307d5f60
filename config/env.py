"""Small pure helpers that read settings from the environment, failing loudly."""

from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    """Read a boolean such as ``1``/``0`` or ``true``/``false``."""
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(environ: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    """Read an integer no smaller than ``minimum``."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_float(
    environ: Mapping[str, str], name: str, default: float, *, minimum: float = 0
) -> float:
    """Read a number no smaller than ``minimum``."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(environ: Mapping[str, str], name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list, dropping empty items."""
    raw = environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(environ: Mapping[str, str], name: str, default: str, choices: set[str]) -> str:
    """Read one of ``choices`` (case-insensitive)."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        allowed = ", ".join(sorted(choices))
        raise ImproperlyConfigured(f"{name} must be one of {allowed}, got {raw!r}")
    return value


#: Email URL schemes: the SMTP backend's transport security for each.
_SMTP_SCHEMES = {"smtp": (False, False), "smtp+tls": (True, False), "smtps": (False, True)}
_EMAIL_FLAGS = ("EMAIL_USE_TLS", "EMAIL_USE_SSL")


def email_config(environ: Mapping[str, str]) -> dict:
    """Django's EMAIL_* settings: from ``EMAIL_URL``, else from Django's own names.

    ``EMAIL_URL`` is ``smtp://user:password@host:port`` (``smtp+tls://`` for STARTTLS,
    ``smtps://`` for TLS from the start, ``console://``); user and password are
    percent-decoded. Without it, ``EMAIL_HOST`` turns SMTP on and the other standard
    names (``EMAIL_PORT``, ``EMAIL_HOST_USER``, ...) apply; with neither, emails go to
    the console.
    """
    timeout = env_float(environ, "EMAIL_TIMEOUT", 30, minimum=0.1)
    url = (environ.get("EMAIL_URL") or "").strip()
    if url:
        return _email_from_url(url, timeout=timeout)
    if environ.get("EMAIL_BACKEND"):
        backend = environ["EMAIL_BACKEND"]
    elif environ.get("EMAIL_HOST"):
        backend = "django.core.mail.backends.smtp.EmailBackend"
    else:
        backend = "django.core.mail.backends.console.EmailBackend"
    config = {
        "EMAIL_BACKEND": backend,
        "EMAIL_HOST": environ.get("EMAIL_HOST", "localhost"),
        "EMAIL_PORT": env_int(environ, "EMAIL_PORT", 25, minimum=1),
        "EMAIL_HOST_USER": environ.get("EMAIL_HOST_USER", ""),
        "EMAIL_HOST_PASSWORD": environ.get("EMAIL_HOST_PASSWORD", ""),
        "EMAIL_TIMEOUT": timeout,
    }
    for flag in _EMAIL_FLAGS:
        config[flag] = env_bool(environ, flag, False)
    if config["EMAIL_USE_TLS"] and config["EMAIL_USE_SSL"]:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other")
    return config


def _email_from_url(url: str, *, timeout: float) -> dict:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return email_config({"EMAIL_TIMEOUT": str(timeout)})
    if scheme not in _SMTP_SCHEMES:
        raise ImproperlyConfigured(
            f"EMAIL_URL must start with smtp://, smtp+tls://, smtps:// or console://, got {url!r}"
        )
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"EMAIL_URL has an invalid port: {url!r}") from None
    if not parts.hostname:
        raise ImproperlyConfigured(f"EMAIL_URL names no host: {url!r}")
    use_tls, use_ssl = _SMTP_SCHEMES[scheme]
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if use_ssl else 587 if use_tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_TIMEOUT": timeout,
    }
