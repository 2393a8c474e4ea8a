"""Classification through mmpretrain's own tools/train.py and tools/test.py."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip('mmpretrain')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import CONFIGS, ROOT, metric, run, scalars, tool_path  # noqa: E402

from snnet_mm.tiny_data import make_tiny_data  # noqa: E402

pytestmark = pytest.mark.slow
CONFIG = CONFIGS / 'classification' / 'snnetv2_tiny_imagenet-32px.py'


@pytest.fixture(scope='module')
def trained(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('cls')
    make_tiny_data('imagenet', str(root / 'data/tiny/imagenet'))
    run([tool_path('mmpretrain', 'train'), CONFIG, '--work-dir', 'train'], root)
    return root / 'train'


def test_train_lowers_loss_and_beats_chance(trained):
    records = [r for r in scalars(trained) if 'loss' in r]
    assert records[-1]['loss'] < records[0]['loss'] - 0.1
    final = [r for r in scalars(trained) if 'accuracy/top1' in r][-1]
    assert final['stitch0/accuracy/top1'] > 20 and final['stitch1/accuracy/top1'] > 20  # 5 classes
    assert (trained / 'epoch_10.pth').exists()


def test_test_tool_reports_top1_for_two_stitches(trained):
    root = trained.parent
    for stitch in (0, 3):
        out = run([tool_path('mmpretrain', 'test'), CONFIG, trained / 'epoch_10.pth', '--work-dir', f'test{stitch}',
                   '--cfg-options', f'model.backbone.stitch={stitch}'], root)
        assert 0 <= metric(out, 'accuracy/top1') <= 100
        assert metric(out, 'accuracy/top5') == 100.0  # 5 classes


def test_sweep_reports_top1_and_top5(trained):
    root = trained.parent
    run([ROOT / 'tools' / 'test_stitches.py', CONFIG, trained / 'epoch_10.pth', '--work-dir', 'sweep',
         '--latency-iters', '1'], root)
    records = json.loads((root / 'sweep' / 'stitches.json').read_text())['stitches']
    assert len(records) == 4
    assert all({'accuracy/top1', 'accuracy/top5', 'pareto'} <= set(r) for r in records)
