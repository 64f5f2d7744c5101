"""What the app's answer to a POST means: delete, retry later, dead-letter, or failure.

* The header ``X-Sqs-Scale-To-Zero-Dead-Letter: <reason>``, whatever the status: the message
  goes to the dead-letter queue at once, with that reason (``DeadLetter``; an empty value gives a
  reason that names the status). Beanstalk's daemon knows no such answer, and the sqsd
  re-implementations have no convention for it (owickstrom/sqsd-local dead-letters on any answer
  but 200, as the redrive policy would after the retries), so the header is this library's own.
  Answer it with a 4xx (``422`` suits a body the app cannot read): a runtime that does not know
  the header (Beanstalk's daemon) then retries the message until the redrive policy moves it,
  where a 2xx would have deleted it.
* Any ``2xx``: success, the message is deleted. Beanstalk's daemon deletes on ``200 OK`` only
  (Elastic Beanstalk developer guide, "The worker environment SQS daemon"), so an app written
  for Beanstalk answers 200 and keeps working; a ``204`` or ``202`` also means "done" in HTTP,
  and several re-implementations (mogadanez/sqsd, fterrag/simple-sqsd) accept any 2xx too.
* ``429`` or ``503`` with ``Retry-After`` (seconds, or an HTTP date): the message is visible
  again after that long (``RetryLater``), capped at SQS's 12 hours.
* Anything else (``3xx``, ``4xx``, ``5xx``, ``429``/``503`` without a readable ``Retry-After``):
  a failure; the runtime's backoff decides when it is visible again, and the queue's redrive
  policy moves it to the dead-letter queue after ``max_receive_count`` deliveries.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.message import DeadLetter, RetryLater

RETRY_AFTER_STATUSES = (429, 503)
"""The statuses whose ``Retry-After`` header sets the message's next visibility (RFC 9110,
section 10.2.3)."""


class DeliveryFailed(Exception):
    """The app answered a POST with a status that is neither success nor a timed retry.

    Args:
        status: The HTTP status.
        reason: The status line's reason phrase. Default: ``""``.
    """

    def __init__(self, status: int, reason: str = "") -> None:
        self.status = status
        super().__init__(f"the app answered {status} {reason}".rstrip())


def judge(status: int, headers: Mapping[str, str], reason: str = "") -> None:
    """Return on success; raise what the answer means otherwise.

    Args:
        status: The HTTP status of the app's answer. Required.
        headers: Its headers, names in lower case. Required.
        reason: Its reason phrase, for the log. Default: ``""``.

    Raises:
        DeadLetter: The answer has the header ``X-Sqs-Scale-To-Zero-Dead-Letter``.
        RetryLater: ``429``/``503`` with a ``Retry-After`` the runtime can read.
        DeliveryFailed: Any other status outside 2xx.
    """
    dead_letter = headers.get(contract.DEAD_LETTER_HEADER.lower())
    if dead_letter is not None:
        raise DeadLetter(
            dead_letter.strip() or f"the app answered {status} with {contract.DEAD_LETTER_HEADER}"
        )
    if 200 <= status < 300:
        return
    if status in RETRY_AFTER_STATUSES:
        seconds = retry_after_seconds(headers.get("retry-after"))
        if seconds is not None:
            raise RetryLater(seconds, f"the app answered {status} with Retry-After")
    raise DeliveryFailed(status, reason)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now (0 to 12 hours), or ``None`` if it is unreadable.

    Args:
        value: The header: a whole number of seconds, or an HTTP date. Required.
        now: The current time (``time.time()``). Default: now.

    Returns:
        The delay, clamped to 0..43200, or ``None`` for a missing or malformed header.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        seconds = float(text)
    else:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = moment.timestamp() - (time.time() if now is None else now)
    return float(min(max(seconds, 0.0), contract.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS))
