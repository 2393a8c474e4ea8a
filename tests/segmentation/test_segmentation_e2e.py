"""Segmentation through mmseg's own tools/train.py and tools/test.py with our configs."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip('mmseg')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import (CONFIGS, export_stitch, metric, run, scalars, tool_path, trained_fixture,  # noqa: E402
                      workspace_fixture)


pytestmark = pytest.mark.slow
SEG = CONFIGS / 'segmentation'
UPERNET = SEG / 'upernet_snnetv2_tiny_ade20k-64x64.py'


workspace = workspace_fixture('ade20k', 'coco_stuff10k')
upernet = trained_fixture('mmseg', UPERNET, 'upernet', name='upernet')  # everything after needs only the checkpoint


def test_train_logs_stitches_lowers_loss_and_checkpoints(upernet):
    records = [r for r in scalars(upernet.work_dir) if 'loss' in r]
    assert records[-1]['loss'] < records[0]['loss'] - 0.3
    assert {'stitch', 'stitch_gflops'} <= set(records[0])
    assert len({r['stitch'] for r in records}) > 1
    assert (upernet.work_dir / 'iter_40.pth').exists()
    final = [r for r in scalars(upernet.work_dir) if 'mIoU' in r][-1]
    assert {'stitch0/mIoU', 'stitch1/mIoU', 'mIoU'} <= set(final)
    log = next(upernet.work_dir.glob('*/*.log')).read_text()
    assert "anchors[0].checkpoint: loaded " in log and "anchors[1].checkpoint: loaded " in log


@pytest.fixture(scope='module')
def tested(upernet) -> dict[int, float]:
    """mIoU of stitches 0 and 2 by mmseg's test.py, with the anchor files deleted."""
    return {stitch: metric(upernet.test_output('iter_40.pth', stitch), 'mIoU') for stitch in (0, 2)}


def test_test_tool_needs_only_the_trained_checkpoint(upernet, tested):
    results = tested
    # Equal to what validation measured with the anchor files present, at the end of training.
    final = [r for r in scalars(upernet.work_dir) if 'mIoU' in r][-1]
    assert results[0] == pytest.approx(final['stitch0/mIoU'], abs=0.01)
    assert all(0 < v <= 100 for v in results.values())


def test_exported_stitch_runs_in_the_test_tool_with_the_same_miou(workspace, upernet, tested):
    config, checkpoint = export_stitch(UPERNET, upernet.work_dir / 'iter_40.pth', 'S[0:1] -> L[2:4]', 'export2',
                                       workspace)
    out = run([tool_path('mmseg', 'test'), config, checkpoint, '--work-dir', 'export2_test'], workspace)
    assert metric(out, 'mIoU') == pytest.approx(tested[2], abs=0.01)


def test_mmseg_inference_apis_need_only_the_trained_checkpoint(workspace, upernet):
    import numpy as np
    from mmengine.config import Config
    from mmseg.apis import MMSegInferencer, inference_model, init_model
    cfg = Config.fromfile(UPERNET)
    cfg.merge_from_dict(dict(o.split('=', 1) for o in upernet.anchor_options))
    image = str(next((workspace / 'data/tiny/ade20k/images/validation').glob('*.jpg')))
    model = init_model(cfg, str(upernet.work_dir / 'iter_40.pth'), device='cpu')
    by_api = inference_model(model, image).pred_sem_seg.data.squeeze(0).numpy()
    inferencer = MMSegInferencer(model=cfg, weights=str(upernet.work_dir / 'iter_40.pth'), device='cpu')
    by_inferencer = inferencer(image, return_datasamples=True).pred_sem_seg.data.squeeze(0).numpy()
    assert by_api.shape == by_inferencer.shape and by_api.ndim == 2
    np.testing.assert_array_equal(by_api, by_inferencer)


def test_resume_continues_training(workspace, upernet):
    out = run([tool_path('mmseg', 'train'), UPERNET, '--work-dir', 'upernet', '--resume',
               '--cfg-options', 'train_cfg.max_iters=45', 'train_cfg.val_interval=1000'], workspace)
    assert 'resumed epoch: 0, iter: 40' in out
    assert 'stitching layers already initialised (loaded), kept' in out
    assert (upernet.work_dir / 'iter_45.pth').exists()


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
    out = run([tool_path('mmseg', 'train'), UPERNET, '--work-dir', 'ddp', '--cfg-options',
               'train_cfg.max_iters=4', 'train_cfg.val_interval=1000', 'default_hooks.logger.interval=1'],
              workspace, nproc=2)
    assert 'Distributed launcher: pytorch' in out or 'launcher: pytorch' in out
    records = [r for r in scalars(workspace / 'ddp') if 'loss' in r]
    assert len(records) == 4
