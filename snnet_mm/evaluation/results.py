"""Sweep results: an append-only JSON-lines file, valid after every stitch, and the final tables.

The first line of ``sweep_results.jsonl`` is a header holding the sweep's fingerprint (what
determines a result, see ``fingerprint.py``); every later line is one stitch's record. A kill
can only cut the last line short: reading ignores such a line with a warning and ``repair``
truncates it before anything is appended. Any other malformed line is an error naming it.
"""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from mmengine.logging import MMLogger

from ..stitching.jsonfile import read_json

HEADER_KEY = 'sweep_fingerprint'


def _logger():
    return MMLogger.get_current_instance()


def _split(path: Path) -> tuple[list[bytes], bytes]:
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


def _tail_record(path: Path, number: int, tail: bytes) -> dict[str, Any] | None:
    """The unterminated last line as a record if it is a whole one, else None (with a warning)."""
    if not tail.strip():
        return None
    try:
        value = json.loads(tail)
        if isinstance(value, dict):
            return value
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    _logger().warning(f'{path}:{number}: ignoring a record cut off by a kill ({len(tail)} bytes)')
    return None


def read_results(path: str | Path) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The header (None for a missing file or one without header) and the stitch records.

    Raises:
        ValueError: A complete line that is not a JSON object (naming the file and line).
    """
    path = Path(path)
    if not path.exists():
        return None, []
    lines, tail = _split(path)
    values = [_parse(path, n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    last = _tail_record(path, len(lines) + 1, tail)
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


def repair(path: str | Path) -> None:
    """Make ``path`` end with a complete line: terminate a whole last record, drop a cut one."""
    path = Path(path)
    if not path.exists():
        return
    lines, tail = _split(path)
    if not tail:
        return
    if _tail_record(path, len(lines) + 1, tail) is not None:
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
