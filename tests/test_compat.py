"""Resuming MMEngine runs on torch >= 2.6 with ``weights_only`` loading kept on."""
from __future__ import annotations

import os
import pickle
import uuid

import pytest
import torch
from torch import nn

pytest.importorskip('mmengine')
import snnet_mm  # noqa: F401,E402  (applies the checkpoint compatibility)
from mmengine.hooks import Hook  # noqa: E402
from mmengine.logging.history_buffer import HistoryBuffer  # noqa: E402
from mmengine.model import BaseModel  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from snnet_mm.stitching import safe_load  # noqa: E402


class ToyModel(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(inputs)
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


class ToyDataset(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 8

    def __getitem__(self, i):
        return dict(inputs=torch.full((2,), float(i)))


class RecordIters(Hook):
    def __init__(self) -> None:
        self.iters: list[int] = []

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.iters.append(runner.iter)


def make_runner(work_dir: str, max_iters: int, **kwargs) -> Runner:
    return Runner(
        model=ToyModel(), work_dir=work_dir,
        train_dataloader=dict(dataset=ToyDataset(), sampler=dict(type='DefaultSampler', shuffle=True),
                              batch_size=2, collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False)),
        custom_hooks=[RecordIters()], experiment_name=uuid.uuid4().hex, **kwargs)


def test_resume_continues_from_checkpoint(tmp_path):
    first = make_runner(str(tmp_path), max_iters=2)
    first.train()
    ckpt = tmp_path / 'iter_2.pth'
    assert ckpt.exists()
    weights = first.model.linear.weight.detach().clone()

    # Loading keeps weights_only=True (snnet_mm's allow-list) and still succeeds.
    state = safe_load.load(ckpt)
    assert isinstance(state['message_hub']['log_scalars']['train/loss'], HistoryBuffer)

    second = make_runner(str(tmp_path), max_iters=4, resume=True)
    second.train()
    recorder = next(h for h in second._hooks if isinstance(h, RecordIters))
    assert recorder.iters == [2, 3], 'training must continue from iteration 2'
    assert second.iter == 4
    assert not torch.equal(second.model.linear.weight, weights)
    # The resumed message hub still holds the loss history written before the resume.
    assert len(second.message_hub.get_scalar('train/loss').data[0]) == 4


class SystemPayload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


class GetattrPayload:
    """Unpatched MMEngine writes getattr(HistoryBuffer, 'min'); any other getattr is refused."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '_set_default_statistics'))


@pytest.mark.parametrize('payload', ['system', 'getattr'])
def test_crafted_checkpoint_is_refused(tmp_path, payload):
    marker = tmp_path / 'pwned'
    obj = SystemPayload(str(marker)) if payload == 'system' else GetattrPayload()
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': {'x': obj}}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)
    from mmengine.runner.checkpoint import _load_checkpoint
    with pytest.raises(pickle.UnpicklingError):
        _load_checkpoint(str(path), map_location='cpu')
    assert not marker.exists()


def test_history_buffer_pickles_by_value():
    buf = HistoryBuffer()
    buf.update(1.0)
    buf.update(3.0)
    data = pickle.dumps(buf)
    assert b'getattr' not in data
    loaded = pickle.loads(data)
    assert loaded.mean() == 2.0 and loaded.statistics('max') == 3.0
