"""Argument checks shared by the package, in one wording: ``<field>: expected <what>, got <value>``.

Each check raises ``ValueError`` naming the offending field and value before any work is done, and
returns the value (as an ``int``, ``float`` or tuple) for the caller to keep. A ``bool`` is never
accepted where a number is expected: ``True`` is an ``int`` to Python but not to a config.
"""
from __future__ import annotations

import math
from typing import Any, Sequence


def is_int(value: Any) -> bool:
    """True for an ``int`` that is not a ``bool``."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An int (not a bool), at least ``minimum`` and at most ``maximum`` when given.

    Raises:
        ValueError: ``'<field>: expected an int >= <minimum>, got <value>'`` (``in [<minimum>,
            <maximum>]`` with both bounds).
    """
    if not is_int(value) or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        what = 'an int' + _range_text(minimum, maximum, False, False, None)
        raise ValueError(f'{field}: expected {what}, got {value!r}')
    return value


def _range_text(low: float | None, high: float | None, low_open: bool, high_open: bool,
                low_name: str | None) -> str:
    if low is not None and high is not None:
        return f' in {"(" if low_open else "["}{low}, {high}{")" if high_open else "]"}'
    if low is not None:
        return f' {">" if low_open else ">="} {low if low_name is None else f"{low_name} ({low})"}'
    if high is not None:
        return f' {"<" if high_open else "<="} {high}'
    return ''


def check_number(value: Any, field: str, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, finite: bool = False,
                 low_name: str | None = None, allow_none: bool = False) -> float | None:
    """A real number (int or float, not a bool) within the given bounds; NaN fails every bound.

    Args:
        value: The value to check.
        field: The config field or argument named in the error.
        low: Lower bound, included unless ``low_open``.
        high: Upper bound, included unless ``high_open``.
        low_open: Exclude ``low`` itself (``> low``).
        high_open: Exclude ``high`` itself (``< high``).
        finite: Refuse NaN and infinities.
        low_name: The field ``low`` comes from, named in the error (``> min_depth (0.001)``).
        allow_none: Accept ``None`` too (returned as is).

    Raises:
        ValueError: E.g. ``'gap_gflops: expected a finite number > 0, got nan'`` or
            ``'alpha: expected a number in [0, 1], got 2'``.
    """
    if allow_none and value is None:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and finite:
        ok = math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        what = ('a finite number' if finite else 'a number') + _range_text(low, high, low_open, high_open, low_name)
        what += ' or None' if allow_none else ''
        raise ValueError(f'{field}: expected {what}, got {value!r}')
    return float(value)


def check_one_of(value: Any, field: str, choices: Sequence[Any]) -> Any:
    """One of ``choices``.

    Raises:
        ValueError: ``'<field>: expected one of <choices>, got <value>'``.
    """
    if value not in choices:
        raise ValueError(f'{field}: expected one of {choices}, got {value!r}')
    return value


def check_ints(value: Any, field: str, *, length: int | None = None, minimum: int | None = None,
               what: str | None = None) -> tuple[int, ...]:
    """A list or tuple of ints (no bools), of ``length`` items when given, each at least ``minimum``.

    Args:
        value: The value to check.
        field: The config field or argument named in the error.
        length: Required number of items.
        minimum: Lower bound of every item.
        what: Wording of the expectation in the error (default: from ``length`` and ``minimum``).

    Raises:
        ValueError: ``'<field>: expected <what>, got <value>'``.
    """
    ok = isinstance(value, (list, tuple)) and (length is None or len(value) == length) and all(
        is_int(v) and (minimum is None or v >= minimum) for v in value)
    if not ok:
        if what is None:
            count = 'a sequence of' if length is None else f'{length}'
            what = f'{count} ints' + ('' if minimum is None else f' >= {minimum}')
        raise ValueError(f'{field}: expected {what}, got {value!r}')
    return tuple(value)
