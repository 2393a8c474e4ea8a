"""One reduced classification run shared by the quickstart tests (the dense tasks start from its anchors)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools_loader import load_tool  # noqa: E402


def quickstart(work_dir: Path, *args: str) -> dict:
    return load_tool('quickstart').main(['--work-dir', str(work_dir), '--quick', *args])


@pytest.fixture(scope='session')
def quick_cls(tmp_path_factory) -> tuple[Path, dict]:
    """``--tasks cls --quick --jobs 1 --docs``: its work dir (anchors for the dense tasks) and result."""
    pytest.importorskip('mmpretrain')
    pytest.importorskip('sklearn')
    work_dir = tmp_path_factory.mktemp('quickstart')
    return work_dir, quickstart(work_dir, '--tasks', 'cls', '--jobs', '1', '--docs', str(work_dir / 'docs'))
