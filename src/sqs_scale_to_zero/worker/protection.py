"""ECS task scale-in protection through the ECS agent's endpoint.

``PUT $ECS_AGENT_URI/task-protection/v1/state`` with ``{"ProtectionEnabled": bool,
"ExpiresInMinutes": n}``. Every call has a short timeout and a few retries; a failure is
logged and never raised. Protection is renewed by its own thread while held, so a stalled
agent never delays the visibility heartbeat. Off ECS (no ``ECS_AGENT_URI``) ``NoTaskProtection`` does nothing.

Two kinds of failure are told apart. A *refusal* is the agent relaying ECS's answer that this
task cannot be protected: a ``failure`` object in the response, as ECS returns for a task it is
already stopping (scale-in or deployment). Anything else (a 4xx or 5xx status, an ``error``
object, an unreadable answer, a timeout, a refused connection) is an *error* of the agent or the
network, and says nothing about the task. See "Amazon ECS task scale-in protection endpoint" in
the Amazon ECS developer guide for the endpoint and its answers.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Protocol

from sqs_scale_to_zero.worker.policies import BackoffPolicy, ExponentialBackoff

logger = logging.getLogger("sqs_scale_to_zero.worker.protection")


class TaskProtection(Protocol):
    """What the worker asks of task protection."""

    @property
    def enabled(self) -> bool:
        """True while this task is known to be protected."""
        ...

    @property
    def refused(self) -> bool:
        """True when the last ``acquire()`` was refused by ECS (not an error of the agent)."""
        ...

    def acquire(self) -> bool:
        """Turn protection on (idle -> busy) and keep it on. False if it could not be had."""
        ...

    def release(self) -> None:
        """Turn protection off (busy -> idle)."""
        ...


class NoTaskProtection:
    """Task protection off: not on ECS, or disabled by ``SCALE_TO_ZERO_TASK_PROTECTION``."""

    enabled = False
    refused = False

    def acquire(self) -> bool:
        """Always succeeds; nothing to do."""
        return True

    def release(self) -> None:
        """Nothing to do."""

    def __repr__(self) -> str:
        return "NoTaskProtection()"


class EcsAgentTaskProtection:
    """Scale-in protection through the ECS agent, renewed while held.

    ``acquire()`` turns it on and starts a thread that renews it every
    ``renew_after_seconds`` until ``release()``, so a busy period longer than
    ``expires_in_minutes`` stays protected, and a worker that dies stays protected at most
    ``expires_in_minutes``.

    Args:
        agent_uri: The value of ``ECS_AGENT_URI``.
        expires_in_minutes: ``ExpiresInMinutes`` of each request, 1..2880. Default: ``60``.
        renew_after_seconds: Time between renewals. Default: half of ``expires_in_minutes``.
        timeout_seconds: Timeout of one HTTP call. Default: ``2.0``.
        attempts: Calls per request before giving up. Default: ``3``.
        backoff: Delay between attempts. Default: ``ExponentialBackoff(0.2, 2.0)``.

    Raises:
        ValueError: ``expires_in_minutes`` outside 1..2880, ``renew_after_seconds`` not
            positive or not below ``expires_in_minutes``, ``timeout_seconds`` not positive,
            or ``attempts`` less than 1.
    """

    def __init__(
        self,
        agent_uri: str,
        *,
        expires_in_minutes: int = 60,
        renew_after_seconds: float | None = None,
        timeout_seconds: float = 2.0,
        attempts: int = 3,
        backoff: BackoffPolicy | None = None,
    ) -> None:
        if not 1 <= expires_in_minutes <= 2880:
            raise ValueError(
                f"expires_in_minutes must be between 1 and 2880 (got {expires_in_minutes}): "
                "ECS accepts at most 48 hours"
            )
        if renew_after_seconds is None:
            renew_after_seconds = expires_in_minutes * 30.0
        if not 0 < renew_after_seconds < expires_in_minutes * 60:
            raise ValueError(
                f"renew_after_seconds must be > 0 and below expires_in_minutes * 60 "
                f"(got {renew_after_seconds}): protection would lapse between renewals"
            )
        if timeout_seconds <= 0:
            raise ValueError(f"timeout_seconds must be > 0 (got {timeout_seconds})")
        if attempts < 1:
            raise ValueError(f"attempts must be >= 1 (got {attempts})")
        self.url = agent_uri.rstrip("/") + "/task-protection/v1/state"
        self.expires_in_minutes = expires_in_minutes
        self.renew_after_seconds = renew_after_seconds
        self.timeout_seconds = timeout_seconds
        self.attempts = attempts
        self.backoff = backoff or ExponentialBackoff(0.2, 2.0)
        self._lock = threading.Lock()
        self._enabled = False
        self._refused = False
        self._renewing: threading.Event | None = None

    @property
    def enabled(self) -> bool:
        """True while this task is known to be protected."""
        return self._enabled

    @property
    def refused(self) -> bool:
        """True when the last ``acquire()`` got ECS's refusal (a ``failure`` answer)."""
        return self._refused

    def acquire(self) -> bool:
        """Turn protection on; False when ECS refuses (see ``refused``) or the agent fails."""
        with self._lock:
            if self._enabled:
                return True
            if not self._set(True):
                return False
            self._renewing = threading.Event()
            threading.Thread(
                target=self._renew,
                args=(self._renewing,),
                name="ecs-protection",
                daemon=True,
            ).start()
            return True

    def release(self) -> None:
        """Turn protection off; on failure it simply expires after ``expires_in_minutes``."""
        with self._lock:
            if self._renewing is not None:
                self._renewing.set()
                self._renewing = None
            if self._enabled:
                self._set(False)
                self._enabled = False  # if the call failed, it expires by itself

    def _renew(self, stopped: threading.Event) -> None:
        while not stopped.wait(self.renew_after_seconds):
            with self._lock:
                if not stopped.is_set():
                    self._set(True)

    def _set(self, enabled: bool) -> bool:
        body: dict[str, object] = {"ProtectionEnabled": enabled}
        if enabled:
            body["ExpiresInMinutes"] = self.expires_in_minutes
        for attempt in range(1, self.attempts + 1):
            refused, problem = self._put(body)
            if enabled:
                self._refused = refused
            if refused:
                logger.warning(
                    "ECS refused task protection: %s",
                    problem,
                    extra={"protection": enabled},
                )
                return False
            if problem is None:
                self._enabled = enabled
                logger.info(
                    "task protection %s",
                    "on" if enabled else "off",
                    extra={
                        "protection": enabled,
                        "expires_in_minutes": self.expires_in_minutes,
                    },
                )
                return True
            logger.warning(
                "task protection call failed (attempt %d of %d): %s",
                attempt,
                self.attempts,
                problem,
                extra={"protection": enabled, "attempt": attempt},
            )
            if attempt < self.attempts:
                time.sleep(self.backoff.delay(attempt))
        return False

    def _put(self, body: dict[str, object]) -> tuple[bool, str | None]:
        """One PUT; return (refused by ECS, description of the problem or None on success)."""
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            return False, f"HTTP {error.code}: {error.read()[:300]!r}"
        except (OSError, ValueError) as error:
            return False, f"{type(error).__name__}: {error}"
        try:
            answer = json.loads(payload or b"{}")
        except ValueError:
            return False, f"unreadable answer {payload[:300]!r}"
        if not isinstance(answer, dict):
            return False, f"unexpected answer {payload[:300]!r}"
        if answer.get("failure"):
            return True, f"refused: {answer['failure']}"
        if answer.get("error"):
            return False, f"agent error: {answer['error']}"
        if enabled := body.get("ProtectionEnabled"):
            granted = (answer.get("protection") or {}).get("ProtectionEnabled")
            if granted is not enabled:
                return False, f"unexpected answer {payload[:300]!r}"
        return False, None

    def __repr__(self) -> str:
        return (
            f"EcsAgentTaskProtection(url={self.url!r}, "
            f"expires_in_minutes={self.expires_in_minutes}, "
            f"renew_after_seconds={self.renew_after_seconds:g}, "
            f"timeout_seconds={self.timeout_seconds:g}, attempts={self.attempts})"
        )
