"""StitchValLoop validates a set of stitches during training."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

pytest.importorskip('mmengine')
from mmengine.runner import Runner  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from toy import ToyAccuracy, ToyStitchedClassifier, dataloader_cfg  # noqa: E402


def make_runner(work_dir, stitches='anchors', **kwargs) -> Runner:
    return Runner(
        model=ToyStitchedClassifier(depths=(2, 4)), work_dir=str(work_dir),
        train_dataloader=dataloader_cfg(), val_dataloader=dataloader_cfg(size=8),
        val_evaluator=[ToyAccuracy()], val_cfg=dict(type='StitchValLoop', stitches=stitches),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        train_cfg=dict(by_epoch=False, max_iters=2, val_interval=2),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1000)),
        custom_hooks=[dict(type='StitchSamplingHook', num_init_images=8, strategy='uniform')],
        experiment_name=uuid.uuid4().hex, **kwargs)  # message hubs are per experiment name


def test_anchors_are_validated_and_default_metrics_stay_unprefixed(tmp_path):
    runner = make_runner(tmp_path)
    runner.train()
    hub = runner.message_hub
    backbone = runner.model.backbone
    anchors = [i for i, s in enumerate(backbone.stitches) if s.kind == 'anchor']
    for i in anchors:
        assert hub.get_scalar(f'val/stitch{i}/accuracy') is not None
    assert hub.get_scalar('val/accuracy').current() == hub.get_scalar(
        f'val/stitch{backbone.default_stitch}/accuracy').current()
    assert 'val/stitch2/accuracy' not in hub.log_scalars
    assert backbone.current_stitch == backbone.default_stitch


def test_explicit_stitch_set(tmp_path):
    runner = make_runner(tmp_path, stitches=[2, 3])
    runner.train()
    keys = [k for k in runner.message_hub.log_scalars if k.startswith('val/stitch')]
    # The default stitch (large anchor, index 1) is always validated too.
    assert sorted(keys) == ['val/stitch1/accuracy', 'val/stitch2/accuracy', 'val/stitch3/accuracy']


def test_bad_stitch_set_names_the_field(tmp_path):
    with pytest.raises(ValueError, match="stitches: 'some' is not a stitch index >= 0"):
        make_runner(tmp_path, stitches='some').train()


def test_stitch_metrics_reach_local_and_tensorboard_backends(tmp_path):
    pytest.importorskip('tensorboard')
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    runner = make_runner(tmp_path, stitches=[2], visualizer=dict(
        type='Visualizer', vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]))
    runner.train()
    expected = {'stitch1/accuracy', 'stitch2/accuracy', 'accuracy'}
    local = next(Path(tmp_path).rglob('scalars.json')).read_text()
    assert all(f'"{k}"' in local for k in expected)
    events = EventAccumulator(str(next(Path(tmp_path).rglob('events.out.tfevents*')).parent))
    events.Reload()
    assert expected <= set(events.Tags()['scalars'])
