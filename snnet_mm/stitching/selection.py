"""Choosing one stitch the way users name it: an index, a route, or a FLOPs budget.

``resolve_stitch`` is the single entry point. String forms with a prefix (``'<prefix>:<arg>'``)
are looked up in ``STRING_FORMS``, the extension point for further notations (e.g. the official
code's configuration ids); any other string is a route exactly as printed, spaces optional.
"""
from __future__ import annotations

import difflib
import math
import operator
import re
from typing import Any, Callable, Mapping, Sequence

from .stitch import Stitch

# prefix -> (argument after the colon, stitches, field name) -> stitch index
StringForm = Callable[[str, Sequence[Stitch], str], int]
STRING_FORMS: dict[str, StringForm] = {}

# A budget -> the stitch index it selects (the caller knows FLOPs and sweep results).
BudgetPicker = Callable[[Mapping[str, Any]], int]

BUDGET_KEYS = frozenset({'max_gflops', 'results', 'input_size'})


def resolve_stitch(value: Any, stitches: Sequence[Stitch], *, field_name: str = 'stitch',
                   pick_budget: BudgetPicker | None = None) -> int:
    """The index of the stitch ``value`` names.

    Args:
        value: An index, a route (``'L[0:2] -> S[1:7] -> L[14:24]'``), a registered
            ``'<prefix>:<arg>'`` form, or a budget ``dict(max_gflops=..., results=...)``.
        stitches: The trained stitches, in index order.
        field_name: Config field named in errors.
        pick_budget: Resolves a budget dict (needs FLOPs, see ``pick_within_gflops``).

    Raises:
        ValueError: Naming ``field_name`` and the value; unknown routes list the nearest valid ones.
    """
    if isinstance(value, Mapping):
        unknown = set(value) - BUDGET_KEYS
        if unknown or 'max_gflops' not in value:
            raise ValueError(f'{field_name}: a budget is dict(max_gflops=G[, results=PATH, input_size=S]), '
                             f'got {dict(value)!r}')
        _check_input_size(value.get('input_size'), f'{field_name}.input_size')
        if pick_budget is None:
            raise ValueError(f'{field_name}: a budget {dict(value)!r} needs the stitches\' FLOPs')
        return pick_budget(value)
    if isinstance(value, str):
        prefix, sep, arg = value.partition(':')
        if sep and prefix.strip() in STRING_FORMS:
            return STRING_FORMS[prefix.strip()](arg.strip(), stitches, field_name)
        return _route_index(value, stitches, field_name)
    return _checked_index(value, len(stitches), field_name)


def parse_stitch_set(spec: str | Sequence[Any], stitches: Sequence[Stitch],
                     field_name: str = 'stitches') -> list[int]:
    """Indices into ``stitches`` named by ``'all'``, ``'anchors'`` or a comma-separated string or list
    of stitch names, each as ``resolve_stitch`` reads it (index, route, ``'official:29'``...).

    Raises:
        ValueError: An unknown word or route, an index out of range, or an empty set
            (the message names ``field_name``).
    """
    if isinstance(spec, str):
        if spec.strip() == 'all':
            return list(range(len(stitches)))
        if spec.strip() == 'anchors':
            return [i for i, s in enumerate(stitches) if s.kind == 'anchor']
        spec = [s.strip() for s in spec.split(',') if s.strip()]
    elif not isinstance(spec, Sequence):
        raise ValueError(f"{field_name}: expected 'all', 'anchors', comma-separated stitches or a list, "
                         f'got {spec!r}')
    indices = [resolve_stitch(_stitch_token(item, field_name), stitches, field_name=field_name) for item in spec]
    if not indices:
        raise ValueError(f'{field_name}: no stitch selected')
    return indices


def stitch_argument(text: str) -> int | str:
    """A stitch named on a command line as ``resolve_stitch`` takes it: ``'17'`` and ``'-1'`` are
    indices (``-1`` then reads as out of range, not as a route), anything else a route or form."""
    return int(text) if re.fullmatch(r'\s*[+-]?\d+\s*', text) else text


def _stitch_token(item: Any, field_name: str) -> Any:
    """One entry of a stitch set as ``resolve_stitch`` takes it: ``'17'`` -> 17; a bare word is refused."""
    if not isinstance(item, str):
        return item
    item = stitch_argument(item)
    if isinstance(item, int):
        return item
    if '[' not in item and ':' not in item:
        raise ValueError(f"{field_name}: expected 'all', 'anchors' or comma-separated indices, routes "
                         f"('S[0:2] -> L[4:24]') or registered forms ('official:29'), got {item!r}")
    return item


def _checked_index(value: Any, count: int, field_name: str) -> int:
    try:
        index = operator.index(value)
    except TypeError:
        index = None
    if isinstance(value, bool) or index is None:
        raise ValueError(f'{field_name}: expected a stitch index, a route or dict(max_gflops=...), got {value!r}')
    if not 0 <= index < count:
        raise ValueError(f'{field_name}: stitch index {value!r} out of range [0, {count})')
    return index


def _compact(route: str) -> str:
    return ''.join(route.split())


def _route_index(route: str, stitches: Sequence[Stitch], field_name: str) -> int:
    wanted = _compact(route)
    routes = [_compact(s.route) for s in stitches]
    if wanted in routes:
        return routes.index(wanted)
    nearest = difflib.get_close_matches(wanted, routes, n=3, cutoff=0.0)
    names = sorted(set(stitches[0].names)) if stitches else []
    foreign = sorted(set(re.findall(r'([^\[\]>-]+)\[', wanted)) - set(names))
    why = f'uses anchors {foreign}, not among {names}' if foreign else 'is not in the trained stitch space'
    raise ValueError(f'{field_name}: route {route!r} {why}; nearest valid routes: '
                     + ', '.join(f'{routes.index(r)}: {stitches[routes.index(r)].route!r}' for r in nearest))


def _check_input_size(size: Any, field_name: str) -> None:
    """None, a positive int or two positive ints (H, W); else a ValueError naming ``field_name``."""
    if size is None:
        return
    sizes = (size,) if isinstance(size, int) else tuple(size) if isinstance(size, (list, tuple)) else ()
    if len(sizes) not in (1, 2) or len(sizes) == 1 and not isinstance(size, int) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in sizes):
        raise ValueError(f'{field_name}: expected a positive int or two positive ints (H, W), got {size!r}')


def check_budget(max_gflops: Any, field_name: str = 'stitch') -> None:
    """A GFLOPs budget is a finite number > 0 (NaN would fit nothing, inf everything)."""
    if (isinstance(max_gflops, bool) or not isinstance(max_gflops, (int, float)) or not math.isfinite(max_gflops)
            or max_gflops <= 0):
        raise ValueError(f'{field_name}.max_gflops: expected a finite positive number, got {max_gflops!r}')


def pick_within_gflops(max_gflops: Any, gflops: Sequence[float], stitches: Sequence[Stitch], *,
                       field_name: str = 'stitch') -> int:
    """The most expensive stitch within ``max_gflops`` (no accuracy known)."""
    check_budget(max_gflops, field_name)
    cheapest = min(range(len(gflops)), key=gflops.__getitem__)
    fits = [i for i, g in enumerate(gflops) if g <= max_gflops]
    if not fits:
        raise ValueError(f'{field_name}.max_gflops: budget {max_gflops} GFLOPs is below the cheapest stitch '
                         f'{cheapest} ({stitches[cheapest].route}, {gflops[cheapest]:.4g} GFLOPs)')
    return max(fits, key=lambda i: (gflops[i], -i))
