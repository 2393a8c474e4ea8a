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
    if 'teacher' in cfg.model:  # a random teacher: no download, no weight file
        cfg.model.teacher = dict(cfg.model.teacher, checkpoint=None, pretrained=False)
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
    expected = {'snnetv2_deit3-s-l_8xb64_in1k.py': 134, 'snnet-v1_deit-ti-s-b_8xb128_in1k.py': 71}
    assert model.backbone.num_stitches == expected.get(path.name, 4)
    assert cfg.model.init_cfg is None
    assert cfg.model_wrapper_cfg == dict(type='StitchDistributedDataParallel')  # DDP: find_unused_parameters
    assert cfg.find_unused_parameters is True


def test_recipe_is_the_one_the_official_code_ran():
    cfg = load(next(p for p in CONFIGS if p.name.startswith('snnetv2_deit3')))
    assert cfg.optim_wrapper.optimizer.type == 'Lamb' and cfg.optim_wrapper.optimizer.lr == 3e-5
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.02
    assert cfg.train_cfg.max_epochs == 50 and cfg.param_scheduler[0].end == 5
    assert cfg.param_scheduler[0].start_factor * 3e-5 == pytest.approx(1e-7)  # warmup_lr
    assert cfg.param_scheduler[1].type == 'CosineAnnealingLR' and cfg.param_scheduler[1].eta_min == 1e-5
    assert cfg.train_dataloader.batch_size == 64  # x 8 GPUs = 512, lr unscaled
    sampler = cfg.train_dataloader.sampler
    assert (sampler.type, sampler.num_repeats, sampler.shuffle) == ('RepeatAugSampler', 3, True)
    train = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert train[1:6] == ['ResizeEdge', 'RandomCrop', 'RandomFlip', 'RandomChoice', 'ColorJitter']  # 3-Augment
    assert 'RandAugment' not in train and 'RandomErasing' not in train
    test = cfg.test_dataloader.dataset.pipeline
    assert test[1].scale == 224 and test[2].crop_size == 224  # eval crop ratio 1.0
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


def test_v1_recipe_is_the_one_the_official_code_ran():
    cfg = load(next(p for p in CONFIGS if p.name.startswith('snnet-v1')))
    assert cfg.model.type == 'DistilledImageClassifier' and cfg.model.distillation_type == 'hard'
    assert cfg.model.alpha == 0.5 and cfg.model.teacher.name == 'regnety_160.deit_in1k'
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'AdamW' and optimizer.lr == pytest.approx(1e-4) and optimizer.weight_decay == 0.05
    assert cfg.train_dataloader.batch_size == 128 and cfg.train_dataloader.sampler.type == 'RepeatAugSampler'
    assert cfg.param_scheduler[1].eta_min == 1e-6 and cfg.train_cfg.max_epochs == 50
    assert [a['type'] for a in cfg.model.train_cfg.augments] == ['Mixup', 'CutMix']
    assert {t['type'] for t in cfg.train_dataloader.dataset.pipeline} >= {'RandAugment', 'RandomErasing'}
    assert [a.drop_path_rate for a in cfg.model.backbone.anchors] == [0.1] * 3
    assert cfg.custom_hooks[0].strategy == 'uniform' and cfg.custom_hooks[0].num_init_images == 100


def test_s_l_training_pipeline_runs_on_an_image(tmp_path):
    """The 3-Augment pipeline builds and gives 224x224 crops (PIL decoding)."""
    import numpy as np
    from mmengine.dataset import Compose
    from mmpretrain.utils import register_all_modules
    from PIL import Image
    register_all_modules()
    cfg = load(next(p for p in CONFIGS if p.name.startswith('snnetv2_deit3')))
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 400, 3), dtype=np.uint8)).save(tmp_path / 'a.jpg')
    for pipeline in (cfg.train_dataloader.dataset.pipeline, cfg.test_dataloader.dataset.pipeline):
        for _ in range(3):
            out = Compose(pipeline)(dict(img_path=str(tmp_path / 'a.jpg'), gt_label=1))
            assert tuple(out['inputs'].shape) == (3, 224, 224)


@pytest.mark.parametrize('prefix, decay', [('snnetv2_deit3', 0.02), ('snnet-v1', 0.05)])
def test_weight_decay_skips_only_one_dimensional_parameters_as_timm_did(prefix, decay):
    """timm's create_optimizer skipped 1-D parameters only: the official SNNet wrappers have no
    no_weight_decay(), so position embeddings and class tokens were decayed."""
    from mmengine.optim import build_optim_wrapper
    cfg = load(next(p for p in CONFIGS if p.name.startswith(prefix)))
    model = build(load(next(p for p in CONFIGS if 'tiny' in p.name)))
    optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    names = {id(p): n for n, p in model.named_parameters()}
    for group in optimizer.param_groups:
        for param in group['params']:
            assert group['weight_decay'] == pytest.approx(0.0 if param.ndim <= 1 else decay), names[id(param)]
    assert any(names[id(g['params'][0])].endswith('pos_embed') and g['weight_decay'] > 0
               for g in optimizer.param_groups)
