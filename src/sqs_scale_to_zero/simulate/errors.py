"""The error every invalid simulator input raises."""

from __future__ import annotations


class SimulationInputError(ValueError):
    """A template, workload or option the simulator cannot use; the message names the problem."""
