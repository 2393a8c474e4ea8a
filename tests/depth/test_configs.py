"""Every depth config builds its model (no data, no weights); the full one is SN-Netv2's recipe."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

pytest.importorskip('mmseg')
from mmengine.config import Config  # noqa: E402

CONFIGS = sorted((Path(__file__).resolve().parents[2] / 'configs' / 'depth').glob('*.py'))
FULL = next(p for p in CONFIGS if 'deit3-s-l' in p.name)
TINY = next(p for p in CONFIGS if 'tiny' in p.name)


def load(path: Path) -> Config:
    cfg = Config.fromfile(path)
    for anchor in cfg.model.backbone.anchors:
        anchor.checkpoint = None  # the anchors' weight files are the user's
    return cfg


def build_model(cfg: Config, device: str = 'meta'):
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules
    register_all_modules()
    with torch.device(device):
        return MODELS.build(cfg.model)


def transform(pipeline, name: str) -> dict:
    return next(t for t in pipeline if t['type'] == name)


@pytest.mark.parametrize('path', CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_builds(path):
    cfg = load(path)
    model = build_model(cfg)
    tiny = 'tiny' in path.name
    assert type(model).__name__ == 'DepthEstimator'
    assert type(model.backbone).__name__ == 'SNNetv2' and model.backbone.net.with_cls_token
    assert type(model.decode_head).__name__ == 'DPTDepthHead'
    assert model.decode_head.readout_type == 'project'
    assert model.backbone.num_stitches == (4 if tiny else 134)
    assert cfg.model_wrapper_cfg == dict(type='StitchDistributedDataParallel')  # DDP: find_unused_parameters
    assert cfg.find_unused_parameters is True
    assert cfg.custom_hooks[0].type == 'StitchSamplingHook'
    assert cfg.val_cfg.type == 'StitchValLoop'
    assert cfg.train_dataloader.dataset.type == 'NYUDataset'
    assert cfg.val_evaluator.type == 'DepthMetric'
    assert cfg.model.data_preprocessor.seg_pad_val == 0  # padded depth is "no depth", not 255 m
    head = model.decode_head
    assert (head.min_depth, head.max_depth) == (1e-3, 10.0)
    assert (cfg.val_evaluator.min_depth_eval, cfg.val_evaluator.max_depth_eval) == (1e-3, 10.0)
    assert type(head.loss_decode).__name__ == 'SigLoss' and head.loss_decode.warm_up
    assert head.activation == 'relu'
    assert transform(cfg.train_pipeline, 'LoadDepthAnnotation').depth_rescale_factor == 1e-3
    if tiny:
        assert cfg.train_dataloader.dataset.data_root == 'data/tiny/nyu'
        assert cfg.train_dataloader.num_workers == 0 and cfg.train_dataloader.persistent_workers is False
        assert cfg.val_dataloader.num_workers == 0 and cfg.val_dataloader.persistent_workers is False
        assert cfg.val_evaluator.crop_type is None
    else:
        assert model.backbone.stitches[model.backbone.default_stitch].route == 'L[0:24]'


def test_full_config_is_the_published_recipe():
    cfg = load(FULL)
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop' and cfg.train_cfg.max_epochs == 24
    assert cfg.train_dataloader.batch_size == 2  # x 8 GPUs = 16 images/iter
    assert cfg.train_dataloader.sampler.type == 'DefaultSampler'
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'AdamW' and optimizer.lr == 2e-5
    assert tuple(transform(cfg.train_pipeline, 'RandomCrop').crop_size) == (416, 544)
    assert tuple(cfg.model.data_preprocessor.size) == (416, 544)
    backbone = cfg.model.backbone
    assert tuple(backbone.out_indices) == (4, 11, 17, 23) and backbone.lora_rank == 16
    assert [a.name for a in backbone.anchors] == ['deit3_small_patch16_224', 'deit3_large_patch16_224']
    head = cfg.model.decode_head
    assert head.in_channels == 1024 and head.channels == 256 and head.norm_cfg is None
    assert tuple(head.post_process_channels) == (96, 192, 384, 768)
    assert cfg.val_evaluator.crop_type == 'nyu_crop'
    assert cfg.default_hooks.checkpoint.save_best == 'rmse' and cfg.default_hooks.checkpoint.rule == 'less'
    assert cfg.custom_hooks[0].num_init_images == 10 and cfg.custom_hooks[0].gap_gflops == 10.0
    # The stitch space's DeiT3-S taps are the official small anchor's out_indices (2, 5, 8, 11).
    from snnet_mm.stitching.stitch import map_block
    assert [map_block(j, 12, 24) for j in backbone.out_indices] == [2, 5, 8, 11]


@pytest.mark.filterwarnings('ignore:Detected call of `scheduler.step\\(\\)` before')
def test_full_config_schedule_is_the_one_cycle_that_ran_one_lr_for_every_group():
    """mmcv's OneCycle hook gave every group the same lr (the x0.1 backbone key had no effect)
    and cycled AdamW's beta1 0.95 -> 0.85 -> 0.95; built from the config itself."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import PARAM_SCHEDULERS
    cfg = load(FULL)
    model = build_model(load(TINY), device='cpu')  # tiny model, the full config's optimizer
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    names = {id(p): n for n, p in model.named_parameters()}
    for group in wrapper.optimizer.param_groups:
        name = names[id(group['params'][0])]
        expected_decay = 0.0 if name.endswith(('pos_embed', 'cls_token')) else 0.01
        assert group['weight_decay'] == pytest.approx(expected_decay), name
    epoch_length = 10
    # What the runner does for by_epoch schedulers with convert_to_iter_based=True.
    schedulers = [PARAM_SCHEDULERS.get(s['type']).build_iter_from_epoch(
        wrapper.optimizer, **{k: v for k, v in s.items() if k not in ('type', 'convert_to_iter_based')},
        epoch_length=epoch_length) for s in cfg.param_scheduler]
    groups = wrapper.optimizer.param_groups
    head = next(g for g in groups if names[id(g['params'][0])].startswith('decode_head.'))
    body = next(g for g in groups if names[id(g['params'][0])].startswith('backbone.'))
    head_lr, backbone_lr, beta1 = [], [], []
    for _ in range(cfg.train_cfg.max_epochs * epoch_length):
        head_lr.append(head['lr'])
        backbone_lr.append(body['lr'])
        beta1.append(head['betas'][0])
        for s in schedulers:
            s.step()
    peak = max(range(len(head_lr)), key=head_lr.__getitem__)
    assert peak == pytest.approx(0.3 * len(head_lr), abs=1)
    assert head_lr[peak] == pytest.approx(2e-5) and head_lr[0] == pytest.approx(2e-5 / 25)
    assert head_lr[-1] == pytest.approx(2e-5 / 2500, rel=0.05)
    assert backbone_lr == pytest.approx(head_lr)
    low = min(range(len(beta1)), key=beta1.__getitem__)
    assert beta1[0] == pytest.approx(0.95) and beta1[low] == pytest.approx(0.85, abs=1e-3)
    assert low == pytest.approx(peak, abs=1) and beta1[-1] == pytest.approx(0.95, abs=1e-3)


