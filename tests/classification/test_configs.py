"""Every classification config builds its model; the recipe and anchor weights survive init."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

pytest.importorskip('mmpretrain')
from mmengine.config import Config  # noqa: E402

CONFIGS = sorted((Path(__file__).resolve().parents[2] / 'configs' / 'classification').glob('*.py'))


def load(path: Path) -> Config:
    cfg = Config.fromfile(path)
    for anchor in cfg.model.backbone.anchors:
        anchor.checkpoint = None  # the anchors' weight files are the user's
    return cfg


def build(cfg: Config):
    from mmpretrain.registry import MODELS
    from mmpretrain.utils import register_all_modules
    register_all_modules()
    return MODELS.build(cfg.model)


@pytest.mark.parametrize('path', CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_builds(path):
    cfg = load(path)
    with torch.device('meta'):
        model = build(cfg)
    expected = {'snnetv2_deit3-s-l_8xb128_in1k.py': 134, 'snnet-v1_deit-ti-s-b_8xb128_in1k.py': 71}
    assert model.backbone.num_stitches == expected.get(path.name, 4)
    assert cfg.model.init_cfg is None
    assert cfg.find_unused_parameters is True


def test_recipe_is_the_papers():
    cfg = load(next(p for p in CONFIGS if p.name.startswith('snnetv2_deit3')))
    assert cfg.optim_wrapper.optimizer.type == 'Lamb' and cfg.optim_wrapper.optimizer.lr == 3e-5
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.02
    assert cfg.train_cfg.max_epochs == 50 and cfg.param_scheduler[0].end == 5
    assert cfg.param_scheduler[1].type == 'CosineAnnealingLR'
    assert cfg.model.train_cfg.augments == [dict(type='CutMix', alpha=1.0)]
    assert cfg.model.head.loss.label_smooth_val == 0.1
    assert [a.drop_path_rate for a in cfg.model.backbone.anchors] == [0.05, 0.4]
    assert cfg.model.backbone.lora_rank == 64 and cfg.custom_hooks[0].gap_gflops == 1.0


def test_model_init_keeps_pretrained_anchors_and_uses_their_heads(tmp_path):
    import timm
    cfg = load(next(p for p in CONFIGS if 'tiny' in p.name))
    small = cfg.model.backbone.anchors[0]
    plain = timm.create_model(small.name, img_size=small.img_size, **small.model_kwargs)
    torch.save(plain.state_dict(), tmp_path / 'small.pth')
    small.checkpoint = str(tmp_path / 'small.pth')
    model = build(cfg)
    model.init_weights()
    for key, value in plain.state_dict().items():
        torch.testing.assert_close(model.backbone.net.anchors[0].model.state_dict()[key], value)
    x = torch.randn(2, 3, 32, 32)
    model.eval()
    model.backbone.set_stitch(model.backbone.net.anchor_stitch(0))
    plain.eval()
    torch.testing.assert_close(model(x, mode='tensor'), plain(x))
