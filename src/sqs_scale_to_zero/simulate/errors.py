"""The errors invalid simulator inputs raise."""

from __future__ import annotations


class SimulationInputError(ValueError):
    """A template, workload or option the simulator cannot use; the message names the problem."""


class SimulationArgumentError(SimulationInputError):
    """An argument that is wrong in itself, before any file is read.

    A malformed or out-of-range workload generator spec, an unknown generator, a directory
    where a file belongs, or a horizon that is not a positive number. The command line reports
    it as a usage error (exit status 2), like its own option parser does.
    """