def test_full_config_training_never_sees_the_unlabelled_nyu_border(tmp_path):
    """NYUCrop runs before the random 416x544 crop: no border pixel of the 480x640 frame
    (depth marked 9.999 m there) reaches the model, whatever the random crop."""
    import numpy as np
    from mmseg.registry import DATASETS
    from mmseg.utils import register_all_modules
    from PIL import Image

    from snnet_mm.tiny_data import make_nyu_dataset
    register_all_modules()
    root = make_nyu_dataset(tmp_path / 'nyu', num_train=1, num_val=1, size=(480, 640))
    mark = 9999  # millimetres; the synthetic scenes lie within 0.5..8 m
    for png in (root / 'annotations' / 'train').glob('*.png'):
        depth = np.array(Image.open(png))
        border = np.ones_like(depth, dtype=bool)
        border[45:472, 43:608] = False
        depth[border] = mark
        depth[~border] = np.clip(depth[~border], 1, 8000)
        Image.fromarray(depth).save(png)
    cfg = load(FULL)
    train = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=str(root)))
    np.random.seed(0)
    for _ in range(12):
        depth = train[0]['data_samples'].gt_depth_map.data
        assert depth.shape == (1, 416, 544)
        assert not torch.isclose(depth, torch.tensor(mark / 1000)).any()


def test_full_config_pipelines_run_on_nyu_sized_images(tmp_path):
    """The full config's own train/test pipelines on 480x640 images in the NYU layout."""
    from mmseg.registry import DATASETS
    from mmseg.utils import register_all_modules

    from snnet_mm.tiny_data import make_nyu_dataset
    register_all_modules()
    root = make_nyu_dataset(tmp_path / 'nyu', num_train=2, num_val=1, size=(480, 640))
    cfg = load(FULL)
    train = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=str(root)))
    test = DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=str(root)))
    assert len(train) == 2 and len(test) == 1
    for _ in range(4):  # random rotation, flip, crop and colour jitter
        item = train[0]
        depth = item['data_samples'].gt_depth_map.data
        assert item['inputs'].shape == (3, 416, 544) and depth.shape == (1, 416, 544)
        assert depth.min() >= 0 and depth.max() <= 10.0 and (depth > 0).float().mean() > 0.5  # 0: no depth
    item = test[0]
    assert item['inputs'].shape == (3, 480, 640)
    assert item['data_samples'].gt_depth_map.data.shape == (1, 480, 640)
    assert item['data_samples'].metainfo['category_id'] >= 0
