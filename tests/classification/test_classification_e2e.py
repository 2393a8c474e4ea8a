"""Classification through mmpretrain's own tools/train.py and tools/test.py."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip('mmpretrain')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import (CONFIGS, ROOT, export_stitch, metric, run, scalars, tool_path,  # noqa: E402
                      trained_fixture, workspace_fixture)

from snnet_mm.stitching import safe_load  # noqa: E402

pytestmark = pytest.mark.slow
CONFIG = CONFIGS / 'classification' / 'snnetv2_tiny_imagenet-32px.py'


workspace = workspace_fixture('imagenet')
trained = trained_fixture('mmpretrain', CONFIG, 'train')  # everything after needs only the checkpoint


def test_train_lowers_loss_and_beats_chance(trained):
    records = [r for r in scalars(trained.work_dir) if 'loss' in r]
    assert records[-1]['loss'] < records[0]['loss'] - 0.1
    final = [r for r in scalars(trained.work_dir) if 'accuracy/top1' in r][-1]
    assert final['stitch0/accuracy/top1'] > 20 and final['stitch1/accuracy/top1'] > 20  # 5 classes
    assert (trained.work_dir / 'epoch_10.pth').exists()


@pytest.fixture(scope='module')
def tested(trained) -> dict[int, float]:
    """Top-1 of stitches 0 and 3 by mmpretrain's test.py, with the anchor files deleted."""
    top1 = {}
    for stitch in (0, 3):
        out = trained.test_output('epoch_10.pth', stitch)
        top1[stitch] = metric(out, 'accuracy/top1')
        assert metric(out, 'accuracy/top5') == 100.0  # 5 classes
    return top1


def test_test_tool_needs_only_the_trained_checkpoint(trained, tested):
    top1 = tested
    assert all(0 <= v <= 100 for v in top1.values())
    # Equal to what validation measured with the anchor files present, at the end of training.
    final = [r for r in scalars(trained.work_dir) if 'accuracy/top1' in r][-1]
    assert top1[0] == pytest.approx(final['stitch0/accuracy/top1'], abs=1e-3)


def test_exported_stitch_runs_in_the_test_tool_with_the_same_top1(workspace, trained, tested):
    config, checkpoint = export_stitch(CONFIG, trained.work_dir / 'epoch_10.pth', '3', 'export3', workspace)
    out = run([tool_path('mmpretrain', 'test'), config, checkpoint, '--work-dir', 'export3_test'], workspace)
    assert metric(out, 'accuracy/top1') == pytest.approx(tested[3], abs=1e-3)


def test_exported_stitch_traces_with_torch_export(workspace, trained):
    import torch
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    from mmpretrain.utils import register_all_modules
    register_all_modules()
    config, checkpoint = export_stitch(CONFIG, trained.work_dir / 'epoch_10.pth', '3', 'export3_trace', workspace)
    model = MODELS.build(Config.fromfile(config).model).eval()
    model.load_state_dict(safe_load.load(checkpoint)['state_dict'])
    x = torch.randn(2, 3, 32, 32)
    program = torch.export.export(model.backbone, (x,))
    torch.testing.assert_close(program.module()(x), model.backbone(x))


def test_sweep_reports_top1_and_top5(workspace, trained):
    run([ROOT / 'tools' / 'test_stitches.py', CONFIG, trained.work_dir / 'epoch_10.pth', '--work-dir', 'sweep',
         '--latency-iters', '1', '--cfg-options', *trained.anchor_options], workspace)
    records = json.loads((workspace / 'sweep' / 'stitches.json').read_text())['stitches']
    assert len(records) == 4
    assert all({'accuracy/top1', 'accuracy/top5', 'pareto'} <= set(r) for r in records)
    final = [r for r in scalars(trained.work_dir) if 'accuracy/top1' in r][-1]
    assert records[0]['accuracy/top1'] == pytest.approx(final['stitch0/accuracy/top1'], abs=1e-3)


def test_image_classification_inferencer_needs_only_the_trained_checkpoint(workspace, trained):
    from mmengine.config import Config
    from mmpretrain.apis import ImageClassificationInferencer
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(dict(o.split('=', 1) for o in trained.anchor_options))
    cfg.model.backbone.stitch = 0
    data = workspace / 'data/tiny/imagenet'
    labels = dict(line.split() for line in (data / 'meta/val.txt').read_text().splitlines())
    inferencer = ImageClassificationInferencer(model=cfg, pretrained=str(trained.work_dir / 'epoch_10.pth'), device='cpu')
    results = inferencer([str(data / 'val' / name) for name in labels])
    top1 = 100 * sum(r['pred_label'] == int(y) for r, y in zip(results, labels.values())) / len(labels)
    # The same top-1 as validation measured with the anchor files present.
    final = [r for r in scalars(trained.work_dir) if 'accuracy/top1' in r][-1]
    assert top1 == pytest.approx(final['stitch0/accuracy/top1'], abs=1e-3)
