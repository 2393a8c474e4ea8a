"""The loading policy (``snnet_mm.stitching.safe_load``): no route unpickles code from a checkpoint.

Crafted checkpoints are refused on every route, naming the offending global, and their payload
never runs; what official SN-Netv2 and MMEngine checkpoints hold (argparse ``args``, numpy
values under numpy 1 or 2 names, ``HistoryBuffer`` with or without the ``getattr`` calls of
unpatched MMEngine, ``ConfigDict``) loads; a truncated or non-checkpoint file says so.
"""
from __future__ import annotations

import argparse
import datetime
import functools
import io
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip('mmengine')
import snnet_mm  # noqa: E402,F401  (applies the MMEngine part of the policy)
from mmengine.config import ConfigDict  # noqa: E402
from mmengine.logging.history_buffer import HistoryBuffer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import tiny_anchor  # noqa: E402
from tools_loader import TOOLS, load_tool  # noqa: E402

from snnet_mm.stitching import safe_load  # noqa: E402
from snnet_mm.stitching.safe_load import UnsafeCheckpointError  # noqa: E402

ROOT = TOOLS.parent


class Payload:
    """Pickles as ``call(*args)``: what a crafted checkpoint runs on load."""

    def __init__(self, call, *args) -> None:
        self.call, self.args = call, args

    def __reduce__(self):
        return (self.call, self.args)


def crafted(path: Path, payload: Payload) -> Path:
    """An official-looking checkpoint (tensors, iteration) with ``payload`` in its metadata."""
    torch.save(dict(state_dict={'backbone.anchors.0.cls_token': torch.zeros(1, 1, 4)},
                    meta=dict(iter=160000, note=payload)), path)
    return path


def marker_payload(marker: Path) -> dict[str, tuple[Payload, str]]:
    """Payloads that would create ``marker`` (or call something) and the global each is refused as."""
    return {
        'os.system': (Payload(os.system, f'touch {marker}'), 'posix.system'),
        'eval': (Payload(eval, f'open({str(marker)!r}, "w")'), 'eval'),  # torch names builtins without module
        'shutil': (Payload(shutil.copyfile, __file__, str(marker)), 'shutil.copyfile'),
        'partial': (Payload(functools.partial, print, 'ran'), 'functools.partial'),
        'getattr': (Payload(getattr, HistoryBuffer, '_set_default_statistics'),
                    'mmengine.logging.history_buffer.HistoryBuffer._set_default_statistics'),
    }


def _route_load(route: str, path: Path):
    if route == 'safe_load':
        return safe_load.load(path)
    if route == 'convert_official':
        return load_tool('convert_official').load_official(str(path))
    if route == 'mmengine':  # load_from, --resume, upstream test.py, inferencers, export
        from mmengine.runner.checkpoint import _load_checkpoint
        return _load_checkpoint(str(path), map_location='cpu')
    if route == 'anchor':
        from snnet_mm.stitching import StitchedViT
        return StitchedViT([tiny_anchor(2, 32), dict(tiny_anchor(4, 64), checkpoint=str(path))])
    raise AssertionError(route)


@pytest.mark.parametrize('payload', ['os.system', 'eval', 'shutil', 'partial', 'getattr'])
@pytest.mark.parametrize('route', ['safe_load', 'convert_official', 'mmengine', 'anchor'])
def test_a_crafted_checkpoint_is_refused_naming_the_global_and_never_runs(tmp_path, route, payload):
    marker = tmp_path / 'pwned'
    obj, name = marker_payload(marker)[payload]
    path = crafted(tmp_path / 'official.pth', obj)
    with pytest.raises(UnsafeCheckpointError) as info:
        _route_load(route, path)
    assert f'({name})' in str(info.value) and 'safe loading refuses' in str(info.value), str(info.value)
    assert str(path) in str(info.value) and '\n' not in str(info.value)
    assert isinstance(info.value, ValueError) and not marker.exists()


def test_teacher_checkpoints_follow_the_policy(tmp_path):
    pytest.importorskip('mmpretrain')
    from snnet_mm.models.distill import build_teacher
    marker = tmp_path / 'pwned'
    path = crafted(tmp_path / 'teacher.pth', Payload(os.system, f'touch {marker}'))
    with pytest.raises(UnsafeCheckpointError, match=r"teacher\.checkpoint: .* \(posix\.system\)"):
        build_teacher(dict(name='vit_tiny_patch16_224', checkpoint=str(path), pretrained=False,
                           model_kwargs=tiny_anchor(1, 32)['model_kwargs']))
    assert not marker.exists()


def test_snnet_convert_exits_with_one_line_and_runs_nothing(tmp_path):
    marker = tmp_path / 'pwned'
    path = crafted(tmp_path / 'official.pth', Payload(os.system, f'touch {marker}'))
    result = subprocess.run([sys.executable, '-m', 'snnet_mm', 'convert', str(path), str(tmp_path / 'ours.pth'),
                             '--task', 'seg'], capture_output=True, text=True, timeout=300,
                            env={**os.environ, 'PYTHONPATH': str(ROOT)})
    assert result.returncode != 0 and not marker.exists() and not (tmp_path / 'ours.pth').exists()
    assert result.stdout == '' and 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines()[-1:] == [
        f"convert_official.py: error: src: '{path}' is not a readable checkpoint (it holds Python objects besides "
        'tensors (posix.system), which safe loading refuses: unpickling them could run code from the file); '
        '--unsafe-load loads it anyway, running any code it holds: only for a file you trust']


