"""Run the upstream OpenMMLab tools (shipped inside their packages) as subprocesses."""
from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / 'configs'
TINY_TASKS = {  # config, tiny data kind, an image of it
    'segmentation': ('segmentation/upernet_snnetv2_tiny_ade20k-64x64.py', 'ade20k', 'images/validation/*.jpg'),
    'depth': ('depth/dpt_snnetv2_tiny_nyu-64x64.py', 'nyu', 'images/test/*.jpg'),
    'detection': ('detection/mask-rcnn_snnetv2_tiny_coco-128x128.py', 'coco', 'val2017/*.jpg'),
    'classification': ('classification/snnetv2_tiny_imagenet-32px.py', 'imagenet', 'val/*/*.JPEG'),
}


def build_config_model(path: Path, scope: str):
    """A config and its model on the meta device (``build_meta_model``: anchor and teacher weights,
    the user's files, are neither read nor downloaded); ``scope`` is the package the config is for."""
    from mmengine.config import Config

    from snnet_mm.evaluation.model_flops import build_meta_model
    cfg = Config.fromfile(path)
    assert cfg.get('default_scope') == scope, (path, cfg.get('default_scope'))
    return cfg, build_meta_model(cfg)


def save_anchor_files(config: Path, directory: Path) -> list[str]:
    """Save the config's (random-init tiny) anchors as timm state dicts in ``directory``; returns
    the ``--cfg-options`` that name them, for training and for testing after they are deleted.
    The init is seeded (the same weights whichever tests ran before on this worker)."""
    import torch
    from mmengine.config import Config

    from snnet_mm.stitching.anchor import AnchorSpec, build_anchor
    directory.mkdir(parents=True, exist_ok=True)
    options = []
    with torch.random.fork_rng():
        torch.manual_seed(0)
        for i, anchor in enumerate(Config.fromfile(config).model.backbone.anchors):
            spec = AnchorSpec.parse(anchor.to_dict() if hasattr(anchor, 'to_dict') else anchor, f'anchors[{i}]')
            path = directory / f'anchor{i}.pth'
            torch.save(build_anchor(spec, f'anchors[{i}]', dynamic_img_size=False).model.state_dict(), path)
            options.append(f'model.backbone.anchors.{i}.checkpoint={path}')
    return options


@dataclass(frozen=True)
class TrainedRun:
    """A run trained by an upstream ``tools/train.py`` from anchor files that were deleted after it.

    Attributes:
        package: The upstream package whose tools ran (``'mmseg'``, ``'mmdet'``, ``'mmpretrain'``).
        config: The config trained.
        cwd: The directory the tools run in (holds the tiny data).
        work_dir: The training work directory.
        anchor_options: ``--cfg-options`` naming the deleted anchor files, as the config still does.
    """
    package: str
    config: Path
    cwd: Path
    work_dir: Path
    anchor_options: tuple[str, ...]

    def test_output(self, checkpoint: str, stitch: int | str) -> str:
        """Output of the package's ``tools/test.py`` for one stitch, with the anchor files gone."""
        assert not (self.cwd / 'anchors').exists()  # the trained checkpoint alone must suffice
        return run([tool_path(self.package, 'test'), self.config, self.work_dir / checkpoint, '--work-dir',
                    f'test{stitch}', '--cfg-options', f'model.backbone.stitch={stitch}', *self.anchor_options],
                   self.cwd)


def train_then_delete_anchors(package: str, config: Path, cwd: Path, work_dir: str,
                              extra_options: tuple[str, ...] = ()) -> TrainedRun:
    """Train ``config`` with ``package``'s ``tools/train.py`` from saved random-init anchor files
    in ``cwd/anchors``, then delete them: everything after must need only the trained checkpoint."""
    options = tuple(save_anchor_files(config, cwd / 'anchors'))
    run([tool_path(package, 'train'), config, '--work-dir', work_dir, '--cfg-options', *options, *extra_options],
        cwd)
    shutil.rmtree(cwd / 'anchors')
    return TrainedRun(package, config, cwd, cwd / work_dir, options)


def workspace_fixture(*kinds: str):
    """A module-scoped ``workspace`` fixture: a directory holding ``data/tiny/<kind>`` for each of
    ``kinds`` (``tools/make_tiny_data.py`` kinds), where the tiny configs read their data."""
    @pytest.fixture(scope='module')
    def workspace(tmp_path_factory) -> Path:
        from snnet_mm.tiny_data import make_tiny_data
        root = tmp_path_factory.mktemp('_'.join(kinds))
        for kind in kinds:
            make_tiny_data(kind, str(root / 'data' / 'tiny' / kind))
        return root
    return workspace


def trained_fixture(package: str, config: Path, work_dir: str, *, name: str = 'trained'):
    """A module-scoped fixture ``name``: ``config`` trained in ``workspace`` by ``package``'s
    tools/train.py from anchor files that are then deleted (``train_then_delete_anchors``)."""
    @pytest.fixture(scope='module', name=name)
    def trained(workspace) -> TrainedRun:
        return train_then_delete_anchors(package, config, workspace, work_dir)
    return trained


def export_stitch(config: Path, checkpoint: Path, stitch: str, out: str, cwd: Path) -> tuple[Path, Path]:
    """Run tools/export_stitch.py; checks the exported backbone's params equal the stitch's and
    that the written config has no stitch hook or loop. Returns (config, checkpoint) written."""
    output = run([ROOT / 'tools' / 'export_stitch.py', config, checkpoint, '--stitch', stitch, '--out', out], cwd)
    params = re.search(r'\): (\d+) backbone parameters \(stitch params (\d+)\)', output)
    assert params and params[1] == params[2], output[-2000:]
    text = (cwd / out / 'config.py').read_text()
    assert "type='SNNetv2Stitch'" in text and 'StitchSamplingHook' not in text and 'StitchValLoop' not in text
    return cwd / out / 'config.py', cwd / out / 'stitch.pth'


def tool_path(package: str, tool: str) -> Path:
    """``<package>/.mim/tools/<tool>.py`` of an installed OpenMMLab package."""
    path = Path(importlib.import_module(package).__file__).parent / '.mim' / 'tools' / f'{tool}.py'
    assert path.exists(), f'{package} ships no {tool}.py at {path}'
    return path


def run(args: list[str], cwd: Path, *, timeout: int = 600, nproc: int = 1) -> str:
    """Run a tool (under torchrun when ``nproc > 1``); fail with its output tail on error."""
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': str(ROOT)}
    cmd = [sys.executable]
    if nproc > 1:
        port = str(20000 + os.getpid() % 20000)
        cmd += ['-m', 'torch.distributed.run', '--nproc_per_node', str(nproc), '--master_port', port]
        args = [*args, '--launcher', 'pytorch']
    result = subprocess.run(cmd + [str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return output


def scalars(work_dir: Path) -> list[dict]:
    """The records of the newest run's ``vis_data/scalars.json``."""
    path = sorted(Path(work_dir).glob('*/vis_data/scalars.json'))[-1]
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def metric(output: str, name: str) -> float:
    """The last ``name: value`` printed (e.g. the test loop's ``mIoU: 29.67``)."""
    values = re.findall(rf'(?<![\w/]){re.escape(name)}: ([-\d.]+)', output)
    assert values, f'no {name} in the output:\n{output[-3000:]}'
    return float(values[-1])
