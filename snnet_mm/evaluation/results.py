"""Sweep results: an append-only JSON-lines file, valid after every stitch, and the final tables."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any, Iterable


def append_record(path: str | Path, record: dict[str, Any]) -> None:
    """Append one record and flush it to disk, so a killed sweep loses nothing finished."""
    with open(path, 'a') as f:
        f.write(json.dumps(record) + '\n')
        f.flush()
        os.fsync(f.fileno())


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """Records of a results file; a last line cut off by a kill is ignored."""
    if not Path(path).exists():
        return []
    records = []
    for line in Path(path).read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return records


def write_tables(records: Iterable[dict[str, Any]], out_dir: str | Path) -> tuple[Path, Path]:
    """``stitches.json`` and ``stitches.csv`` (one row per stitch, every key as a column)."""
    records = list(records)
    out_dir = Path(out_dir)
    json_path, csv_path = out_dir / 'stitches.json', out_dir / 'stitches.csv'
    json_path.write_text(json.dumps(dict(stitches=records), indent=1))
    columns: list[str] = []
    for r in records:
        columns += [k for k in r if k not in columns]
    with open(csv_path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)
    return json_path, csv_path
