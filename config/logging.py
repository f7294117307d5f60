"""The server's log lines: one JSON object per record (or plain text), with secrets taken out."""

import json
import logging
import re
from datetime import UTC, datetime

REDACTED = "[redacted]"

#: An API token (see ``inventory.tokens``) wherever it appears.
_TOKEN = re.compile(r"\bsw_[A-Za-z0-9_-]+")
#: The value after a secret's name: ``Authorization: Bearer x``, ``password=x``,
#: ``'password': 'x y'``, ``"HTTP_AUTHORIZATION": "x"`` (the scheme word is kept).
_SECRET_VALUE = re.compile(
    r"""(?ix)
    (?P<name>authorization|password|passwd|secret|api[_-]?key|csrfmiddlewaretoken|sessionid)
    (?P<sep>['"]?\s*[:=]\s*)
    (?:
        (?P<quote>b?['"])(?P<quoted_scheme>(?:bearer|basic|token)\s+)?[^'"]*
      | (?P<scheme>(?:bearer|basic|token)\s+)?[^\s'",;&}]+
    )
    """
)
#: The attributes every LogRecord has; anything else on a record came as ``extra``.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    """``text`` with tokens and the values of passwords and Authorization headers replaced."""
    text = _TOKEN.sub("sw_" + REDACTED, text)
    return _SECRET_VALUE.sub(_redact_value, text)


def _redact_value(match: re.Match) -> str:
    kept = match["name"] + match["sep"]
    if match["quote"] is not None:
        return kept + match["quote"] + (match["quoted_scheme"] or "") + REDACTED
    return kept + (match["scheme"] or "") + REDACTED


class RedactSecrets(logging.Filter):
    """Take secrets out of a record before any handler writes it: message, traceback, extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _RECORD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


def _plain_value(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    method, path = getattr(value, "method", None), getattr(value, "path", None)
    if isinstance(method, str) and isinstance(path, str):
        return redact(f"{method} {path}")  # A request: never its headers, cookies or body.
    if isinstance(value, dict | list | tuple):
        return redact(json.dumps(value, default=str, ensure_ascii=False))
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    """One line of JSON per record: time, level, logger, message, extras, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and not name.startswith("_"):
                entry[name] = _plain_value(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(*, log_format: str, level: str) -> dict:
    """The ``LOGGING`` setting: ``json`` or ``plain`` lines on standard error, redacted."""
    formatters = {
        "json": {"()": "config.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "config.logging.RedactSecrets"}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers (console in debug, mail to admins) would bypass the filter:
            # its records reach the root's handler instead.
            "django": {"handlers": []},
            "django.channels.server": {"level": "WARNING"},
        },
    }
