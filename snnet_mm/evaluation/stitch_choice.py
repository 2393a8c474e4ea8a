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


def check_same_model(records: Sequence[dict[str, Any]], stitches: Sequence[Stitch], path: str | Path,
                     field_name: str = 'stitch.results') -> None:
    """Each record names one of ``stitches`` by index and route (spaces aside), else a ValueError
    naming the file and the first record that does not: the results of another model."""
    for r in records:
        index = r['index']
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(stitches):
            raise ValueError(f'{field_name}: {str(path)!r} holds stitch {index!r}, but this model has '
                             f'{len(stitches)} stitches; these are the results of another model: sweep this one')
        if ''.join(str(r['route']).split()) != ''.join(stitches[index].route.split()):
            raise ValueError(f'{field_name}: {str(path)!r} holds stitch {index} as {r["route"]!r}, but this '
                             f'model\'s stitch {index} is {stitches[index].route!r}; these are the results of '
                             'another model: sweep this one')


def pick_from_results(path: str | Path, max_gflops: Any, stitches: Sequence[Stitch]) -> int:
    """The most accurate swept stitch within ``max_gflops`` whole-model GFLOPs."""
    check_budget(max_gflops)
    records = read_sweep(path)
    check_same_model(records, stitches, path)
    try:
        best = select_stitch(records, max_gflops=max_gflops)
    except ValueError as e:
        raise ValueError(f'stitch.{e}') from None
    return best['index']
