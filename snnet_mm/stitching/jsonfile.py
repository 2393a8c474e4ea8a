"""Reading a JSON file a user named (a results table, published numbers), with one clear error."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_json(path: str | Path, field_name: str) -> Any:
    """The JSON value in ``path``.

    Raises:
        ValueError: A missing, empty or non-JSON file (or a directory), naming ``field_name``,
            the file and what is wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f'{field_name}: no such file {str(path)!r}' if not path.exists() else
                         f'{field_name}: {str(path)!r} is not a file')
    text = path.read_text(errors='replace')
    if not text.strip():
        raise ValueError(f'{field_name}: {str(path)!r} is empty')
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f'{field_name}: {str(path)!r} is not JSON ({exc})') from None
