"""Family configs (ResNet, Swin) build their models with the official stitch counts and widths."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import CONFIGS, build_config_model  # noqa: E402

FAMILIES = CONFIGS / 'families'
CLS = sorted((FAMILIES / 'classification').glob('*.py'))
SEG = sorted((FAMILIES / 'segmentation').glob('*.py'))
DET = sorted((FAMILIES / 'detection').glob('*.py'))
CLS_TINY = FAMILIES / 'classification' / 'snnet-v1_resnet_tiny_imagenet-32px.py'
# Official SN-Net v1 stitch counts plus the anchors.
COUNTS = {'r18-r50': 8 + 2, 'r18-swin-t': 6 + 2, 'swin-t-s-b': 38 + 3, 'swin-t-s': 19 + 2, 'levit-192-256': 6 + 2}


def expected_count(path: Path) -> int:
    if 'tiny' in path.name:
        return {'snnet-v1_resnet_tiny_imagenet-32px.py': 4 + 2, 'snnet-v1_levit_tiny_imagenet-32px.py': 4 + 2}[path.name]
    return next(v for k, v in COUNTS.items() if f'_{k}_' in path.name)


@pytest.mark.parametrize('path', CLS, ids=[p.name for p in CLS])
def test_classification_config_builds_with_the_official_count(path):
    pytest.importorskip('mmpretrain')
    cfg, model = build_config_model(path, 'mmpretrain')
    assert model.backbone.num_stitches == expected_count(path)
    assert cfg.model.backbone.mode == 'v1' and cfg.model.init_cfg is None
    assert cfg.model_wrapper_cfg == dict(type='StitchDistributedDataParallel')  # DDP: find_unused_parameters
    assert cfg.find_unused_parameters is True
    assert cfg.model.type == 'DistilledImageClassifier' and cfg.model.distillation_type == 'hard'
    assert cfg.model.alpha == 0.5
    if 'tiny' not in path.name:
        if 'levit' in path.name:  # stitching_levit trains anchors and stitching layers at one lr
            assert 'custom_keys' not in cfg.optim_wrapper.paramwise_cfg
            assert [a.name for a in cfg.model.backbone.anchors] == ['levit_192', 'levit_256']
            assert cfg.train_cfg.max_epochs == 100 and cfg.optim_wrapper.optimizer.weight_decay == 0.025
        else:
            assert cfg.optim_wrapper.paramwise_cfg.custom_keys['backbone.net.anchors'] == dict(lr_mult=0.1)
        assert cfg.model.teacher.name == 'regnety_160.deit_in1k' and 'checkpoint' in cfg.model.teacher


def test_budget_selection_without_input_size_counts_at_the_configured_size():
    """ResNet has no patch embedding: a budget is counted at the anchors' configured img_size,
    or at timm's pretrained input size (224) when none is configured."""
    pytest.importorskip('mmpretrain')
    from mmengine.config import Config

    from snnet_mm.models import SNNetv2
    sized = [dict(a) for a in Config.fromfile(CLS_TINY).model.backbone.anchors]
    free = [dict(a, img_size=None) for a in sized]
    for anchors, size in ((sized, 32), (free, 224)):
        with torch.device('meta'):
            net = SNNetv2(anchors, mode='v1')
        assert net.net.input_size == (size, size)
        gflops = [c.gflops for c in net.stitch_costs(size)]
        budget = sorted(gflops)[3]
        with torch.device('meta'):
            picked = SNNetv2(anchors, mode='v1', stitch=dict(max_gflops=budget))
        fits = [i for i, g in enumerate(gflops) if g <= budget]
        assert picked.default_stitch == max(fits, key=gflops.__getitem__)


@pytest.mark.parametrize('path', SEG + DET, ids=[p.name for p in SEG + DET])
def test_dense_config_builds_and_its_neck_reads_the_top_anchor_widths(path):
    scope = 'mmseg' if path in SEG else 'mmdet'
    pytest.importorskip(scope)
    cfg, model = build_config_model(path, scope)
    backbone = model.backbone
    widths = [s.width for s in backbone.net.anchors[-1].stages]
    if 'tiny' not in path.name:
        assert backbone.num_stitches == expected_count(path)
        assert [a.name for a in cfg.model.backbone.anchors] == ['swin_tiny_patch4_window7_224',
                                                                 'swin_small_patch4_window7_224']
        assert widths == [96, 192, 384, 768]
    consumer = cfg.model.decode_head.in_channels if scope == 'mmseg' else cfg.model.neck.in_channels
    assert list(consumer) == widths
    assert cfg.model.backbone.out_indices == (0, 1, 2, 3)
    assert any(h['type'] == 'StitchSamplingHook' for h in cfg.custom_hooks)
