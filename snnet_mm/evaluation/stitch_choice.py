"""A FLOPs budget resolved against a sweep's results: the most accurate stitch that fits."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from ..stitching.stitch import Stitch
from .pareto import select_stitch
from .results import read_records


def read_sweep(path: str | Path, field_name: str = 'stitch.results') -> list[dict[str, Any]]:
    """Records of ``stitches.json`` or ``sweep_results.jsonl`` written by ``tools/test_stitches.py``."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f'{field_name}: no such file {str(path)!r}')
    if path.suffix == '.jsonl':
        return read_records(path)
    try:
        return list(json.loads(path.read_text())['stitches'])
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise ValueError(f'{field_name}: {str(path)!r} is not a stitches.json of tools/test_stitches.py '
                         f'({type(e).__name__}: {e})') from None


def pick_from_results(path: str | Path, max_gflops: Any, stitches: Sequence[Stitch]) -> int:
    """The most accurate swept stitch within ``max_gflops`` whole-model GFLOPs."""
    if isinstance(max_gflops, bool) or not isinstance(max_gflops, (int, float)) or max_gflops <= 0:
        raise ValueError(f'stitch.max_gflops: expected a positive number, got {max_gflops!r}')
    records = read_sweep(path)
    try:
        best = select_stitch(records, max_gflops=max_gflops)
    except ValueError as e:
        raise ValueError(f'stitch.{e}') from None
    index = best['index']
    if not 0 <= index < len(stitches) or stitches[index].route != best['route']:
        raise ValueError(f'stitch.results: {str(path)!r} holds stitch {index} as {best["route"]!r}, which '
                         'is not this model\'s stitch of that index; sweep this model')
    return index
