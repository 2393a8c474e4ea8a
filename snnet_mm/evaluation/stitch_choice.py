"""A FLOPs budget resolved against a sweep's results: the most accurate stitch that fits."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ..stitching.selection import check_budget
from ..stitching.stitch import Stitch
from .pareto import select_stitch
from .results import load_table


def read_sweep(path: str | Path, field_name: str = 'stitch.results') -> list[dict[str, Any]]:
    """Records of ``stitches.json`` or ``sweep_results.jsonl`` written by ``tools/test_stitches.py``."""
    return load_table(path, field_name)


def pick_from_results(path: str | Path, max_gflops: Any, stitches: Sequence[Stitch]) -> int:
    """The most accurate swept stitch within ``max_gflops`` whole-model GFLOPs."""
    check_budget(max_gflops)
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
