"""A stitched LeViT-192/256-shaped classifier (tiny, CPU) through mmpretrain's own tools: training
with hard distillation and uniform stitch sampling, then testing a stitch named by its SN-Net v1
cfg_id and exporting it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip('mmpretrain')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import CONFIGS, TrainedRun, export_stitch, metric, run, scalars, tool_path, train_then_delete_anchors  # noqa: E402

from snnet_mm.tiny_data import make_tiny_data  # noqa: E402

pytestmark = pytest.mark.slow
CONFIG = CONFIGS / 'families' / 'classification' / 'snnet-v1_levit_tiny_imagenet-32px.py'
EPOCHS = 10  # the tiny config's train_cfg.max_epochs


@pytest.fixture(scope='module')
def trained(tmp_path_factory) -> TrainedRun:
    root = tmp_path_factory.mktemp('levit_cls')
    make_tiny_data('imagenet', str(root / 'data/tiny/imagenet'))
    return train_then_delete_anchors('mmpretrain', CONFIG, root, 'train')


def test_train_distils_samples_stitches_and_lowers_loss(trained):
    records = [r for r in scalars(trained.work_dir) if 'loss' in r]
    assert records[-1]['loss'] < records[0]['loss']
    assert all('loss_distill' in r for r in records)
    assert len({r['stitch'] for r in records}) > 1
    log = next(trained.work_dir.glob('*/*.log')).read_text()
    assert 'anchors[0].checkpoint: loaded ' in log and 'least-squares initialised the stitching layers' in log


def test_a_v1_cfg_id_tests_the_same_stitch_as_its_export(trained):
    # v1 cfg_id 4: the first stage-1 stitch (ids 2-3 are stage 0), through --cfg-options and --stitch.
    by_id = trained.test_output(f'epoch_{EPOCHS}.pth', 'v1:4')
    assert 0 <= metric(by_id, 'accuracy/top1') <= 100
    config, checkpoint = export_stitch(CONFIG, trained.work_dir / f'epoch_{EPOCHS}.pth', 'v1:4', 'export4',
                                       trained.cwd)
    assert 'S[0:4] -> L[4:7]' in config.read_text()
    out = run([tool_path('mmpretrain', 'test'), config, checkpoint, '--work-dir', 'export4_test'], trained.cwd)
    assert metric(out, 'accuracy/top1') == pytest.approx(metric(by_id, 'accuracy/top1'), abs=1e-3)
