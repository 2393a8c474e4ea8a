"""Every detection config builds its model (no data, no weights); the tiny one reads the tiny data."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

pytest.importorskip('mmdet')
from mmengine.config import Config  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import build_config_model  # noqa: E402

from snnet_mm.tiny_data import make_tiny_data  # noqa: E402
from snnet_mm.tiny_data.coco import CLASSES  # noqa: E402

CONFIGS = sorted((Path(__file__).resolve().parents[2] / 'configs' / 'detection').glob('*.py'))
FULL = next(p for p in CONFIGS if 'tiny' not in p.name)
TINY = next(p for p in CONFIGS if 'tiny' in p.name)


def build_model(path: Path):
    return build_config_model(path, 'mmdet')


def param_groups(cfg, model) -> dict[str, dict]:
    """Parameter name -> its optimizer group (lr, weight_decay), as the config's optimizer builds it."""
    from mmengine.logging import MMLogger
    from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
    wrapper = dict(cfg.optim_wrapper)
    paramwise = wrapper.pop('paramwise_cfg')
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.get(wrapper.pop('constructor', 'DefaultOptimWrapperConstructor'))
    wrapper['type'] = 'OptimWrapper'  # AmpOptimWrapper needs a GPU; the groups are the same
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        optimizer = constructor(wrapper, paramwise)(model).optimizer
    finally:
        logger.setLevel(level)
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(g['params'][0])]: g for g in optimizer.param_groups}


