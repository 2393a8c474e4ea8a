"""tools/export_stitch.py: bad stitches and occupied output directories leave --out untouched."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip('mmpretrain')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools_loader import load_tool  # noqa: E402
from upstream import CONFIGS  # noqa: E402

CONFIG = str(CONFIGS / 'classification' / 'snnetv2_tiny_imagenet-32px.py')


@pytest.fixture(scope='module')
def tool():
    return load_tool('export_stitch')


@pytest.fixture(scope='module')
def checkpoint(tool, tmp_path_factory) -> str:
    from mmengine.config import Config
    path = tmp_path_factory.mktemp('export') / 'model.pth'
    torch.save(dict(state_dict=tool.build_model(Config.fromfile(CONFIG)).state_dict()), path)
    return str(path)


@pytest.mark.parametrize('stitch, message', [
    ('99', r'--stitch: stitch index 99 out of range \[0, 4\)'),
    ('-1', r'--stitch: stitch index -1 out of range \[0, 4\)'),
    ('S[0:2] -> L[3:4]', r"--stitch: route 'S\[0:2\] -> L\[3:4\]' is not in the trained stitch space; "
                         r"nearest valid routes: \d: "),
])
def test_bad_stitch_writes_nothing(tool, checkpoint, tmp_path, stitch, message):
    out = tmp_path / 'out'
    with pytest.raises(ValueError, match=message):
        tool.main([CONFIG, checkpoint, '--stitch', stitch, '--out', str(out)])
    assert list(tmp_path.iterdir()) == []


def test_occupied_output_directory_is_refused_and_kept(tool, checkpoint, tmp_path):
    (tmp_path / 'out').mkdir()
    (tmp_path / 'out' / 'keep.txt').write_text('mine')
    with pytest.raises(ValueError, match=r"--out: '.*out' exists and is not an empty directory"):
        tool.main([CONFIG, checkpoint, '--stitch', '1', '--out', str(tmp_path / 'out')])
    assert [p.name for p in (tmp_path / 'out').iterdir()] == ['keep.txt']


def test_export_writes_config_and_checkpoint_with_the_stitch_params(tool, checkpoint, tmp_path):
    result = tool.main([CONFIG, checkpoint, '--stitch', 'S[0:1]->L[2:4]', '--out', str(tmp_path / 'out')])
    assert result['params'] == result['stitch_params'] and result['max_diff'] == 0.0
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == ['config.py', 'stitch.pth']
    assert [p.name for p in tmp_path.iterdir()] == ['out']  # no temporary directory left
    assert (tmp_path / 'out').stat().st_mode & 0o777 == 0o777 & ~_umask()  # like any output, not 0700


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
