"""Every config resolves to the merged dict stored for it: moving settings between ``_base_`` files
and the configs that combine them changes no value a run reads.

When a change to a config's merged dict is intended, rewrite its entry in the same commit (from
the repository root) and say so in the commit message::

    .venv/bin/python tests/configs/merged_snapshots.py configs/<task>/<name>.py

(``merged_snapshots.py``'s docstring has the details; a new config may add its entry the same way.)
"""
from __future__ import annotations

from importlib.util import find_spec

import pytest

from .merged_snapshots import ROOT, load, snapshot  # noqa: E402

STORED = load()
# The upstream bases are read from the installed packages' .mim/configs (nothing is imported).
pytestmark = pytest.mark.skipif(not all(find_spec(p) for p in ('mmseg', 'mmdet', 'mmpretrain')),
                                reason='the configs inherit mmseg, mmdet and mmpretrain bases')


def differences(expected, actual, where: str = '') -> list[str]:
    """Key paths at which two snapshot values differ (at most one line per differing leaf)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                lines.append(f'{where}.{key}: missing (stored {expected[key]!r:.80})')
            elif key not in expected:
                lines.append(f'{where}.{key}: new ({actual[key]!r:.80})')
            else:
                lines += differences(expected[key], actual[key], f'{where}.{key}')
        return lines
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [line for i, (e, a) in enumerate(zip(expected, actual)) for line in differences(e, a, f'{where}[{i}]')]
    return [] if expected == actual else [f'{where}: stored {expected!r:.80}, now {actual!r:.80}']


@pytest.mark.parametrize('name', sorted(STORED))
def test_config_resolves_to_its_stored_merged_dict(name):
    assert (ROOT / name).is_file(), f'{name} is gone: old config names must keep working'
    diff = differences(STORED[name], snapshot(name))
    assert not diff, f'{name} merged dict changed:\n' + '\n'.join(diff[:40])