@pytest.mark.parametrize('path', CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_builds(path):
    cfg, model = build_model(path)
    backbone, neck = model.backbone, model.neck
    assert type(model).__name__ == 'MaskRCNN'
    assert type(backbone).__name__ == 'SNNetv2' and type(neck).__name__ == 'SimpleFeaturePyramid'
    tiny = 'tiny' in path.name
    assert backbone.num_stitches == (4 if tiny else 134)
    # The pyramid's declared contract matches the backbone and the heads.
    assert neck.in_channels == backbone.net.anchors[-1].width
    assert list(neck.out_strides) == list(cfg.model.rpn_head.anchor_generator.strides)
    assert list(cfg.model.roi_head.bbox_roi_extractor.featmap_strides) == list(neck.out_strides[:4])
    assert neck.out_channels == cfg.model.rpn_head.in_channels == cfg.model.roi_head.bbox_roi_extractor.out_channels
    assert cfg.model_wrapper_cfg == dict(type='StitchDistributedDataParallel')  # DDP: find_unused_parameters
    assert cfg.find_unused_parameters is True
    assert any(h['type'] == 'StitchSamplingHook' for h in cfg.custom_hooks)
    assert cfg.val_cfg.type == 'StitchValLoop'
    assert set(cfg.val_evaluator.metric) == {'bbox', 'segm'}
    if not tiny:
        assert cfg.train_dataloader.batch_size == 4  # x 16 GPUs = 64 images/iter (ViTDet)
        assert backbone.stitches[backbone.default_stitch].route == 'L[0:24]'
        assert cfg.model.backbone.out_indices == (23,)
        assert all(a.img_size == 1024 for a in cfg.model.backbone.anchors)


def test_tiny_config_runs_on_cpu_and_reads_tiny_data():
    cfg = Config.fromfile(TINY)
    text = cfg.pretty_text
    assert 'SyncBN' not in text
    assert cfg.optim_wrapper.type == 'OptimWrapper'  # AMP needs a GPU
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        assert loader.num_workers == 0 and loader.persistent_workers is False
    assert cfg.train_dataloader.dataset.dataset.data_root == 'data/tiny/coco/'
    assert cfg.test_dataloader.dataset.data_root == 'data/tiny/coco/'
    assert cfg.test_evaluator.ann_file == 'data/tiny/coco/annotations/instances_val2017.json'
    assert tuple(cfg.train_dataloader.dataset.dataset.metainfo.classes) == CLASSES
    assert tuple(cfg.test_dataloader.dataset.metainfo.classes) == CLASSES
    assert cfg.model.roi_head.bbox_head.num_classes == cfg.model.roi_head.mask_head.num_classes == len(CLASSES)
    hook = next(h for h in cfg.custom_hooks if h['type'] == 'StitchSamplingHook')
    assert hook['num_init_images'] <= 24 and hook['gap_gflops'] < 0.01


def test_tiny_sampling_gap_gives_several_groups():
    from snnet_mm.stitching.sampling import group_by_flops
    cfg, model = build_model(TINY)
    hook = next(h for h in cfg.custom_hooks if h['type'] == 'StitchSamplingHook')
    gflops = [c.flops / 1e9 for c in model.backbone.stitch_costs((128, 128))]
    assert len(group_by_flops(gflops, range(len(gflops)), hook['gap_gflops'])) > 1


def test_full_recipe_is_vitdets_with_stitch_aware_layer_decay():
    cfg, model = build_model(FULL)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.optimizer.type == 'AdamW' and cfg.optim_wrapper.optimizer.lr == 1e-4
    assert cfg.train_cfg.max_iters == 184375
    assert cfg.param_scheduler[1].milestones == [163889, 177546]
    assert [t.type for t in cfg.train_dataloader.dataset.dataset.pipeline][2:4] == ['RandomResize', 'RandomCrop']
    assert cfg.train_dataloader.dataset.dataset.pipeline[2].ratio_range == (0.1, 2.0)  # large-scale jitter
    assert cfg.model.data_preprocessor.batch_augments[0].size == (1024, 1024)
    groups = param_groups(cfg, model)
    lr = 1e-4
    small, large = 'backbone.net.anchors.0.model.', 'backbone.net.anchors.1.model.'
    assert groups[large + 'blocks.23.attn.qkv.weight']['lr'] == pytest.approx(lr * 0.8)
    assert groups[large + 'blocks.0.mlp.fc1.weight']['lr'] == pytest.approx(lr * 0.8 ** 24)
    assert groups[large + 'blocks.20.attn.qkv.weight']['lr'] == pytest.approx(lr * 0.8 ** 4)  # not blocks.2
    assert groups[large + 'blocks.2.attn.qkv.weight']['lr'] == pytest.approx(lr * 0.8 ** 22)
    # DeiT3-S block i at the DeiT3-L layer of the same relative depth, 2 (i + 1).
    assert groups[small + 'blocks.11.mlp.fc2.weight']['lr'] == pytest.approx(lr * 0.8)
    assert groups[small + 'blocks.0.attn.proj.weight']['lr'] == pytest.approx(lr * 0.8 ** 23)
    assert groups[small + 'patch_embed.proj.weight']['lr'] == pytest.approx(lr * 0.8 ** 25)
    assert groups[large + 'pos_embed']['weight_decay'] == 0 and groups[small + 'cls_token']['weight_decay'] == 0
    assert groups[large + 'blocks.5.norm1.weight']['weight_decay'] == 0
    assert groups[large + 'blocks.5.norm1.weight']['lr'] == pytest.approx(lr * 0.8 ** 19)
    assert groups[large + 'blocks.5.mlp.fc1.weight']['weight_decay'] == 0.1
    # Stitching layers after their jump point (DeiT3-L boundary B: layer B + 1); pyramid and heads
    # at the full rate, no decay on their norms.
    assert groups['backbone.net.stitch_layers.a0_to_a1_at4.lora_b']['lr'] == pytest.approx(lr * 0.8 ** 16)
    assert groups['backbone.net.stitch_layers.a1_to_a0_at10.bias']['lr'] == pytest.approx(lr * 0.8 ** 4)
    norm = next(n for n, m in model.named_modules() if n.startswith('neck.') and type(m).__name__ == 'LayerNorm2d')
    assert groups[f'{norm}.weight']['lr'] == lr and groups[f'{norm}.weight']['weight_decay'] == 0
    assert groups['roi_head.bbox_head.shared_convs.0.conv.weight']['weight_decay'] == 0.1


def test_tiny_config_reads_the_generated_coco_data(tmp_path, monkeypatch):
    from mmdet.registry import DATASETS
    from mmdet.utils import register_all_modules
    register_all_modules()
    make_tiny_data('coco', str(tmp_path / 'data/tiny/coco'), num_train=6, num_val=2)
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(TINY)
    train = DATASETS.build(cfg.train_dataloader.dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert len(train) == 6 and len(val) == 2
    assert tuple(train.metainfo['classes']) == CLASSES
    sample = train[0]
    instances = sample['data_samples'].gt_instances
    assert len(instances) >= 1 and instances.masks.masks.shape[0] == len(instances)
    assert set(instances.labels.tolist()) <= set(range(len(CLASSES)))
    assert max(sample['inputs'].shape[-2:]) <= 128


def test_tiny_coco_annotations_are_consistent(tmp_path):
    """Polygons rasterise to the shapes' pixels, boxes are tight, categories cover several classes."""
    import numpy as np
    from pycocotools.coco import COCO
    root = make_tiny_data('coco', str(tmp_path / 'coco'), num_train=8, num_val=2, seed=3)
    for split, count in (('train', 8), ('val', 2)):
        coco = COCO(str(root / 'annotations' / f'instances_{split}2017.json'))
        assert len(coco.getImgIds()) == count == len(list((root / f'{split}2017').glob('*.jpg')))
        assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == list(CLASSES)
        for ann in coco.loadAnns(coco.getAnnIds()):
            mask = coco.annToMask(ann).astype(bool)
            assert abs(int(mask.sum()) - ann['area']) <= 0.05 * ann['area']
            ys, xs = np.nonzero(mask)
            x, y, w, h = ann['bbox']
            assert abs(xs.min() - x) <= 1 and abs(ys.min() - y) <= 1
            assert abs(xs.max() + 1 - (x + w)) <= 1 and abs(ys.max() + 1 - (y + h)) <= 1
    train = COCO(str(root / 'annotations' / 'instances_train2017.json'))
    assert len({a['category_id'] for a in train.loadAnns(train.getAnnIds())}) > 1
