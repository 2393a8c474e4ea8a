"""Sweep results as files hold them, and the stitch a budget picks from them.

The reading half of the results format written by ``snnet_mm/evaluation/results.py``: the first
line of ``sweep_results.jsonl`` is a header holding the sweep's fingerprint, every later line one
stitch's record; ``stitches.json`` holds the final table. A kill can only cut the last line short:
reading ignores such a line with a warning. Pure Python, so the backbone resolves
``stitch=dict(max_gflops=..., results=...)`` without importing the evaluation package.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Sequence

from .jsonfile import read_json
from .pareto import select_stitch
from .selection import check_budget
from .stitch import Stitch

logger = logging.getLogger('snnet_mm')
HEADER_KEY = 'sweep_fingerprint'


def split_lines(path: Path) -> tuple[list[bytes], bytes]:
    """Complete lines (without their newline) and the unterminated tail of ``path``."""
    data = path.read_bytes()
    *lines, tail = data.split(b'\n')
    return lines, tail


def _parse(path: Path, number: int, line: bytes) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f'{path}:{number}: not a JSON record ({exc}): {line[:80]!r}; the file was edited or '
                         'corrupted: fix or delete that line, or choose another --work-dir') from None
    if not isinstance(value, dict):
        raise ValueError(f'{path}:{number}: expected a JSON object, got {line[:80]!r}')
    return value


def tail_record(path: Path, number: int, tail: bytes) -> dict[str, Any] | None:
    """The unterminated last line as a record if it is a whole one, else None (with a warning)."""
    if not tail.strip():
        return None
    try:
        value = json.loads(tail)
        if isinstance(value, dict):
            return value
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    logger.warning(f'{path}:{number}: ignoring a record cut off by a kill ({len(tail)} bytes)')
    return None


def read_results(path: str | Path) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The header (None for a missing file or one without header) and the stitch records.

    Raises:
        ValueError: A complete line that is not a JSON object (naming the file and line).
    """
    path = Path(path)
    if not path.exists():
        return None, []
    lines, tail = split_lines(path)
    values = [_parse(path, n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    last = tail_record(path, len(lines) + 1, tail)
    values += [last] if last is not None else []
    header = values[0] if values and HEADER_KEY in values[0] else None
    records = values[1:] if header is not None else values
    for r in records:
        if HEADER_KEY in r or 'index' not in r:
            raise ValueError(f'{path}: a line holds no stitch record: {json.dumps(r)[:80]}')
    return header, records


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """The stitch records of a results file (see ``read_results``)."""
    return read_results(path)[1]


TABLE_KEYS = ('index', 'route', 'flops', 'params')


def load_table(path: str | Path, field_name: str = 'results', required: Sequence[str] = TABLE_KEYS,
               writer: str = 'tools/test_stitches.py') -> list[dict[str, Any]]:
    """The stitch records of ``stitches.json`` (or of a ``sweep_results.jsonl``), checked.

    Args:
        path: The table.
        field_name: Argument or config field named in errors.
        required: Keys every record must have.
        writer: The tool that writes such tables, named when the shape is wrong.

    Raises:
        ValueError: A missing, empty, malformed or wrong-shape file, naming it and what is wrong.
    """
    path = Path(path)
    if path.suffix == '.jsonl' and path.is_file():
        records = read_records(path)
    else:
        content = read_json(path, field_name)
        records = content.get('stitches') if isinstance(content, dict) else None
        if not isinstance(records, list):
            raise ValueError(f'{field_name}: {str(path)!r} holds no "stitches" list; expected the stitches.json '
                             f'written by {writer}')
    if not records:
        raise ValueError(f'{field_name}: {str(path)!r} holds no stitch')
    for i, r in enumerate(records):
        missing = [k for k in required if not isinstance(r, dict) or k not in r]
        if missing:
            raise ValueError(f'{field_name}: {str(path)!r}: stitch record {i} lacks {missing}: {json.dumps(r)[:80]}')
    return records


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
    records = load_table(path, 'stitch.results')
    check_same_model(records, stitches, path)
    try:
        best = select_stitch(records, max_gflops=max_gflops)
    except ValueError as e:
        raise ValueError(f'stitch.{e}') from None
    return best['index']
