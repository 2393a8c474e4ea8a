"""Segmentation through mmseg's own tools/train.py and tools/test.py with our configs."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip('mmseg')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import CONFIGS, metric, run, scalars, tool_path  # noqa: E402

from snnet_mm.tiny_data import make_tiny_data  # noqa: E402

pytestmark = pytest.mark.slow
SEG = CONFIGS / 'segmentation'


@pytest.fixture(scope='module')
def workspace(tmp_path_factory) -> Path:
    """A working directory holding data/tiny/{ade20k,coco_stuff10k}, as the tiny configs expect."""
    root = tmp_path_factory.mktemp('seg')
    make_tiny_data('ade20k', str(root / 'data/tiny/ade20k'))
    make_tiny_data('coco_stuff10k', str(root / 'data/tiny/coco_stuff10k'))
    return root


@pytest.fixture(scope='module')
def trained_upernet(workspace) -> Path:
    config = SEG / 'upernet_snnetv2_tiny_ade20k-64x64.py'
    run([tool_path('mmseg', 'train'), config, '--work-dir', 'upernet'], workspace)
    return workspace / 'upernet'


def test_train_logs_stitches_lowers_loss_and_checkpoints(trained_upernet):
    records = [r for r in scalars(trained_upernet) if 'loss' in r]
    assert records[-1]['loss'] < records[0]['loss'] - 0.3
    assert {'stitch', 'stitch_gflops'} <= set(records[0])
    assert len({r['stitch'] for r in records}) > 1
    assert (trained_upernet / 'iter_40.pth').exists()
    final = [r for r in scalars(trained_upernet) if 'mIoU' in r][-1]
    assert {'stitch0/mIoU', 'stitch1/mIoU', 'mIoU'} <= set(final)


def test_test_tool_selects_stitches_from_the_command_line(workspace, trained_upernet):
    config = SEG / 'upernet_snnetv2_tiny_ade20k-64x64.py'
    results = {}
    for stitch in (0, 2):
        out = run([tool_path('mmseg', 'test'), config, trained_upernet / 'iter_40.pth', '--work-dir',
                   f'test{stitch}', '--cfg-options', f'model.backbone.stitch={stitch}'], workspace)
        results[stitch] = metric(out, 'mIoU')
    # The anchor stitch reproduces what validation during training measured for it.
    final = [r for r in scalars(trained_upernet) if 'mIoU' in r][-1]
    assert results[0] == pytest.approx(final['stitch0/mIoU'], abs=0.01)
    assert all(0 < v <= 100 for v in results.values())


def test_resume_continues_training(workspace, trained_upernet):
    config = SEG / 'upernet_snnetv2_tiny_ade20k-64x64.py'
    out = run([tool_path('mmseg', 'train'), config, '--work-dir', 'upernet', '--resume',
               '--cfg-options', 'train_cfg.max_iters=45', 'train_cfg.val_interval=1000'], workspace)
    assert 'resumed epoch: 0, iter: 40' in out
    assert 'stitching layers already initialised (loaded), kept' in out
    assert (trained_upernet / 'iter_45.pth').exists()


@pytest.mark.parametrize('config', ['setr-naive_snnetv2_tiny_ade20k-64x64.py',
                                    'setr-naive_snnetv2_tiny_coco-stuff10k-64x64.py'])
def test_setr_trains_and_tests_one_iteration(workspace, config):
    name = config.split('_tiny_')[1].split('-64')[0]
    run([tool_path('mmseg', 'train'), SEG / config, '--work-dir', name, '--cfg-options',
         'train_cfg.max_iters=1', 'train_cfg.val_interval=1000', 'default_hooks.checkpoint.interval=1'],
        workspace)
    out = run([tool_path('mmseg', 'test'), SEG / config, Path(name) / 'iter_1.pth', '--work-dir', f'{name}_test',
               '--cfg-options', 'model.backbone.stitch=3'], workspace)
    assert 0 <= metric(out, 'mIoU') <= 100


def test_torchrun_two_processes(workspace):
    config = SEG / 'upernet_snnetv2_tiny_ade20k-64x64.py'
    out = run([tool_path('mmseg', 'train'), config, '--work-dir', 'ddp', '--cfg-options',
               'train_cfg.max_iters=4', 'train_cfg.val_interval=1000', 'default_hooks.logger.interval=1'],
              workspace, nproc=2)
    assert 'Distributed launcher: pytorch' in out or 'launcher: pytorch' in out
    records = [r for r in scalars(workspace / 'ddp') if 'loss' in r]
    assert len(records) == 4
