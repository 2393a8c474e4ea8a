"""Every config's merged dict as stored JSON, and the command that (re)writes entries of it.

``snapshot(path)`` loads a config the way the upstream tools do (``Config.fromfile``, bases from
mmseg / mmdet / mmpretrain and ``configs/_base_`` merged in) and returns its merged dict in a JSON
form that keeps what a runner could tell apart: tuples are ``{"__tuple__": [...]}``, keys are
sorted, and the checkout's own path is written ``<repo>``.

Regenerate the entries of configs whose merged dict changes on purpose (run from the repository
root, then review ``git diff tests/configs/merged_snapshots.json``)::

    .venv/bin/python tests/configs/merged_snapshots.py configs/<task>/<name>.py [...]

A new config gets its entry the same way; ``--all`` rewrites every entry.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).with_name('merged_snapshots.json')


def config_names(root: Path = ROOT) -> list[str]:
    """Paths (relative to ``root``) of every config a user can name, ``_base_`` files excluded."""
    configs = root / 'configs'
    return sorted(p.relative_to(root).as_posix() for p in configs.rglob('*.py') if '_base_' not in p.parts)


def _jsonable(value, root: str):
    if isinstance(value, dict):
        return {str(k): _jsonable(v, root) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, tuple):
        return {'__tuple__': [_jsonable(v, root) for v in value]}
    if isinstance(value, list):
        return [_jsonable(v, root) for v in value]
    if isinstance(value, str):
        return value.replace(root, '<repo>')
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise TypeError(f'config value {value!r} of type {type(value).__name__} has no JSON form')


def snapshot(path: str | Path, root: Path = ROOT) -> dict:
    """The merged dict of the config at ``root / path`` in its stored JSON form."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(root / path), import_custom_modules=False)
    return _jsonable(cfg.to_dict(), str(root))


def load() -> dict[str, dict]:
    """The stored snapshots: config path (relative to the repository root) -> merged dict."""
    return json.loads(SNAPSHOTS.read_text())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('configs', nargs='*', help='config paths relative to the repository root')
    parser.add_argument('--all', action='store_true', help='rewrite every entry')
    parser.add_argument('--root', type=Path, default=ROOT,
                        help='checkout whose configs are read (default: this one)')
    args = parser.parse_args(argv)
    names = config_names(args.root) if args.all else [Path(c).as_posix() for c in args.configs]
    if not names:
        parser.error('name the configs to snapshot, or --all')
    stored = {} if args.all or not SNAPSHOTS.exists() else load()
    for name in names:
        stored[name] = snapshot(name, args.root)
    SNAPSHOTS.write_text(json.dumps(stored, indent=1, sort_keys=True) + '\n')
    sys.stderr.write(f'wrote {len(names)} entries to {SNAPSHOTS}\n')


if __name__ == '__main__':
    main()
