"""Depth estimation through mmseg's own tools/train.py and tools/test.py, and the stitch sweep."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip('mmseg')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import CONFIGS, ROOT, export_stitch, metric, run, scalars, tool_path  # noqa: E402

from snnet_mm.stitching.pareto import RECORD_KEYS, higher_is_better, primary_metric  # noqa: E402
from snnet_mm.tiny_data import make_tiny_data  # noqa: E402

pytestmark = pytest.mark.slow
CONFIG = CONFIGS / 'depth' / 'dpt_snnetv2_tiny_nyu-64x64.py'
EPOCHS = 40  # the tiny config's max_epochs
MIN_DEPTH, MAX_DEPTH = 1e-3, 10.0


@pytest.fixture(scope='module')
def workspace(tmp_path_factory) -> Path:
    """A working directory holding data/tiny/nyu, as the tiny config expects."""
    root = tmp_path_factory.mktemp('depth')
    run([ROOT / 'tools' / 'make_tiny_data.py', 'nyu', 'data/tiny/nyu'], root)
    return root


@pytest.fixture(scope='module')
def trained(workspace) -> Path:
    run([tool_path('mmseg', 'train'), CONFIG, '--work-dir', 'dpt'], workspace)
    return workspace / 'dpt'


def test_tiny_dataset_is_in_nyu_layout_and_scale(workspace):
    root = workspace / 'data/tiny/nyu'
    for split in ('train', 'test'):
        images = sorted(p.stem for p in (root / 'images' / split).glob('*.jpg'))
        depths = sorted(p.stem for p in (root / 'annotations' / split).glob('*.png'))
        assert images == depths and images
    depth = cv2.imread(str(next((root / 'annotations/train').glob('*.png'))), cv2.IMREAD_UNCHANGED)
    assert depth.dtype == np.uint16 and depth.shape == (64, 80)
    assert depth.max() < 10000 and (depth == 0).any() and depth[depth > 0].min() >= 1000  # millimetres


def test_train_logs_stitches_lowers_loss_and_validates_anchors(trained):
    records = [r for r in scalars(trained) if 'loss' in r]
    assert len(records) == EPOCHS * 6
    first = np.mean([r['loss'] for r in records[:12]])
    last = np.mean([r['loss'] for r in records[-12:]])
    assert last < first - 0.1, (first, last)
    assert {'stitch', 'stitch_gflops', 'decode.loss_sig'} <= set(records[0])
    assert len({r['stitch'] for r in records}) > 1
    assert (trained / f'epoch_{EPOCHS}.pth').exists()
    final = [r for r in scalars(trained) if 'rmse' in r][-1]
    assert {'stitch0/rmse', 'stitch1/rmse', 'stitch0/d1', 'rmse', 'abs_rel', 'd1'} <= set(final)


def test_test_tool_reports_depth_metrics_for_two_stitches(workspace, trained):
    results = {}
    for stitch in (0, 2):
        out = run([tool_path('mmseg', 'test'), CONFIG, trained / f'epoch_{EPOCHS}.pth', '--work-dir',
                   f'test{stitch}', '--out', f'pred{stitch}', '--cfg-options', f'model.backbone.stitch={stitch}',
                   'test_evaluator.depth_scale_factor=1000'], workspace)  # --out PNGs in millimetres
        results[stitch] = {k: metric(out, k) for k in ('rmse', 'abs_rel', 'd1')}
        pngs = sorted((workspace / f'pred{stitch}').glob('*.png'))
        assert len(pngs) == 8
        pred = np.stack([cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in pngs])
        assert pred.shape == (8, 64, 80) and pred.dtype == np.uint16
        assert MIN_DEPTH * 1000 <= pred.min() and pred.max() <= MAX_DEPTH * 1000
    # The anchor stitch reproduces what validation during training measured for it.
    final = [r for r in scalars(trained) if 'rmse' in r][-1]
    assert results[0]['rmse'] == pytest.approx(final['stitch0/rmse'], abs=1e-3)
    for values in results.values():
        assert 0 < values['rmse'] < 3.0 and 0 < values['abs_rel'] < 1.0 and 0 < values['d1'] <= 1.0


def test_exported_stitch_runs_in_the_test_tool_with_the_same_rmse(workspace, trained):
    checkpoint = trained / f'epoch_{EPOCHS}.pth'
    stitched = run([tool_path('mmseg', 'test'), CONFIG, checkpoint, '--work-dir', 'stitched2',
                    '--cfg-options', 'model.backbone.stitch=2'], workspace)
    config, exported = export_stitch(CONFIG, checkpoint, '2', 'export2', workspace)
    out = run([tool_path('mmseg', 'test'), config, exported, '--work-dir', 'export2_test'], workspace)
    for name in ('rmse', 'abs_rel', 'd1'):
        assert metric(out, name) == pytest.approx(metric(stitched, name), abs=1e-4), name


def test_stitch_sweep_reports_depth_metrics_and_a_lower_is_better_rmse_front(workspace, trained):
    out = run([ROOT / 'tools' / 'test_stitches.py', CONFIG, trained / f'epoch_{EPOCHS}.pth', '--stitches', '0,2',
               '--work-dir', 'sweep', '--latency-iters', '1', '--warmup-iters', '0'], workspace)
    records = json.loads((workspace / 'sweep' / 'stitches.json').read_text())['stitches']
    assert [r['index'] for r in records] == [0, 2]
    for r in records:
        assert {'rmse', 'abs_rel', 'd1', 'flops', 'backbone_flops', 'params', 'pareto'} <= set(r)
        assert r['flops'] > r['backbone_flops'] > 0
    names = [k for k in records[0] if k not in RECORD_KEYS]
    assert primary_metric(names) == 'rmse' and not higher_is_better('rmse') and higher_is_better('d1')
    assert 'Pareto front (rmse' in out
    for r in records:  # on the front <=> no other stitch is as cheap and at least as accurate
        dominated = any(o is not r and o['flops'] <= r['flops'] and o['rmse'] <= r['rmse']
                        and (o['flops'] < r['flops'] or o['rmse'] < r['rmse']) for o in records)
        assert r['pareto'] is (not dominated)
