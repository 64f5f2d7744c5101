"""``HttpDelivery``: the ``Delivery`` that POSTs each message to the app and judges its answer.

It takes the place of the Python function (``FunctionDelivery``) at the worker's one seam (see
:mod:`sqs_scale_to_zero.worker.delivery`), so everything the runtime does for a function holds
for it: concurrent requests (one per handler thread,
each thread with its own keep-alive connection), prefetch, FIFO group order, the heartbeat while
the request is open, task protection while any request is open, batch deletes, the backoff, the
deploy drain (its pause and its drain), and the bounded shutdown.

When the app cannot be reached:

* **Connection refused** (nothing listens), or **closed or reset before an answer** (the app
  died or dropped the request): ``AppUnreachable``, a ``RetryLater`` of
  ``unreachable_retry_seconds``: the message is visible again after one long poll (the poll wait
  plus a second), not after the backoff, and not sooner, so that this task's own receive in
  flight cannot take it again. Receiving pauses until the app answers again (see
  ``readiness``), so the message costs that one receive only. A message that crashes the app
  every time still reaches the dead-letter queue after ``max_receive_count`` deliveries.
* **No answer within the inactivity timeout**: a failure with the runtime's backoff; the
  connection is closed. The heartbeat keeps the message invisible while the request is open.

A keep-alive connection the app closed while idle is not a failure: a request on a reused
connection that breaks off within :data:`STALE_RETRY_SECONDS` is sent once more on a new one.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import threading
import time
from collections.abc import Iterator

from sqs_scale_to_zero.worker import contract
from sqs_scale_to_zero.worker.delivery import Outcome
from sqs_scale_to_zero.worker.http_delivery.answers import judge
from sqs_scale_to_zero.worker.http_delivery.readiness import AppReadiness, ReceiveControl
from sqs_scale_to_zero.worker.http_delivery.settings import DeliverySettings
from sqs_scale_to_zero.worker.http_delivery.sqsd import SqsdRequest, sqsd_request
from sqs_scale_to_zero.worker.message import DeadLetter, Message, RetryLater

logger = logging.getLogger("sqs_scale_to_zero.worker")

CONNECT_TIMEOUT_SECONDS = 5.0
"""How long a new connection to the app may take: Beanstalk's ``ConnectTimeout`` default."""

KEEPALIVE_IDLE_SECONDS = 4.0
"""A connection idle longer than this is not reused: below Node.js's default keep-alive
timeout (5 s), after which the app's server closes it."""

STALE_RETRY_SECONDS = 0.5
"""A request on a reused connection that breaks off sooner than this is sent again once on a
new connection (the app had closed the idle connection)."""


class AppUnreachable(RetryLater):
    """The app refused the connection, or closed it before it answered a POST."""


class DeliveryTimeout(TimeoutError):
    """The app sent nothing for the inactivity timeout."""


