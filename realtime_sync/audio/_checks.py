"""Argument checks shared by the audio modules."""

from __future__ import annotations

import operator
from typing import SupportsIndex

__all__ = ["as_int", "positive_int"]


def as_int(name: str, value: object) -> int:
    """Return ``value`` as an int, accepting numpy integers but not bools or floats.

    Args:
        name: The argument's name, for the error message.
        value: The value to check.

    Returns:
        The integer.

    Raises:
        TypeError: ``value`` is not an integer.
    """
    if type(value) is int:  # the common case, without the slow Protocol check below
        return value
    if isinstance(value, bool) or not isinstance(value, SupportsIndex):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return operator.index(value)


def positive_int(name: str, value: object) -> int:
    """Return ``value`` as an int greater than zero.

    Args:
        name: The argument's name, for the error message.
        value: The value to check.

    Returns:
        The integer.

    Raises:
        TypeError: ``value`` is not an integer.
        ValueError: ``value`` is zero or negative.
    """
    number = as_int(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be positive, got {number}")
    return number
