"""The worker's phases: running <-> paused -> draining -> stopping, and what each refuses."""

from __future__ import annotations

import threading

from sqs_scale_to_zero.worker.lifecycle import Lifecycle, Phase


def test_a_pause_is_undone_by_a_resume() -> None:
    life = Lifecycle()
    seen = [life.phase]
    assert life.pause() and life.paused
    seen.append(life.phase)
    assert not life.pause()  # a second pause does nothing
    assert life.resume() and not life.paused
    seen.append(life.phase)
    assert not life.resume()
    assert seen == [Phase.RUNNING, Phase.PAUSED, Phase.RUNNING]
    assert not life.receiving_over.is_set()


def test_a_drain_ends_receiving_and_keeps_its_reason() -> None:
    life = Lifecycle()
    life.pause()
    assert life.drain("new deployment runs")
    assert life.phase is Phase.DRAINING and life.drain_reason == "new deployment runs"
    assert life.receiving_over.is_set() and not life.stopping
    assert not life.drain("again") and life.drain_reason == "new deployment runs"
    assert not life.pause() and not life.resume()  # a drain is not undone


def test_a_stop_wins_from_every_phase_and_keeps_its_first_time() -> None:
    for before in ("running", "paused", "draining"):
        life = Lifecycle()
        if before == "paused":
            life.pause()
        if before == "draining":
            life.drain("x")
        life.stop()
        first = life.stop_requested_at
        life.stop()
        assert life.phase is Phase.STOPPING and life.stopping and life.receiving_over.is_set()
        assert first is not None and life.stop_requested_at == first
        assert not life.drain("too late") and not life.pause()


def test_a_drain_after_a_stop_changes_nothing() -> None:
    life = Lifecycle()
    life.stop()
    assert not life.drain("too late") and life.drain_reason is None


def test_every_change_wakes_whoever_waits_on_the_condition() -> None:
    life = Lifecycle()
    woke = threading.Event()

    def waiter() -> None:
        with life.changed:
            if life.changed.wait_for(lambda: life.paused, timeout=5):
                woke.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    life.pause()
    thread.join(5)
    assert woke.is_set()
