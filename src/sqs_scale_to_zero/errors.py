"""The one error every invalid input raises."""

from __future__ import annotations


class ScaleToZeroValidationError(ValueError):
    """An invalid prop, raised before any child construct is made.

    The message names the snake_case prop and says how to fix it, for example
    ``max_capacity must be at least 1 (got 0): raise it or omit it for the default 4``.

    Attributes:
        prop: The snake_case name of the offending prop.
    """

    def __init__(self, prop: str, message: str) -> None:
        self.prop = prop
        super().__init__(f"{prop}: {message}")
