"""A stitched ResNet-18/50-shaped classifier (tiny, CPU) through mmpretrain's own tools, with
hard distillation, then the sweep, the FLOPs table, budget selection and export unchanged."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip('mmpretrain')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import (CONFIGS, ROOT, export_stitch, metric, run, scalars, tool_path,  # noqa: E402
                      trained_fixture, workspace_fixture)


pytestmark = pytest.mark.slow
CONFIG = CONFIGS / 'families' / 'classification' / 'snnet-v1_resnet_tiny_imagenet-32px.py'
EPOCHS = 10  # the tiny config's train_cfg.max_epochs
NUM_STITCHES = 4 + 2


workspace = workspace_fixture('imagenet')
trained = trained_fixture('mmpretrain', CONFIG, 'train')


def test_train_distils_samples_stitches_and_lowers_loss(trained):
    trained = trained.work_dir
    records = [r for r in scalars(trained) if 'loss' in r]
    assert records[-1]['loss'] < records[0]['loss'] - 0.1
    assert all('loss_distill' in r for r in records)
    assert len({r['stitch'] for r in records}) > 1
    final = [r for r in scalars(trained) if 'accuracy/top1' in r][-1]
    assert {'stitch0/accuracy/top1', 'stitch1/accuracy/top1'} <= set(final)  # the two anchors
    log = next(trained.glob('*/*.log')).read_text()
    assert 'anchors[0].checkpoint: loaded ' in log and 'least-squares initialised' in log


@pytest.fixture(scope='module')
def sweep(trained) -> list[dict]:
    run([ROOT / 'tools' / 'test_stitches.py', CONFIG, trained.work_dir / f'epoch_{EPOCHS}.pth', '--work-dir',
         'sweep', '--latency-iters', '1', '--quiet', '--cfg-options', *trained.anchor_options], trained.cwd)
    return json.loads((trained.cwd / 'sweep' / 'stitches.json').read_text())['stitches']


def test_sweep_test_tool_and_flops_table_agree(trained, sweep):
    root = trained.cwd
    assert len(sweep) == NUM_STITCHES
    assert all({'accuracy/top1', 'flops', 'pareto'} <= set(r) for r in sweep)
    out = trained.test_output(f'epoch_{EPOCHS}.pth', 3)
    assert metric(out, 'accuracy/top1') == pytest.approx(sweep[3]['accuracy/top1'], abs=1e-3)
    run([ROOT / 'tools' / 'stitch_flops.py', CONFIG, '--input-size', '32', '--out', 'flops.json'], root)
    table = json.loads((root / 'flops.json').read_text())['stitches']
    assert [r['route'] for r in table] == [r['route'] for r in sweep]
    assert [(r['flops'], r['params']) for r in table] == [(r['flops'], r['params']) for r in sweep]


def test_budget_selection_picks_from_the_sweep(trained, sweep):
    root = trained.cwd
    budget = sorted(r['flops'] for r in sweep)[2] / 1e9
    out = run([ROOT / 'tools' / 'select_stitch.py', 'sweep/stitches.json', '--max-gflops', f'{budget:.9f}'], root)
    fitting = [r for r in sweep if r['flops'] / 1e9 <= budget + 1e-9]
    best = max(fitting, key=lambda r: r['accuracy/top1'])
    assert f'model.backbone.stitch={best["index"]}' in out


def test_exported_stitch_runs_in_the_test_tool_with_the_same_top1(trained, sweep):
    root = trained.cwd
    config, checkpoint = export_stitch(CONFIG, trained.work_dir / f'epoch_{EPOCHS}.pth', '3', 'export3', root)
    out = run([tool_path('mmpretrain', 'test'), config, checkpoint, '--work-dir', 'export3_test'], root)
    assert metric(out, 'accuracy/top1') == pytest.approx(sweep[3]['accuracy/top1'], abs=1e-3)
