"""The kernel's clock, event queue and run loop, on their own (no model)."""

from __future__ import annotations

from sqs_scale_to_zero.simulate.kernel import Kernel


class Log:
    """Records what the kernel runs, in order, with the virtual time."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.entries: list[tuple[str, float]] = []

    def action(self, subject: object, epoch: int, now: float) -> None:
        assert now == self.kernel.now
        self.entries.append((f"{subject}:{epoch}", now))

    def arrive(self, index: int, now: float) -> None:
        self.entries.append((f"arrival {index}", now))

    def tick(self, now: float) -> None:
        self.entries.append(("tick", now))


def _run(
    schedule: list[tuple[float, str]], arrivals: list[float], horizon: float
) -> list[tuple[str, float]]:
    kernel = Kernel()
    log = Log(kernel)
    for at, name in schedule:
        kernel.schedule(at, log.action, name)
    kernel.run(horizon, arrivals=arrivals, arrive=log.arrive, tick=log.tick)
    return log.entries


def test_actions_run_in_time_order_then_in_the_order_they_were_scheduled() -> None:
    entries = _run([(5.0, "b"), (1.0, "a"), (5.0, "c")], [], horizon=10.0)
    assert entries == [("a:0", 1.0), ("b:0", 5.0), ("c:0", 5.0)]


def test_an_arrival_goes_before_an_action_at_the_same_time() -> None:
    entries = _run([(3.0, "a")], [3.0], horizon=10.0)
    assert entries == [("arrival 0", 3.0), ("a:0", 3.0)]


def test_actions_at_a_boundary_run_before_its_tick_and_arrivals_after_it() -> None:
    entries = _run([(60.0, "a")], [60.0], horizon=90.0)
    assert entries == [("a:0", 60.0), ("tick", 60.0), ("arrival 0", 60.0)]


def test_ticks_every_period_up_to_the_horizon_but_not_at_it() -> None:
    entries = _run([], [], horizon=180.0)
    assert entries == [("tick", 60.0), ("tick", 120.0)]


def test_the_run_ends_at_the_horizon_after_what_is_due_then() -> None:
    # given an action and an arrival at the horizon, and others after it
    entries = _run([(30.0, "due"), (31.0, "late")], [30.0, 30.5], horizon=30.0)
    # then what is due at the horizon runs, and nothing later
    assert entries == [("arrival 0", 30.0), ("due:0", 30.0)]


def test_an_action_may_schedule_another_that_runs_in_the_same_run() -> None:
    kernel = Kernel()
    seen: list[float] = []

    def again(subject: object, epoch: int, now: float) -> None:
        seen.append(now)
        if epoch < 2:
            kernel.schedule(now + 10.0, again, subject, epoch + 1)

    kernel.schedule(0.0, again)
    assert kernel.peek() == 0.0
    kernel.run(100.0, arrivals=[], arrive=lambda i, now: None, tick=lambda now: None)
    assert seen == [0.0, 10.0, 20.0]
    assert kernel.peek() == float("inf")
