"""Log lines that keep the structured fields passed with ``extra=``: JSON or plain text."""

from __future__ import annotations

import json
import logging
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}

QUIET_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")
"""Libraries whose INFO lines ("Found credentials in environment variables") stay out of the
worker's output: they log at WARNING and above only."""


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD}


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message, and every extra field.

    CloudWatch Logs Insights (and most log tools) index the fields of such lines directly,
    e.g. ``fields message_id, outcome, duration_ms``.
    """

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line."""
        payload: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update(_extra(record))
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger message key=value ...``: the same fields as the JSON lines."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as text, its extra fields appended as ``key=value``."""
        text = super().format(record)
        fields = " ".join(f"{key}={value}" for key, value in _extra(record).items())
        if not fields:
            return text
        head, newline, rest = text.partition("\n")  # keep a traceback below the fields
        return f"{head} {fields}{newline}{rest}"


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    """Send the root logger to stderr, as JSON lines or plain text.

    Args:
        level: Logging level name. Default: ``"INFO"``.
        json_lines: JSON lines when True, ``TextFormatter``'s text otherwise. Default: ``True``.

    Raises:
        ValueError: ``level`` is not a logging level name.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root = logging.getLogger()
    try:
        root.setLevel(level.upper())
    except ValueError:
        raise ValueError(
            f"log level must be DEBUG, INFO, WARNING or ERROR (got {level!r})"
        ) from None
    root.handlers[:] = [handler]
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
