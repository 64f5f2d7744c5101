"""One-line JSON log records that keep the structured fields passed with ``extra=``."""

from __future__ import annotations

import json
import logging
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
}


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
        payload.update((key, value) for key, value in vars(record).items() if key not in _STANDARD)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    """Send the root logger to stderr, as JSON lines or plain text.

    Args:
        level: Logging level name. Default: ``"INFO"``.
        json_lines: JSON lines when True, ``logging``'s plain format otherwise. Default: ``True``.

    Raises:
        ValueError: ``level`` is not a logging level name.
    """
    handler = logging.StreamHandler()
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    try:
        root.setLevel(level.upper())
    except ValueError:
        raise ValueError(
            f"log level must be DEBUG, INFO, WARNING or ERROR (got {level!r})"
        ) from None
