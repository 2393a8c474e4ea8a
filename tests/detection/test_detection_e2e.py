"""Detection and instance segmentation through mmdet's own tools/train.py and tools/test.py."""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

pytest.importorskip('mmdet')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import (CONFIGS, ROOT, export_stitch, metric, run, scalars, tool_path,  # noqa: E402
                      trained_fixture, workspace_fixture)


pytestmark = pytest.mark.slow
CONFIG = CONFIGS / 'detection' / 'mask-rcnn_snnetv2_tiny_coco-128x128.py'
ITERS = 30  # the tiny config's train_cfg.max_iters


workspace = workspace_fixture('coco')
trained = trained_fixture('mmdet', CONFIG, 'maskrcnn')  # everything after needs only the checkpoint


def test_train_samples_stitches_lowers_loss_and_checkpoints(trained):
    records = [r for r in scalars(trained.work_dir) if 'loss' in r]
    assert len(records) == ITERS // 5  # logger interval 5
    for r in records:
        assert all(math.isfinite(v) for k, v in r.items() if k.startswith('loss'))
    first, last = records[0], records[-1]
    assert last['loss'] < first['loss'] - 0.3
    assert last['loss_rpn_cls'] < first['loss_rpn_cls'] - 0.2 and last['loss_mask'] < first['loss_mask']
    assert {'stitch', 'stitch_gflops'} <= set(first)
    assert len({r['stitch'] for r in records}) > 1
    assert (trained.work_dir / f'iter_{ITERS}.pth').exists()
    final = [r for r in scalars(trained.work_dir) if 'coco/bbox_mAP' in r][-1]
    assert {'stitch0/coco/bbox_mAP', 'stitch1/coco/segm_mAP', 'coco/bbox_mAP', 'coco/segm_mAP'} <= set(final)


@pytest.fixture(scope='module')
def tested(trained) -> dict[int, dict[str, float]]:
    """Box and mask mAP of stitches 0 and 2 by mmdet's test.py, with the anchor files deleted."""
    outputs = {stitch: trained.test_output(f'iter_{ITERS}.pth', stitch) for stitch in (0, 2)}
    return {stitch: {name: metric(out, f'coco/{name}') for name in ('bbox_mAP', 'segm_mAP')}
            for stitch, out in outputs.items()}


def test_test_tool_reports_box_and_mask_map_per_stitch(trained, tested):
    results = tested
    assert all(0 <= v <= 1 for r in results.values() for v in r.values()), results
    # Equal to what validation measured with the anchor files present, at the end of training.
    final = [r for r in scalars(trained.work_dir) if 'coco/bbox_mAP' in r][-1]
    assert results[0]['bbox_mAP'] == pytest.approx(final['stitch0/coco/bbox_mAP'], abs=1e-3)
    assert results[0]['segm_mAP'] == pytest.approx(final['stitch0/coco/segm_mAP'], abs=1e-3)


def test_exported_stitch_runs_in_the_test_tool_with_the_same_map(workspace, trained, tested):
    config, checkpoint = export_stitch(CONFIG, trained.work_dir / f'iter_{ITERS}.pth', '2', 'export2', workspace)
    out = run([tool_path('mmdet', 'test'), config, checkpoint, '--work-dir', 'export2_test'], workspace)
    assert {name: metric(out, f'coco/{name}') for name in ('bbox_mAP', 'segm_mAP')} == tested[2]


def test_sweep_tool_evaluates_stitches_with_coco_metric(workspace, trained):
    run([ROOT / 'tools' / 'test_stitches.py', CONFIG, trained.work_dir / f'iter_{ITERS}.pth', '--stitches', '0,2',
         '--work-dir', 'sweep', '--latency-iters', '1', '--warmup-iters', '0',
         '--cfg-options', *trained.anchor_options],
        workspace)
    records = json.loads((workspace / 'sweep' / 'stitches.json').read_text())['stitches']
    assert [r['index'] for r in records] == [0, 2]
    for r in records:
        assert 0 <= r['coco/bbox_mAP'] <= 1 and 0 <= r['coco/segm_mAP'] <= 1
        assert r['flops'] > r['backbone_flops'] > 0 and r['params'] > 0
    assert any(r['pareto'] for r in records)


def test_det_inferencer_needs_only_the_trained_checkpoint(workspace, trained):
    import torch
    from mmdet.apis import DetInferencer, inference_detector, init_detector
    from mmengine.config import Config
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(dict(o.split('=', 1) for o in trained.anchor_options))
    image = str(sorted((workspace / 'data/tiny/coco/val2017').glob('*.jpg'))[0])
    weights = str(trained.work_dir / f'iter_{ITERS}.pth')
    by_api = inference_detector(init_detector(cfg, weights, device='cpu'), image).pred_instances
    inferencer = DetInferencer(model=cfg, weights=weights, device='cpu', show_progress=False)
    by_inferencer = inferencer(image, return_datasamples=True)['predictions'][0].pred_instances
    assert len(by_api) == len(by_inferencer) > 0
    torch.testing.assert_close(by_inferencer.bboxes, by_api.bboxes)
    torch.testing.assert_close(by_inferencer.masks, by_api.masks)
