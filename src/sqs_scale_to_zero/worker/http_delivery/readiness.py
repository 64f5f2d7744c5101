"""Whether the app beside the runtime answers, and holding off receives while it does not.

A message received while the app cannot take it costs a receive that counts against the
queue's redrive limit, so the runtime receives nothing until the app answers: at start (a JVM or
Rails app that boots for a minute never sees its messages dead-lettered) and after the app went
away. "Answers" means its port accepts a connection, or, with a health path, a ``GET`` of that
path returns a 2xx. While the app answers and no request is open, the port is checked every
:data:`IDLE_CHECK_SECONDS`, so an app that dies while idle is noticed before the next receive;
a request that finds it gone reports it at once (:meth:`AppReadiness.lost`).

Readiness lifts only a pause of its own: when the app goes away while a deploy has already
paused the worker, the deploy drain's watch decides when receiving resumes.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Protocol

from sqs_scale_to_zero.worker.http_delivery.settings import DeliverySettings
from sqs_scale_to_zero.worker.http_delivery.sqsd import USER_AGENT

logger = logging.getLogger("sqs_scale_to_zero.worker")

PROBE_INTERVAL_SECONDS = 0.5
"""Time between two checks while the app does not answer."""

IDLE_CHECK_SECONDS = 2.0
"""Time between two checks of the port while the app answers and no request is open."""

PROBE_TIMEOUT_SECONDS = 2.0
"""How long one check waits for the connection (and the health path's answer)."""

WAITING_LOG_SECONDS = 30.0
"""How often a long wait for the app is logged again."""


class ReceiveControl(Protocol):
    """What readiness asks of the worker (``Worker`` is one)."""

    @property
    def paused(self) -> bool:
        """True while receiving is paused (by anyone: the deploy drain pauses too)."""
        ...

    def pause_receiving(self, reason: object) -> None:
        """Receive nothing, hand back what has not started."""
        ...

    def resume_receiving(self, reason: object) -> None:
        """Receive again."""
        ...


class AppReadiness:
    """Watches the app on its own thread and pauses the worker's receives while it is away.

    Args:
        settings: Where the app listens, and its health path.
        probe_interval_seconds: See :data:`PROBE_INTERVAL_SECONDS`. Default: ``0.5``.
        idle_check_seconds: See :data:`IDLE_CHECK_SECONDS`. Default: ``2.0``.
    """

    def __init__(
        self,
        settings: DeliverySettings,
        *,
        probe_interval_seconds: float = PROBE_INTERVAL_SECONDS,
        idle_check_seconds: float = IDLE_CHECK_SECONDS,
    ) -> None:
        self.settings = settings
        self.probe_interval_seconds = probe_interval_seconds
        self.idle_check_seconds = idle_check_seconds
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._ready = False
        self._open_requests = 0
        self._control: ReceiveControl | None = None
        self._owns_pause = False
        self._thread: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        """True while the app answers (as last seen)."""
        return self._ready

    def start(self, control: ReceiveControl) -> None:
        """Pause ``control``'s receives now, and watch the app until :meth:`close`."""
        self._control = control
        self._owns_pause = True
        control.pause_receiving(f"waiting for the app at {self._where()} to answer")
        self._thread = threading.Thread(target=self._watch, name="app-readiness", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop watching (the worker has stopped). Idempotent."""
        self._closed.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=PROBE_TIMEOUT_SECONDS + 1)

    @contextlib.contextmanager
    def open_request(self) -> Iterator[None]:
        """Mark a request to the app as open (no idle check runs meanwhile)."""
        with self._lock:
            self._open_requests += 1
        try:
            yield
        finally:
            with self._lock:
                self._open_requests -= 1

    def lost(self, reason: str) -> None:
        """The app did not take a request: pause receiving until it answers again."""
        with self._lock:
            if not self._ready or self._control is None:
                return
            self._ready = False
            control = self._control
            # A pause already in place (a deploy's) is not ours to lift once the app is back.
            self._owns_pause = owns = not control.paused
        logger.warning("the app at %s is not answering (%s)", self._where(), reason)
        if owns:
            control.pause_receiving(f"the app at {self._where()} stopped answering")
        self._wake.set()

    def probe(self) -> bool:
        """Check once: True if the app answers (its port, or a 2xx of its health path)."""
        settings = self.settings
        if settings.health_path is None:
            try:
                with socket.create_connection(
                    (settings.host, settings.port), timeout=PROBE_TIMEOUT_SECONDS
                ):
                    return True
            except OSError:
                return False
        connection = http.client.HTTPConnection(
            settings.host, settings.port, timeout=PROBE_TIMEOUT_SECONDS
        )
        try:
            connection.request("GET", settings.health_path, headers={"User-Agent": USER_AGENT})
            response = connection.getresponse()
            response.read()
            return 200 <= response.status < 300
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    def _watch(self) -> None:
        waiting_since = logged_at = time.monotonic()
        was_ready = False
        while not self._closed.is_set():
            if not self._ready:
                now = time.monotonic()
                if was_ready:  # lost since the last round
                    was_ready, waiting_since, logged_at = False, now, now
                if self.probe():
                    was_ready = True
                    self._became_ready(time.monotonic() - waiting_since)
                    continue
                if now - logged_at >= WAITING_LOG_SECONDS:
                    logged_at = now
                    logger.info(
                        "still waiting for the app at %s (%.0f s); receiving nothing",
                        self._where(),
                        now - waiting_since,
                    )
                self._closed.wait(self.probe_interval_seconds)
                continue
            self._wake.wait(self.idle_check_seconds)
            self._wake.clear()
            with self._lock:
                busy = self._open_requests > 0 or not self._ready
            if self._closed.is_set() or busy:
                continue
            if not self.probe():
                self.lost("its port refused a connection")

    def _became_ready(self, waited: float) -> None:
        with self._lock:
            if self._closed.is_set() or self._control is None:
                return
            self._ready = True
            control = self._control
            owns, self._owns_pause = self._owns_pause, False
        if owns:
            control.resume_receiving(f"the app at {self._where()} answers after {waited:.1f} s")

    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"
