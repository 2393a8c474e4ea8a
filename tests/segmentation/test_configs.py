"""Every segmentation config builds its model (no data, no weights)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip('mmseg')
from mmengine.config import Config  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import build_config_model  # noqa: E402

CONFIGS = sorted((Path(__file__).resolve().parents[2] / 'configs' / 'segmentation').glob('*.py'))


def build_model(path: Path):
    return build_config_model(path, 'mmseg')


@pytest.mark.parametrize('path', CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_builds(path):
    cfg, model = build_model(path)
    backbone = model.backbone
    assert type(backbone).__name__ == 'SNNetv2'
    tiny = 'tiny' in path.name
    assert backbone.num_stitches == (4 if tiny else 134)
    assert cfg.model_wrapper_cfg == dict(type='StitchDistributedDataParallel')  # DDP: find_unused_parameters
    assert cfg.find_unused_parameters is True
    assert any(h['type'] == 'StitchSamplingHook' for h in cfg.custom_hooks)
    if not tiny:
        assert cfg.train_dataloader.batch_size == 2  # x 8 GPUs = 16 images/iter
        assert backbone.stitches[backbone.default_stitch].route == 'L[0:24]'


def test_setr_recipe_is_the_papers():
    cfg, _ = build_model(next(p for p in CONFIGS if p.name.startswith('setr-naive') and 'ade20k-512' in p.name))
    assert cfg.train_cfg.max_iters == 160000
    assert cfg.optim_wrapper.optimizer.type == 'SGD' and cfg.optim_wrapper.optimizer.lr == 0.01
    assert cfg.param_scheduler[0].type == 'PolyLR'
    assert cfg.model.test_cfg.mode == 'slide' and tuple(cfg.model.test_cfg.stride) == (341, 341)
    assert len(cfg.model.auxiliary_head) == 3
    coco = Config.fromfile(next(p for p in CONFIGS if 'coco-stuff10k-512' in p.name))
    assert coco.train_cfg.max_iters == 80000
    assert coco.model.decode_head.num_classes == 171
    assert all(h.num_classes == 171 and h.type == 'SETRUPHead' for h in coco.model.auxiliary_head)


@pytest.mark.parametrize('name', ['ade20k-512', 'coco-stuff10k-512'])
def test_setr_optimizer_is_the_one_that_ran(name):
    """The official config's `optimizer=dict(weight_decay=0.0, paramwise_cfg=head x10)` never
    reached its optim_wrapper: the runner built SGD 0.01, momentum 0.9, weight decay 5e-4 with
    one lr for head and backbone. Built here the way the upstream runner builds it."""
    from mmengine.optim import build_optim_wrapper
    cfg, model = build_model(next(p for p in CONFIGS if p.name.startswith('setr-naive') and name in p.name))
    optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    assert type(optimizer).__name__ == 'SGD'
    names = {id(p): n for n, p in model.named_parameters()}
    seen = set()
    for group in optimizer.param_groups:
        for param in group['params']:
            seen.add(names[id(param)].split('.')[0])
        assert (group['lr'], group['momentum'], group['weight_decay']) == (0.01, 0.9, 0.0005)
    assert {'backbone', 'decode_head', 'auxiliary_head'} <= seen