class HttpDelivery:
    """POST each message to the app, as Elastic Beanstalk's worker daemon does.

    Args:
        settings: Where and how to POST (``DeliverySettings``).
        queue_name: The queue's name, sent as ``X-Aws-Sqsd-Queue``.
        readiness: Watches the app. Default: ``AppReadiness(settings)``.
        unreachable_retry_seconds: When a message the app could not take is visible again:
            longer than the worker's long poll. Default: ``21`` (SQS's longest poll, 20 s, plus
            one).

    Attributes:
        settings: The delivery settings.
        queue_name: The queue's name.
        readiness: The app's readiness (``AppReadiness``).
    """

    def __init__(
        self,
        settings: DeliverySettings,
        *,
        queue_name: str,
        readiness: AppReadiness | None = None,
        unreachable_retry_seconds: float = contract.SQS_MAX_WAIT_SECONDS + 1,
    ) -> None:
        self.settings = settings
        self.unreachable_retry_seconds = unreachable_retry_seconds
        self.queue_name = queue_name
        self.readiness = readiness or AppReadiness(settings)
        self._local = threading.local()
        self._connections: set[http.client.HTTPConnection] = set()
        self._lock = threading.Lock()

    def deliver(self, message: Message) -> Outcome:
        """POST ``message`` to the app; never raises.

        Returns:
            ``dead_letter`` on an answer with ``X-Sqs-Scale-To-Zero-Dead-Letter``; else
            success on a 2xx; ``retry_later`` on a ``429``/``503`` with ``Retry-After`` and when
            the app could not be reached (``AppUnreachable``); ``failed`` on any other status
            (``DeliveryFailed``) and when the app sent nothing for the inactivity timeout
            (``DeliveryTimeout``).
        """
        started = time.monotonic()
        try:
            self._deliver(message)
        except RetryLater as request:
            return Outcome.retry_later(message, started, request.delay_seconds)
        except DeadLetter as request:
            return Outcome.dead_letter(message, started, request.reason)
        except Exception as failure:
            return Outcome.failed(message, started, failure)
        return Outcome.succeeded(message, started)

    def close(self) -> None:
        """Close the calling handler thread's connection (it is ending)."""
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is not None:
            self._discard(connection)

    def _deliver(self, message: Message) -> None:
        request = sqsd_request(
            message,
            queue_name=self.queue_name,
            path=self.settings.path,
            content_type=self.settings.content_type,
        )
        with self.readiness.open_request():
            status, reason, headers = self._post(request)
        judge(status, headers, reason)

    @contextlib.contextmanager
    def watching(self, control: ReceiveControl) -> Iterator[None]:
        """Hold ``control``'s receives until the app answers, and while it is away.

        Use it around ``Worker.run()``: ``with delivery.watching(worker): worker.run()``.
        """
        self.readiness.start(control)
        try:
            yield
        finally:
            self.readiness.close()
            self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            connection.close()

    def _post(self, request: SqsdRequest) -> tuple[int, str, dict[str, str]]:
        for attempt in (1, 2):
            connection, reused = self._connection()
            started = time.monotonic()
            try:
                connection.request(
                    "POST", request.path, body=request.body, headers=request_headers(request)
                )
                response = connection.getresponse()
                response.read()
            except TimeoutError:
                self._discard(connection)
                raise DeliveryTimeout(
                    f"the app sent nothing for {self.settings.timeout_seconds:g} s "
                    "(the inactivity timeout)"
                ) from None
            except (OSError, http.client.HTTPException) as error:
                self._discard(connection)
                if reused and attempt == 1 and time.monotonic() - started < STALE_RETRY_SECONDS:
                    continue  # the app had closed the idle keep-alive connection
                if not self.readiness.probe():  # gone: pause before this slot is free again
                    self.readiness.lost("it closed a request's connection and refuses new ones")
                logger.warning(
                    "the app closed the connection before it answered (%r): it may have "
                    "crashed on this message; visible again in %g s",
                    error,
                    self.unreachable_retry_seconds,
                )
                raise AppUnreachable(
                    self.unreachable_retry_seconds,
                    f"the app closed the connection before it answered: {error!r}",
                ) from error
            if response.will_close:
                self._discard(connection)
            else:
                self._local.idle_since = time.monotonic()
            headers = {name.lower(): value for name, value in response.getheaders()}
            return response.status, response.reason, headers
        raise AssertionError("unreachable")  # pragma: no cover

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's connection, and whether it was used before; a new one if needed.

        Raises:
            AppUnreachable: The app refused the connection (or did not accept it in time).
        """
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        idle_since: float = getattr(self._local, "idle_since", 0.0)
        if connection is not None and time.monotonic() - idle_since < KEEPALIVE_IDLE_SECONDS:
            return connection, True
        if connection is not None:
            self._discard(connection)
        settings = self.settings
        connection = http.client.HTTPConnection(
            settings.host, settings.port, timeout=CONNECT_TIMEOUT_SECONDS
        )
        try:
            connection.connect()
        except OSError as error:
            connection.close()
            self.readiness.lost(f"connecting failed: {error}")
            raise AppUnreachable(
                self.unreachable_retry_seconds,
                f"the app refused the connection ({error}); it never saw the message",
            ) from None
        assert connection.sock is not None
        connection.sock.settimeout(settings.timeout_seconds)
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._local.connection = connection
        with self._lock:
            self._connections.add(connection)
        return connection, False

    def _discard(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        self._local.connection = None
        with self._lock:
            self._connections.discard(connection)


def request_headers(request: SqsdRequest) -> dict[str, str]:
    """The request's headers, with ``Content-Length`` (also for an empty body)."""
    headers = dict(request.headers)
    headers["Content-Length"] = str(len(request.body))
    return headers
