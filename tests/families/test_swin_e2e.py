"""A stitched Swin backbone trains under mmseg's own tools/train.py (UperNet, tiny, CPU)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip('mmseg')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import CONFIGS, run, save_anchor_files, scalars, tool_path  # noqa: E402

from snnet_mm.tiny_data import make_tiny_data  # noqa: E402

pytestmark = pytest.mark.slow
UPERNET_SWIN = CONFIGS / 'families' / 'segmentation' / 'upernet_snnet-v1_swin_tiny_ade20k-64x64.py'


def test_upernet_on_stitched_swin_trains_from_anchor_files(tmp_path):
    make_tiny_data('ade20k', str(tmp_path / 'data/tiny/ade20k'))
    options = save_anchor_files(UPERNET_SWIN, tmp_path / 'anchors')
    run([tool_path('mmseg', 'train'), UPERNET_SWIN, '--work-dir', 'work', '--cfg-options', *options], tmp_path)
    records = [r for r in scalars(tmp_path / 'work') if 'loss' in r]
    assert records[-1]['loss'] < records[0]['loss'] - 0.3
    assert len({r['stitch'] for r in records}) > 1
    final = [r for r in scalars(tmp_path / 'work') if 'mIoU' in r][-1]
    assert {'stitch0/mIoU', 'stitch1/mIoU'} <= set(final)
    log = next((tmp_path / 'work').glob('*/*.log')).read_text()
    assert 'anchors[0].checkpoint: loaded ' in log and 'least-squares initialised' in log