def _unpatched_history_buffer_state(self):
    """MMEngine's own ``HistoryBuffer.__getstate__``: statistics functions, pickled as getattr calls."""
    return {**self.__dict__, 'statistics_methods': dict(HistoryBuffer._statistics_methods)}


def official_like(path: Path, monkeypatch, *, numpy1: bool = False) -> dict:
    """What official checkpoints hold besides tensors: a classification run's ``args`` and an MMEngine
    run's meta, message hub (saved by MMEngine without snnet_mm) and config values."""
    buffer = HistoryBuffer()
    buffer.update(0.5)
    buffer.update(1.5)
    checkpoint = dict(
        model={'anchors.0.cls_token': torch.ones(1, 1, 4)},
        args=argparse.Namespace(lr=5e-5, lora_r=16, config='config/deit_stitching_snnetv2_s_l.json', resume=''),
        meta=dict(iter=160000, seed=0, cfg='model = dict()', dataset_meta=dict(classes=('wall', 'floor'))),
        message_hub=dict(log_scalars={'train/loss': buffer}, runtime_info={'val/mIoU': np.float64(44.1)}),
        optimizer=ConfigDict(type='AdamW', betas=(0.9, 0.999)),
        arrays=dict(hist=np.arange(3, dtype=np.float32), flag=np.bool_(True), count=np.int64(7)),
    )
    with monkeypatch.context() as patch:
        patch.setattr(HistoryBuffer, '__getstate__', _unpatched_history_buffer_state)
        buffer_bytes = io.BytesIO()
        torch.save(checkpoint, buffer_bytes, _use_new_zipfile_serialization=not numpy1)
    data = buffer_bytes.getvalue()
    assert b'getattr' in data  # written as unpatched MMEngine writes it
    if numpy1:  # the names numpy 1 writes (the legacy format keeps the pickle uncompressed)
        assert b'numpy._core.multiarray' in data
        data = data.replace(b'numpy._core.multiarray', b'numpy.core.multiarray')
    path.write_bytes(data)
    return checkpoint


@pytest.mark.parametrize('numpy1', [False, True])
def test_what_official_checkpoints_hold_loads_without_opting_out(tmp_path, monkeypatch, numpy1):
    before = set(torch.serialization.get_safe_globals())
    saved = official_like(tmp_path / 'official.pth', monkeypatch, numpy1=numpy1)
    loaded = safe_load.load(tmp_path / 'official.pth')
    assert loaded['args'] == saved['args'] and loaded['meta'] == saved['meta']
    assert loaded['message_hub']['log_scalars']['train/loss'].mean() == 1.0
    assert loaded['message_hub']['runtime_info']['val/mIoU'] == np.float64(44.1)
    assert loaded['optimizer'] == saved['optimizer'] and isinstance(loaded['optimizer'], ConfigDict)
    np.testing.assert_array_equal(loaded['arrays']['hist'], saved['arrays']['hist'])
    assert loaded['arrays']['count'] == 7 and loaded['arrays']['flag']
    # The allow-list is in force during snnet_mm's loads only: torch's own is left as it was.
    assert set(torch.serialization.get_safe_globals()) == before
    state, _ = load_tool('convert_official').unwrap_checkpoint(load_tool('convert_official').load_official(
        str(tmp_path / 'official.pth')))
    assert list(state) == ['anchors.0.cls_token']


def test_other_objects_need_the_explicit_opt_in(tmp_path, caplog):
    torch.save(dict(state_dict={'w': torch.zeros(1)}, meta=dict(time=datetime.datetime(2023, 5, 7))),
               tmp_path / 'other.pth')
    convert = load_tool('convert_official')
    with pytest.raises(UnsafeCheckpointError, match=r'\(datetime\.datetime\).*--unsafe-load loads it anyway'):
        convert.load_official(str(tmp_path / 'other.pth'))
    with caplog.at_level(logging.WARNING, logger='snnet_mm'):
        loaded = convert.load_official(str(tmp_path / 'other.pth'), unsafe=True)
    assert loaded['meta']['time'].year == 2023
    assert 'with --unsafe-load: any code pickled in it runs now' in caplog.text
    assert convert.parse_args(['a', 'b', '--task', 'seg', '--unsafe-load']).unsafe_load


def _bad_file(path: Path, kind: str) -> None:
    torch.save(dict(state_dict={'w': torch.zeros(256)}), path, _use_new_zipfile_serialization=kind != 'cut legacy')
    if kind.startswith('cut'):
        path.write_bytes(path.read_bytes()[:200])
    elif kind == 'text':
        path.write_text('model = dict(type="SNNetv2")\n')
    elif kind == 'empty':
        path.write_bytes(b'')
    elif kind == 'directory':
        path.unlink()
        path.mkdir()


@pytest.mark.parametrize('kind, reason', [
    ('cut zip', r'is not a readable checkpoint \(the file is truncated or corrupted: RuntimeError: '),
    ('cut legacy', r'is not a readable checkpoint \(the file is truncated or corrupted: '),
    ('text', r"is not a readable checkpoint \(not a PyTorch checkpoint: it starts with b'mode'"),
    ('empty', r'is not a readable checkpoint \(the file is empty\)'),
    ('directory', r'is not a readable checkpoint \(it is a directory, not a file\)'),
])
def test_a_truncated_or_non_checkpoint_file_is_reported_as_such(tmp_path, kind, reason):
    path = tmp_path / 'official.pth'
    _bad_file(path, kind)
    with pytest.raises(ValueError, match=reason) as info:
        load_tool('convert_official').load_official(str(path))
    assert not isinstance(info.value, UnsafeCheckpointError) and 'Python objects' not in str(info.value)
