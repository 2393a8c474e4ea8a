"""Sweep results: an append-only JSON-lines file, valid after every stitch, and the final tables.

The first line of ``sweep_results.jsonl`` is a header holding the sweep's fingerprint (what
determines a result, see ``fingerprint.py``); every later line is one stitch's record. A kill
can only cut the last line short: reading (``snnet_mm.stitching.sweep_records``) ignores such a
line with a warning and ``repair`` truncates it before anything is appended.
"""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterable

from mmengine.logging import MMLogger

from ..stitching.sweep_records import split_lines, tail_record


def _logger():
    return MMLogger.get_current_instance()


def repair(path: str | Path) -> None:
    """Make ``path`` end with a complete line: terminate a whole last record, drop a cut one."""
    path = Path(path)
    if not path.exists():
        return
    lines, tail = split_lines(path)
    if not tail:
        return
    if tail_record(path, len(lines) + 1, tail) is not None:
        with open(path, 'ab') as f:
            f.write(b'\n')
            f.flush()
            os.fsync(f.fileno())
        return
    size = path.stat().st_size
    os.truncate(path, size - len(tail))
    _logger().warning(f'{path}: truncated {len(tail)} bytes of a partial last record (a sweep was killed '
                      'while writing it); that stitch will be evaluated again')


def start_results(path: str | Path, header: dict[str, Any]) -> None:
    """Begin a new results file holding only ``header`` (replacing one without records)."""
    atomic_write(path, lambda f: f.write((json.dumps(header) + '\n').encode()))


def append_record(path: str | Path, record: dict[str, Any]) -> None:
    """Append one record and flush it to disk, so a killed sweep loses nothing finished."""
    with open(path, 'a') as f:
        f.write(json.dumps(record) + '\n')
        f.flush()
        os.fsync(f.fileno())


def atomic_write(path: str | Path, write: Callable[[io.BufferedWriter], Any]) -> Path:
    """Write ``path`` through a temporary file renamed over it: a failed write (full disk, kill)
    leaves the previous file intact and never a truncated one."""
    path = Path(path)
    tmp = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
    try:
        with open(tmp, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_tables(records: Iterable[dict[str, Any]], out_dir: str | Path,
                 fingerprint: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """``stitches.json`` and ``stitches.csv`` (one row per stitch, every key as a column)."""
    records = list(records)
    out_dir = Path(out_dir)
    content = dict(stitches=records) if fingerprint is None else dict(fingerprint=fingerprint, stitches=records)
    json_path = atomic_write(out_dir / 'stitches.json', lambda f: f.write(json.dumps(content, indent=1).encode()))
    columns: list[str] = []
    for r in records:
        columns += [k for k in r if k not in columns]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns)
    writer.writeheader()
    writer.writerows(records)
    csv_path = atomic_write(out_dir / 'stitches.csv', lambda f: f.write(text.getvalue().encode()))
    return json_path, csv_path
