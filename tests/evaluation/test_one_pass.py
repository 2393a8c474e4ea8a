"""One-pass sweep: the same metrics as the per-stitch sweep, one pass over the data per group.

The toy stitched classifier runs tools/test_stitches.py in-process (seconds); the slow tests run
the four tasks' tiny configs (segmentation with slide inference, detection, classification,
depth with flip) in both modes on one runner and compare every metric and every evaluator's
per-image results.
"""
from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip('mmengine')
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import tiny_anchor  # noqa: E402
from toy_sweep import sweep, toy_workspace  # noqa: E402

from snnet_mm.evaluation import one_pass  # noqa: E402
from snnet_mm.evaluation.one_pass import SharedBackbonePass  # noqa: E402
from snnet_mm.stitching.sweep_records import read_records  # noqa: E402
from snnet_mm.evaluation.sweep import StitchSweep  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def setup(tmp_path, monkeypatch):
    return toy_workspace(tmp_path, monkeypatch)


def metrics_of(records: list[dict]) -> dict[int, float]:
    return {r['index']: r['accuracy'] for r in records}


def test_toy_one_pass_equals_per_stitch_and_preprocesses_each_batch_once_per_group(setup, monkeypatch):
    config, ckpt = setup
    calls = []
    from mmengine.model import BaseDataPreprocessor
    original = BaseDataPreprocessor.forward
    monkeypatch.setattr(BaseDataPreprocessor, 'forward', lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    per_stitch = sweep(config, ckpt, 'per', '--mode', 'per-stitch')
    per_stitch_calls = len(calls)
    calls.clear()
    one = sweep(config, ckpt, 'one', '--max-branches', '2')
    assert metrics_of(one) == metrics_of(per_stitch) and len(one) == 4
    batches, groups = 2, 2  # 8 toy images in batches of 4; 4 stitches in groups of <= 2
    assert per_stitch_calls == 1 + 4 * batches  # + the first batch, read once for the FLOPs count
    assert len(calls) == 1 + groups * batches
    assert {r['pass_stitches'] for r in one} == {2} and {r['pass_stitches'] for r in per_stitch} == {1}
    assert all(r['pass_wall_s'] > 0 for r in one + per_stitch)


def test_a_killed_one_pass_sweep_resumes_from_the_last_finished_group(setup, monkeypatch):
    config, ckpt = setup
    reference = metrics_of(sweep(config, ckpt, 'ref', '--mode', 'per-stitch'))
    original = StitchSweep.evaluate_group
    groups = []

    def failing_second(self, indices):
        groups.append(list(indices))
        if len(groups) == 2:
            raise RuntimeError('simulated failure')
        return original(self, indices)

    monkeypatch.setattr(StitchSweep, 'evaluate_group', failing_second)
    with pytest.raises(RuntimeError, match='simulated failure'):
        sweep(config, ckpt, 'w', '--max-branches', '2')
    kept = read_records('w/sweep_results.jsonl')
    assert sorted(r['index'] for r in kept) == sorted(groups[0]) and len(groups[0]) == 2

    redone = []
    monkeypatch.setattr(StitchSweep, 'evaluate_group', lambda self, ix: redone.extend(ix) or original(self, ix))
    records = sweep(config, ckpt, 'w', '--max-branches', '2', '--resume')
    assert sorted(redone) == sorted(set(range(4)) - set(groups[0]))
    assert metrics_of(records) == reference
    assert len(json.loads(Path('w/stitches.json').read_text())['stitches']) == 4


@pytest.mark.parametrize('args, message', [
    (['--mode', 'shared'], "argument --mode: invalid choice: 'shared'"),
    (['--max-branches', '0'], r'max_branches: expected an int >= 1, got 0'),
])
def test_bad_mode_or_group_size_is_refused_naming_it(setup, capsys, args, message):
    config, ckpt = setup
    with pytest.raises((SystemExit, ValueError)) as info:
        sweep(config, ckpt, 'w', *args)
    text = str(info.value) + capsys.readouterr().err
    assert __import__('re').search(message, text), text


def shared_net():
    from snnet_mm.stitching import StitchedNetwork
    net = StitchedNetwork([tiny_anchor(3, 32), tiny_anchor(6, 64)], out_indices=(1, 5),
                          dynamic_img_size=True).eval()
    with torch.no_grad():
        for layer in net.stitch_layers.values():
            layer.weight.normal_(0, 0.2)
    return net


def alone(net, index, x):
    net.set_stitch(index)
    return net(x)


@torch.no_grad()
def test_shared_pass_gives_each_stitch_its_own_output_and_runs_the_tree_once_per_input():
    net = shared_net()
    group = [3, 0, 5, 1]
    shared = SharedBackbonePass(group)
    windows = [torch.randn(2, 3, 48, 32), torch.randn(2, 3, 32, 32)]
    for index in group:
        net.set_stitch(index)
        for w in windows:  # cropped again per stitch: equal values, another tensor
            got = shared(net, w.clone())
            for a, b in zip(got, alone(net, index, w)):
                torch.testing.assert_close(a, b)
    assert (shared.tree_runs, shared.alone_runs) == (2, 0)


@torch.no_grad()
def test_shared_pass_runs_a_stitch_alone_on_inputs_the_first_never_saw_or_outputs_changed_in_place():
    net = shared_net()
    shared = SharedBackbonePass([0, 2, 4])
    x = torch.randn(1, 3, 32, 32)
    net.set_stitch(0)
    shared(net, x)
    net.set_stitch(2)
    other = torch.randn(1, 3, 32, 32)
    for a, b in zip(shared(net, other), alone(net, 2, other)):
        torch.testing.assert_close(a, b)
    net.set_stitch(4)
    shared._entries[0][1][4][0][0].mul_(0)  # an earlier consumer changed stitch 4's map in place
    for a, b in zip(shared(net, x), alone(net, 4, x)):
        torch.testing.assert_close(a, b)
    assert (shared.tree_runs, shared.alone_runs) == (1, 2)


# ----------------------------------------------------------------------------- four tasks, slow
TASKS = {
    'segmentation (slide)': ('segmentation/setr-naive_snnetv2_tiny_ade20k-64x64.py', 'ade20k', 'data/tiny/ade20k'),
    'detection': ('detection/mask-rcnn_snnetv2_tiny_coco-128x128.py', 'coco', 'data/tiny/coco'),
    'classification': ('classification/snnetv2_tiny_imagenet-32px.py', 'imagenet', 'data/tiny/imagenet'),
    'depth (flip)': ('depth/dpt_snnetv2_tiny_nyu-64x64.py', 'nyu', 'data/tiny/nyu'),
}


def same(a, b) -> bool:
    """Exact equality of evaluator results (dicts, lists, arrays, tensors, numbers, strings)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    return a == b or (a != a and b != b)


@pytest.mark.slow
@pytest.mark.parametrize('task', list(TASKS))
def test_one_pass_metrics_equal_per_stitch_on_each_task(task, tmp_path, monkeypatch):
    from mmengine.config import Config
    from mmengine.evaluator import BaseMetric
    from mmengine.runner import Runner

    from snnet_mm.tiny_data import make_tiny_data
    config, kind, data = TASKS[task]
    monkeypatch.chdir(tmp_path)
    make_tiny_data(kind, data)
    cfg = Config.fromfile(ROOT / 'configs' / config)
    for anchor in cfg.model.backbone.anchors:
        anchor.checkpoint = None
    cfg.work_dir, cfg.experiment_name = str(tmp_path / 'work'), uuid.uuid4().hex
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    torch.manual_seed(0)
    with torch.no_grad():  # distinct stitches: random stitching layers
        for name, p in runner.model.named_parameters():
            if '.stitch_layers.' in name:
                p.normal_(0, 0.3)
    captured: dict[str, dict[int, list]] = {'per-stitch': {}, 'one-pass': {}}
    mode = ['']
    sweeps = {}

    def capture(self, results):
        captured[mode[0]].setdefault(sweeps[mode[0]].backbone.current_stitch, []).append(list(results))
        return compute(self, results)

    metric_type = type(runner.build_evaluator(cfg.test_evaluator).metrics[0])
    compute = metric_type.compute_metrics
    monkeypatch.setattr(metric_type, 'compute_metrics', capture)
    assert issubclass(metric_type, BaseMetric)
    records = {}
    for mode[0], extra in (('per-stitch', {}), ('one-pass', dict(max_branches=4))):
        sweeps[mode[0]] = StitchSweep(runner, tmp_path / mode[0], latency_iters=0, mode=mode[0], **extra)
        records[mode[0]] = sweeps[mode[0]].run(range(sweeps[mode[0]].backbone.num_stitches))
    drop = ('pass_wall_s', 'pass_stitches')
    per, one = ({r['index']: {k: v for k, v in r.items() if k not in drop} for r in records[m]}
                for m in ('per-stitch', 'one-pass'))
    assert per == one
    assert captured['per-stitch'].keys() == captured['one-pass'].keys() == per.keys()
    for index in per:
        assert same(captured['per-stitch'][index], captured['one-pass'][index]), index
    first = captured['per-stitch'][min(per)]
    assert any(not same(first, captured['per-stitch'][i]) for i in per)  # stitches differ: equality means something
    assert one_pass.supports_one_pass(runner.model)
