"""SIGTERM and SIGINT as a graceful stop request; a second SIGINT (Ctrl-C) exits at once.

The CLI installs ``STOP_SIGNALS`` before it imports boto3 or your handler module, so a signal
that arrives while the worker starts is a clean stop (exit 0), not a death by signal 15. A
repeated SIGTERM changes nothing; a second SIGINT ends the process at once with exit code 130,
leaving any message still held to reappear after its visibility timeout.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType

logger = logging.getLogger("sqs_scale_to_zero.worker")

FORCED_EXIT_CODE = 130
"""Exit code after a second SIGINT: the shell's code for "ended by SIGINT"."""


class StopSignals:
    """Turns SIGTERM and SIGINT into calls of the registered stop callbacks.

    Attributes:
        received: Names of the signals received so far, in order.
        installed: True once ``install()`` ran.
    """

    def __init__(self) -> None:
        self.received: list[str] = []
        self.installed = False
        self._listeners: list[Callable[[str], None]] = []
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        """Handle SIGTERM and SIGINT from now on (main thread only; a no-op elsewhere)."""
        if self.installed or threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._previous[sig] = signal.signal(sig, self._on_signal)
        self.installed = True

    def restore(self) -> None:
        """Put back the handlers that were there before ``install()``."""
        if not self.installed:
            return
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self.installed = False
        self.received.clear()

    def ignore_from_now(self) -> None:
        """Ignore SIGTERM and SIGINT until the process ends (the CLI, once it has stopped).

        Python puts back the default handlers of the signals it handled as it exits, so a late
        signal of a storm would end an already stopped worker with signal 15; ignored signals
        stay ignored.
        """
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, signal.SIG_IGN)
        self.installed = False

    def on_stop(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener(signal_name)`` on the first signal (at once if one came already).

        Returns:
            A function that unregisters ``listener``.
        """
        self._listeners.append(listener)
        if self.received:
            listener(self.received[0])

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        self.received.append(name)
        if len(self.received) == 1:
            for listener in list(self._listeners):
                listener(name)
            return
        if signum == signal.SIGINT:
            logger.warning(
                "second interrupt: exiting now; messages still held become visible again "
                "after their visibility timeout"
            )
            for handler in logging.getLogger().handlers:
                handler.flush()
            os._exit(FORCED_EXIT_CODE)
        logger.debug("%s again: already stopping", name)

    def __repr__(self) -> str:
        return f"StopSignals(installed={self.installed}, received={self.received})"


STOP_SIGNALS = StopSignals()
"""The process's one ``StopSignals``; the CLI installs it first thing."""
