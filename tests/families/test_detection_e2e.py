"""A stitched Swin backbone in Mask R-CNN (tiny, CPU) through mmdet's own tools/train.py and test.py."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

pytest.importorskip('mmdet')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import CONFIGS, metric, scalars, train_then_delete_anchors  # noqa: E402

from snnet_mm.tiny_data import make_tiny_data  # noqa: E402

pytestmark = pytest.mark.slow
CONFIG = CONFIGS / 'families' / 'detection' / 'mask-rcnn_snnet-v1_swin_tiny_coco-128x128.py'
ITERS = 10  # the tiny config's max_iters


def test_mask_rcnn_on_stitched_swin_trains_and_tests_per_stitch(tmp_path):
    make_tiny_data('coco', str(tmp_path / 'data/tiny/coco'))
    trained = train_then_delete_anchors('mmdet', CONFIG, tmp_path, 'work')  # anchor files then deleted
    records = [r for r in scalars(trained.work_dir) if 'loss' in r]
    assert all(math.isfinite(v) for r in records for k, v in r.items() if k.startswith('loss'))
    assert records[-1]['loss'] < records[0]['loss']
    assert {'stitch', 'stitch_gflops'} <= set(records[0])
    final = [r for r in scalars(trained.work_dir) if 'coco/bbox_mAP' in r][-1]
    assert {'stitch0/coco/bbox_mAP', 'stitch1/coco/segm_mAP'} <= set(final)
    log = next(trained.work_dir.glob('*/*.log')).read_text()
    assert 'least-squares initialised' in log
    out = trained.test_output(f'iter_{ITERS}.pth', 0)
    assert metric(out, 'coco/bbox_mAP') == pytest.approx(final['stitch0/coco/bbox_mAP'], abs=1e-3)
    assert 0 <= metric(out, 'coco/segm_mAP') <= 1
    out = trained.test_output(f'iter_{ITERS}.pth', 1)
    assert metric(out, 'coco/segm_mAP') == pytest.approx(final['stitch1/coco/segm_mAP'], abs=1e-3)
    # A stitch between the anchors runs through test.py too (10 iterations may leave it without
    # a detection above the score threshold: CocoMetric then reports an empty result).
    out = trained.test_output(f'iter_{ITERS}.pth', 3)
    assert 'coco/bbox_mAP' in out or 'The testing results of the whole dataset is empty' in out
