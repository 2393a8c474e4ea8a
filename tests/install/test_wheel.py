"""A non-editable install (built wheel) trains and tests a user config from an empty directory."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import torch

from upstream import metric

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
NOT_SOURCES = ('.git', '.venv', 'build', 'dist', 'work_dirs', 'data', '*.egg-info', '__pycache__', '.pytest_cache')
USER_CONFIG = """_base_ = ['snnet_mm::segmentation/upernet_snnetv2_tiny_ade20k-64x64.py']
data_root = 'tiny_ade'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=4, val_interval=4)
default_hooks = dict(checkpoint=dict(interval=4), logger=dict(interval=2))
optim_wrapper = dict(constructor='LayerDecayOptimWrapperConstructor',
                     paramwise_cfg=dict(layer_decay_rate=0.8))
"""


def run(cmd: list[str], cwd: Path, env: dict) -> str:
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return output


@pytest.fixture(scope='module')
def venv(tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel built from a copy of the sources ``pip install``-ed.

    The heavy dependencies (torch, mmcv, the OpenMMLab packages) are borrowed from the test
    environment by a plain path line in a ``.pth`` file: ``.pth`` files inside that directory are not
    processed, so the test environment's editable ``snnet_mm`` stays invisible.
    """
    tmp = tmp_path_factory.mktemp('wheel')
    source = tmp / 'src'
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    env = {**os.environ, 'PYTHONPATH': ''}
    pip = ['-m', 'pip', '--disable-pip-version-check']
    run([sys.executable, *pip, 'wheel', '-q', '--no-deps', '--no-build-isolation', '-w', tmp / 'dist', source],
        tmp, env)
    (wheel,) = (tmp / 'dist').glob('snnet_mm-*.whl')
    run([sys.executable, '-m', 'venv', tmp / 'venv'], tmp, env)
    python = tmp / 'venv' / 'bin' / 'python'
    site = run([python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], tmp, env).strip()
    (Path(site) / 'borrowed_dependencies.pth').write_text(sysconfig.get_paths()['purelib'] + '\n')
    run([python, *pip, 'install', '-q', '--no-deps', '--no-index', wheel], tmp, env)
    return tmp / 'venv'


def test_installed_snnet_trains_and_tests_a_user_config(venv, tmp_path):
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    env.pop('PYTHONPATH', None)
    snnet = venv / 'bin' / 'snnet'
    where = run([venv / 'bin' / 'python', '-c', 'import snnet_mm; print(snnet_mm.__file__)'], tmp_path, env)
    package = Path(where.strip().splitlines()[-1]).parent
    assert package.is_relative_to(venv), package  # the installed copy, not the sources
    assert not (package / '.mim' / 'configs').is_symlink()  # real copies in the wheel
    (tmp_path / 'my_config.py').write_text(USER_CONFIG)
    run([snnet, 'tiny-data', 'ade20k', 'tiny_ade'], tmp_path, env)
    run([snnet, 'train', 'mmseg', 'my_config.py', '--work-dir', 'wd'], tmp_path, env)
    assert (tmp_path / 'wd' / 'iter_4.pth').is_file()
    output = run([snnet, 'test', 'mmseg', 'my_config.py', 'wd/iter_4.pth',
                  '--cfg-options', 'model.backbone.stitch=2'], tmp_path, env)
    assert metric(output, 'mIoU') >= 0
    assert "snnet_mm is not installed" not in output and 'Failed to search registry' not in output
    assert 'usage: snnet flops' in run([snnet, 'flops', '--help'], tmp_path, env)
    # Layer decay (one line in the user config) and the per-group running loss.
    state = torch.load(tmp_path / 'wd' / 'iter_4.pth', map_location='cpu', weights_only=False)
    assert len({group['lr'] for group in state['optimizer']['param_groups']}) > 2
    logged = [json.loads(line) for line in next((tmp_path / 'wd').glob('*/vis_data/scalars.json')).open()]
    assert any(key.startswith('loss/group_') for record in logged for key in record)
    # The installed sweep and FLOPs commands.
    run([snnet, 'sweep', 'my_config.py', 'wd/iter_4.pth', '--stitches', '0,2', '--work-dir', 'sweep',
         '--latency-iters', '0', '--quiet'], tmp_path, env)
    records = json.loads((tmp_path / 'sweep' / 'stitches.json').read_text())['stitches']
    assert [r['index'] for r in records] == [0, 2] and (tmp_path / 'sweep' / 'per_class' / 'stitch_2.txt').is_file()
    run([snnet, 'flops', 'my_config.py', '--quiet', '--out', 'flops.json'], tmp_path, env)
    rows = json.loads((tmp_path / 'flops.json').read_text())['stitches']
    assert len(rows) > 2 and all(r['flops'] > r['backbone_flops'] > 0 for r in rows)
