"""StitchSamplingHook in a real MMEngine Runner."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip('mmengine')
from mmengine.hooks import Hook  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import tiny_anchor  # noqa: E402
from toy import ToyStitchedClassifier, dataloader_cfg  # noqa: E402

from snnet_mm import SNNetv2, StitchSamplingHook  # noqa: E402
from snnet_mm.stitching import safe_load  # noqa: E402
from snnet_mm.stitching.sampling import StitchSampler, group_by_flops  # noqa: E402


class Record(Hook):
    """Records the trained stitch of every iteration and the stitching layers after init."""

    priority = 'LOWEST'

    def __init__(self, kill_after: int | None = None) -> None:
        self.stitches: list[tuple[int, int]] = []
        self.layers_after_init: dict | None = None
        self.kill_after = kill_after

    def before_train(self, runner) -> None:
        net = runner.model.backbone.net
        self.layers_after_init = {k: v.clone() for k, v in net.stitch_layers.state_dict().items()}

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.stitches.append((runner.iter, int(runner.message_hub.get_scalar('train/stitch').current())))
        if self.kill_after is not None and runner.iter + 1 == self.kill_after:
            raise KeyboardInterrupt('simulated kill')


def make_runner(work_dir, max_iters: int, hook: dict | None = None, record: Record | None = None,
                ckpt_interval: int = 1000, log_interval: int = 1, model: ToyStitchedClassifier | None = None,
                **kwargs) -> Runner:
    hook = {**dict(type='StitchSamplingHook', num_init_images=16, gap_gflops=0.0005), **(hook or {})}
    return Runner(
        model=model or ToyStitchedClassifier(), work_dir=str(work_dir), train_dataloader=dataloader_cfg(),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters), randomness=dict(seed=7),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=ckpt_interval, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=log_interval)),
        custom_hooks=[hook, record or Record()], experiment_name=uuid.uuid4().hex, **kwargs)


def records(runner: Runner) -> Record:
    return next(h for h in runner._hooks if isinstance(h, Record))


def test_flops_groups_are_sampled_uniformly_and_every_stitch_appears(tmp_path):
    runner = make_runner(tmp_path, max_iters=240, log_interval=100)
    runner.train()
    hook = next(h for h in runner._hooks if isinstance(h, StitchSamplingHook))
    groups = hook.sampler.groups
    assert len(groups) >= 3
    seen = [s for _, s in records(runner).stitches]
    assert set(seen) == set(range(runner.model.backbone.num_stitches))
    group_of = {s: g for g, members in enumerate(groups) for s in members}
    counts = np.bincount([group_of[s] for s in seen], minlength=len(groups))
    expected = len(seen) / len(groups)
    chi2 = ((counts - expected) ** 2 / expected).sum()
    # 99.9% quantile of chi-square with up to 10 degrees of freedom is below 30.
    assert chi2 < 30, f'group counts {counts.tolist()} are far from uniform'
    # The model is left on its default stitch (the large anchor) after training.
    backbone = runner.model.backbone
    assert backbone.current_stitch == backbone.default_stitch
    assert backbone.stitches[backbone.current_stitch].route == 'L[0:6]'


def test_stitch_and_gflops_reach_the_logs(tmp_path):
    runner = make_runner(tmp_path, max_iters=3)
    runner.train()
    scalars = next(Path(tmp_path).rglob('scalars.json')).read_text()
    assert '"stitch"' in scalars and '"stitch_gflops"' in scalars


def test_least_squares_init_runs_once_before_training(tmp_path):
    runner = make_runner(tmp_path, max_iters=1)
    assert not runner.model.backbone.stitching_initialised
    runner.train()
    assert runner.model.backbone.stitching_initialised


def test_sequence_is_a_function_of_seed_and_iteration():
    sampler = StitchSampler([[0], [1, 2, 3], [4]], seed=5)
    assert [sampler.sample(i) for i in range(50)] == [sampler.sample(i) for i in range(50)]
    other = StitchSampler([[0], [1, 2, 3], [4]], seed=6)
    assert [sampler.sample(i) for i in range(50)] != [other.sample(i) for i in range(50)]


def test_group_by_flops_cuts_at_the_gap_from_the_first_member():
    assert group_by_flops([1.0, 1.5, 2.1, 2.4, 9.0], range(5), 1.0) == [[0, 1], [2, 3], [4]]


def test_resume_after_kill_continues_the_sequence_without_reinit(tmp_path, monkeypatch):
    full = make_runner(tmp_path / 'full', max_iters=8)
    full.train()
    reference = records(full).stitches

    killed = make_runner(tmp_path / 'killed', max_iters=8, record=Record(kill_after=4), ckpt_interval=4)
    with pytest.raises(KeyboardInterrupt):
        killed.train()
    assert (tmp_path / 'killed' / 'iter_4.pth').exists()
    saved = safe_load.load(tmp_path / 'killed' / 'iter_4.pth')['state_dict']

    def no_reinit(*args, **kwargs):
        raise AssertionError('stitching layers were re-initialised on resume')

    monkeypatch.setattr(SNNetv2, 'init_stitching_layers', no_reinit)
    resumed = make_runner(tmp_path / 'killed', max_iters=8, resume=True)
    resumed.train()
    rec = records(resumed)
    assert rec.stitches == reference[4:]
    for key, value in rec.layers_after_init.items():
        torch.testing.assert_close(value, saved[f'backbone.net.stitch_layers.{key}'])


def test_resume_reads_only_the_resume_checkpoint(tmp_path):
    """The anchor files are gone after the first run: --resume needs only its checkpoint."""
    import timm
    checkpoints = []
    for depth, width in ((3, 32), (6, 64)):
        spec = tiny_anchor(depth, width, num_classes=4)
        torch.save(timm.create_model(spec['name'], **spec['model_kwargs']).state_dict(), tmp_path / f'a{depth}.pth')
        checkpoints.append(str(tmp_path / f'a{depth}.pth'))
    saved = safe_load.load(checkpoints[0])['blocks.0.attn.qkv.weight']
    # resume=True on an empty work dir resumes nothing: the anchors load (then train two small steps).
    first = make_runner(tmp_path / 'w', max_iters=2, ckpt_interval=2, resume=True,
                        model=ToyStitchedClassifier(checkpoints=tuple(checkpoints)))
    first.train()
    assert first.model.backbone.resume_from is None
    trained = first.model.backbone.net.anchors[0].model.blocks[0].attn.qkv.weight.detach()
    torch.testing.assert_close(trained, saved, atol=5e-3, rtol=0)
    for path in checkpoints:
        os.remove(path)
    resumed = make_runner(tmp_path / 'w', max_iters=4, resume=True,
                          model=ToyStitchedClassifier(checkpoints=tuple(checkpoints)))
    resumed.train()
    assert resumed.iter == 4 and [i for i, _ in records(resumed).stitches] == [2, 3]
    assert resumed.model.backbone.resume_from == str(tmp_path / 'w' / 'iter_2.pth')


def test_load_from_keeps_trained_stitching_layers(tmp_path, monkeypatch):
    trained = make_runner(tmp_path / 'a', max_iters=2, ckpt_interval=2)
    trained.train()
    saved = safe_load.load(tmp_path / 'a' / 'iter_2.pth')['state_dict']
    monkeypatch.setattr(SNNetv2, 'init_stitching_layers',
                        lambda *a, **k: pytest.fail('load_from must not re-initialise'))
    runner = make_runner(tmp_path / 'b', max_iters=1, load_from=str(tmp_path / 'a' / 'iter_2.pth'))
    runner.train()
    for key, value in records(runner).layers_after_init.items():
        torch.testing.assert_close(value, saved[f'backbone.net.stitch_layers.{key}'])


def test_resume_without_checkpoint_still_initialises(tmp_path):
    runner = make_runner(tmp_path, max_iters=1, resume=True)
    runner.train()
    assert runner.model.backbone.stitching_initialised


# Bad arguments (at construction and before the least-squares init): tests/test_bad_inputs.py


def test_hook_needs_a_stitched_backbone(tmp_path):
    from mmengine.model import BaseModel

    class Plain(BaseModel):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(3, 2)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return dict(loss=self.linear(inputs.mean((2, 3))).sum())

    runner = Runner(model=Plain(), work_dir=str(tmp_path), train_dataloader=dataloader_cfg(),
                    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
                    train_cfg=dict(by_epoch=False, max_iters=1),
                    custom_hooks=[dict(type='StitchSamplingHook')])
    with pytest.raises(ValueError, match=r'model: expected exactly one SNNetv2 backbone in Plain'):
        runner.train()


@pytest.mark.slow
def test_two_process_ddp_trains_identical_replicas(tmp_path):
    worker = Path(__file__).resolve().parent / 'ddp_worker.py'
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                                         os.environ.get('PYTHONPATH', '')])}
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port',
           str(29500 + os.getpid() % 1000), str(worker), str(tmp_path)]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path / f'rank{r}.pt', weights_only=True) for r in (0, 1))
    assert r0['stitches'] == r1['stitches'] and len(set(r0['stitches'])) > 1
    for key in r0['layers_after_init']:
        torch.testing.assert_close(r0['layers_after_init'][key], r1['layers_after_init'][key], rtol=0, atol=0)
    for key in r0['params']:
        torch.testing.assert_close(r0['params'][key], r1['params'][key], rtol=0, atol=0)
    assert Counter(r0['stitches']).most_common(1)[0][1] < len(r0['stitches'])


def test_running_loss_per_flops_group_reaches_text_log_and_visualizer_backends(tmp_path):
    pytest.importorskip('tensorboard')
    runner = make_runner(tmp_path, max_iters=30, log_interval=10, visualizer=dict(
        type='Visualizer', vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]))
    runner.train()
    hook = next(h for h in runner._hooks if isinstance(h, StitchSamplingHook))
    keys = [f'loss/group_{g}' for g in range(len(hook.sampler.groups))]
    trained = {hook._group_of[s] for _, s in records(runner).stitches}
    assert len(trained) > 1
    lines = [json.loads(ln) for ln in next(Path(tmp_path).rglob('scalars.json')).read_text().splitlines()]
    logged = {k for line in lines for k in line if k.startswith('loss/group_')}
    assert logged == {keys[g] for g in trained}
    assert all(line[k] > 0 for line in lines for k in logged & set(line))
    log_text = next(Path(tmp_path).rglob('*.log')).read_text()
    assert all(f'{k}: ' in log_text for k in logged)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(next(Path(tmp_path).rglob('events.out.tfevents*')).parent))
    events.Reload()
    assert logged <= set(events.Tags()['scalars'])


def test_hook_trains_stitches_named_by_route_or_official_id():
    from types import SimpleNamespace

    from toy import ToyImages

    from snnet_mm.interop import official_ids
    model = ToyStitchedClassifier()
    stitches = model.backbone.stitches
    official = official_ids(model.backbone.net.space.depths, stitches)
    hook = StitchSamplingHook(stitches=[f'official:{official[5]}', stitches[7].route, 0], strategy='uniform',
                              input_size=(32, 32), num_init_images=4)
    runner = SimpleNamespace(model=model, seed=0, train_dataloader=torch.utils.data.DataLoader(
        ToyImages(8), collate_fn=torch.utils.data.default_collate))
    hook.before_train(runner)
    assert sorted(i for group in hook.sampler.groups for i in group) == [0, 5, 7]
