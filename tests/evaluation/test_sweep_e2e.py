"""tools/test_stitches.py on the tiny segmentation config with a checkpoint made here."""
from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip('mmseg')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools_loader import load_tool  # noqa: E402
from upstream import CONFIGS, run, tool_path, workspace_fixture  # noqa: E402

from snnet_mm.evaluation.sweep import StitchSweep  # noqa: E402
from snnet_mm.stitching.sweep_records import read_records  # noqa: E402

pytestmark = pytest.mark.slow
CONFIG = CONFIGS / 'segmentation' / 'upernet_snnetv2_tiny_ade20k-64x64.py'


workspace = workspace_fixture('ade20k')


@pytest.fixture(scope='module')
def checkpoint(workspace) -> Path:
    run([tool_path('mmseg', 'train'), CONFIG, '--work-dir', 'train', '--cfg-options', 'train_cfg.max_iters=10',
         'train_cfg.val_interval=1000', 'default_hooks.checkpoint.interval=10'], workspace)
    return workspace / 'train' / 'iter_10.pth'


@pytest.fixture(scope='module')
def swept(checkpoint) -> Path:
    """Work dir of a sweep of stitches 0, 2, 3 run as a user would (subprocess)."""
    root = checkpoint.parents[1]
    config = root / 'with_tensorboard.py'  # the config's visualizer also gets the sweep's results
    config.write_text(f"_base_ = ['{CONFIG}']\nvisualizer = dict(vis_backends=[dict(type='LocalVisBackend'), "
                      "dict(type='TensorboardVisBackend')])\n")
    output = run([Path(__file__).resolve().parents[2] / 'tools' / 'test_stitches.py', config, checkpoint,
                  '--stitches', '0,2,3', '--work-dir', 'sweep', '--latency-iters', '2'], root)
    (root / 'sweep' / 'output.txt').write_text(output)
    return root / 'sweep'


def test_sweep_writes_one_row_per_stitch_front_and_plot(swept):
    out = swept
    rows = list(csv.DictReader(open(out / 'stitches.csv')))
    assert [int(r['index']) for r in rows] == [0, 2, 3]
    records = json.loads((out / 'stitches.json').read_text())['stitches']
    for r in records:
        assert {'index', 'route', 'flops', 'params', 'latency_ms', 'mIoU', 'aAcc', 'pareto'} <= set(r)
        assert r['flops'] > r['backbone_flops'] > 0 and r['params'] > 0 and r['latency_ms'] > 0
    assert any(r['pareto'] for r in records)
    from PIL import Image
    with Image.open(out / 'pareto.png') as img:
        img.verify()
        assert img.format == 'PNG'


def test_sweep_reports_progress_per_stitch_and_results_to_the_visualizer(swept):
    output = (swept / 'output.txt').read_text()
    assert 'ETA' in output  # MMEngine's progress bar
    assert [f'{k}/3 stitch {i} ' in output for k, i in ((1, 0), (2, 2), (3, 3))] == [True] * 3
    wall_row = re.compile(r'^\|\s+wall\s+\|', re.M)  # a row of mmseg's 150-class table
    assert 'per class results' not in output and not wall_row.search(output)
    for index in (0, 2, 3):
        assert wall_row.search((swept / 'per_class' / f'stitch_{index}.txt').read_text())
    local = [json.loads(ln) for ln in next(swept.rglob('scalars.json')).read_text().splitlines()]
    assert sorted(r['step'] for r in local if 'sweep/mIoU' in r) == [0, 2, 3]
    pytest.importorskip('tensorboard')
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(next(swept.rglob('events.out.tfevents*')).parent))
    events.Reload()
    assert {'sweep/mIoU', 'sweep/gflops'} <= set(events.Tags()['scalars'])
    assert 'sweep/pareto_mIoU' in events.Tags()['images']


def test_killed_sweep_resumes_without_recomputing(checkpoint, monkeypatch):
    monkeypatch.chdir(checkpoint.parents[1])
    tool = load_tool('test_stitches')
    evaluated = []
    original = StitchSweep.evaluate

    def failing_after_first(self, index):
        if evaluated:
            raise RuntimeError('simulated failure')
        evaluated.append(index)
        return original(self, index)

    argv = [str(CONFIG), str(checkpoint), '--stitches', '1,0,3', '--work-dir', 'killed', '--latency-iters', '0',
            '--mode', 'per-stitch']  # one stitch per unit (one-pass groups: tests/evaluation/test_one_pass.py)
    monkeypatch.setattr(StitchSweep, 'evaluate', failing_after_first)
    with pytest.raises(RuntimeError, match='simulated failure'):
        tool.main(argv)
    assert len(read_records('killed/sweep_results.jsonl')) == 1

    with pytest.raises(ValueError, match='pass --resume'):
        tool.main(argv)

    recomputed = []

    def recording(self, index):
        recomputed.append(index)
        return original(self, index)

    monkeypatch.setattr(StitchSweep, 'evaluate', recording)
    records = tool.main(argv + ['--resume'])
    assert recomputed == [0, 3]
    assert [r['index'] for r in records] == [0, 1, 3]
    assert len(json.loads(Path('killed/stitches.json').read_text())['stitches']) == 3

    # Nor with other test settings (here another test resolution).
    with pytest.raises(ValueError, match=r'resume: .*input_size is \[64, 80\] in the results file, \[48, 60\] now; '
                                         r'test_dataloader\.dataset\.pipeline\[1\]\.scale is \[128, 64\] in the '
                                         r'results file, \[96, 48\] now'):
        tool.main(argv + ['--resume', '--cfg-options', 'test_dataloader.dataset.pipeline.1.scale=(96,48)'])


def test_select_stitch_tool_reads_the_sweep(swept):
    results = swept / 'stitches.json'
    records = json.loads(results.read_text())['stitches']
    budget = max(r['flops'] for r in records) / 1e9
    best = load_tool('select_stitch').main([str(results), '--max-gflops', str(budget)])
    assert best['pareto'] and best['flops'] / 1e9 <= budget
    with pytest.raises(ValueError, match='below the cheapest stitch'):
        load_tool('select_stitch').main([str(results), '--max-gflops', '1e-9'])


def test_sweep_under_torchrun_writes_once(checkpoint, swept):
    root = checkpoint.parents[1]
    run([Path(__file__).resolve().parents[2] / 'tools' / 'test_stitches.py', CONFIG, checkpoint,
         '--stitches', '0,1', '--work-dir', 'ddp_sweep', '--latency-iters', '0'], root, nproc=2)
    ddp = read_records(root / 'ddp_sweep' / 'sweep_results.jsonl')
    assert len(ddp) == 2
    single = {r['index']: r for r in json.loads((root / 'sweep' / 'stitches.json').read_text())['stitches']}
    # Metrics over the whole validation set (reduced across ranks) equal the single-process sweep.
    assert ddp[0]['mIoU'] == pytest.approx(single[0]['mIoU'], abs=0.01)
