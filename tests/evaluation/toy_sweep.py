"""A stitch sweep config on the toy stitched classifier: tools/test_stitches.py in a second."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import torch
from mmengine.registry import DATASETS, METRICS, MODELS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'engine'))
from toy import ToyAccuracy, ToyImages, ToyStitchedClassifier  # noqa: E402

MODELS.register_module(module=ToyStitchedClassifier, force=True)
DATASETS.register_module(module=ToyImages, force=True)
METRICS.register_module(module=ToyAccuracy, force=True)

CONFIG = """
custom_imports = dict(imports=['toy_sweep'], allow_failed_imports=False)
model = dict(type='ToyStitchedClassifier', depths=(2, 4))
test_dataloader = dict(dataset=dict(type='ToyImages', size=8), sampler=dict(type='DefaultSampler', shuffle=False),
                       batch_size=4, num_workers=0, collate_fn=dict(type='default_collate'))
test_evaluator = dict(type='ToyAccuracy')
test_cfg = dict(type='TestLoop')
"""


def write_config(root: Path) -> Path:
    path = root / 'toy_sweep_config.py'
    path.write_text(CONFIG)
    return path


def write_checkpoint(path: Path, seed: int = 0) -> Path:
    """A toy model's checkpoint (random weights of ``seed``)."""
    torch.manual_seed(seed)
    torch.save(dict(state_dict=ToyStitchedClassifier(depths=(2, 4)).state_dict(), meta={}), path)
    return path


def argv(config: Path, checkpoint: Path | str, work_dir: Path | str, *extra: str,
         cfg_options: tuple[str, ...] = ()) -> list[str]:
    """tools/test_stitches.py arguments (no latency timing, a fresh experiment name per run)."""
    return [str(config), str(checkpoint), '--work-dir', str(work_dir), '--latency-iters', '0', *extra,
            '--cfg-options', f'experiment_name={uuid.uuid4().hex}', *cfg_options]


def sweep(*args, **kwargs) -> list[dict]:
    """tools/test_stitches.py run in-process with ``argv(*args, **kwargs)``; its records."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tools_loader import load_tool
    return load_tool('test_stitches').main(argv(*args, **kwargs))


def toy_workspace(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """Work in ``tmp_path`` with the toy sweep config and a checkpoint; returns both paths."""
    monkeypatch.chdir(tmp_path)
    return write_config(tmp_path), write_checkpoint(tmp_path / 'model.pth')
