"""Layer-wise lr decay: ``SNNetv2.get_layer_depth`` with mmpretrain's constructor and ours."""
from __future__ import annotations

import pytest
import torch

pytest.importorskip('mmengine')
from mmengine.model import BaseModel  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmengine.registry import MODELS  # noqa: E402

from conftest import tiny_anchor  # noqa: E402

import snnet_mm  # noqa: E402,F401

RATE = 0.5
WRAPPER = dict(optimizer=dict(type='AdamW', lr=1.0, weight_decay=0.1),
               paramwise_cfg=dict(layer_decay_rate=RATE, norm_decay_mult=0.0))
# Anchors of depth 2 (small) and 4 (large): 4 + 2 = 6 layers, a parameter at layer i trains at
# lr * RATE ** (6 - i - 1). Small boundary b meets large boundary 2b.
EXPECTED_LAYER = {
    'backbone.net.anchors.1.model.pos_embed': 0,
    'backbone.net.anchors.0.model.patch_embed.proj.weight': 0,
    'backbone.net.anchors.1.model.blocks.0.attn.qkv.weight': 1,
    'backbone.net.anchors.1.model.blocks.3.mlp.fc2.weight': 4,
    'backbone.net.anchors.0.model.blocks.0.attn.qkv.weight': 2,  # ends at small 1 = large 2
    'backbone.net.anchors.0.model.blocks.1.norm1.weight': 4,  # ends at small 2 = large 4
    'backbone.net.stitch_layers.a0_to_a1_at1.bias': 3,  # S[0:1] -> L[2:4]: jump at large 2
    'backbone.net.stitch_layers.a1_to_a0_at1.lora_b': 3,  # L[0:2] -> S[1:2]: jump at large 2
    'backbone.net.anchors.1.model.norm.weight': 5,  # after the blocks
    'head.weight': 5,
}


class Classifier(BaseModel):
    """A stitched backbone with a head outside it (like mmseg/mmdet models: no get_layer_depth)."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = MODELS.build(dict(type='SNNetv2', anchors=[tiny_anchor(2, 32), tiny_anchor(4, 64)],
                                          lora_rank=2))
        self.head = torch.nn.Linear(10, 3)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.head(self.backbone(inputs)[0])


def lrs(optimizer) -> dict[str, float]:
    return {g['param_name']: g['lr'] for g in optimizer.param_groups if 'param_name' in g}


def named_groups(model, optimizer) -> dict[str, dict]:
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(g['params'][0])]: g for g in optimizer.param_groups}


def test_root_constructor_applies_the_rule_to_a_model_without_get_layer_depth():
    model = Classifier()
    wrapper = build_optim_wrapper(model, dict(WRAPPER, constructor='LayerDecayOptimWrapperConstructor'))
    groups = named_groups(model, wrapper.optimizer)
    for name, layer in EXPECTED_LAYER.items():
        assert groups[name]['lr'] == pytest.approx(RATE ** (6 - layer - 1)), name
    assert groups['backbone.net.anchors.1.model.blocks.0.norm1.weight']['weight_decay'] == 0
    assert groups['backbone.net.anchors.1.model.blocks.0.attn.qkv.weight']['weight_decay'] == 0.1
    assert len(groups) == sum(p.requires_grad for p in model.parameters())


def test_every_backbone_parameter_has_a_depth_and_only_embeddings_are_at_zero():
    backbone = Classifier().backbone
    depths = {n: backbone.get_layer_depth(f'backbone.{n}', 'backbone.') for n, _ in backbone.named_parameters()}
    assert {n for n, (layer, _) in depths.items() if layer == 0} == {
        f'net.anchors.{a}.model.{p}' for a in (0, 1)
        for p in ('cls_token', 'pos_embed', 'patch_embed.proj.weight', 'patch_embed.proj.bias')}
    assert {total for _, total in depths.values()} == {6}
    assert backbone.get_layer_depth('neck.conv.weight', 'backbone.') == (5, 6)


def test_mmpretrain_constructor_uses_get_layer_depth():
    pytest.importorskip('mmpretrain')
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    from mmpretrain.utils import register_all_modules
    register_all_modules()
    model = PRETRAIN_MODELS.build(dict(
        type='ImageClassifier', init_cfg=None,
        backbone=dict(type='SNNetv2', anchors=[tiny_anchor(2, 32), tiny_anchor(4, 64)], lora_rank=2),
        head=dict(type='ClsHead', loss=dict(type='CrossEntropyLoss'))))
    from mmpretrain.engine.optimizers import LearningRateDecayOptimWrapperConstructor
    wrapper = LearningRateDecayOptimWrapperConstructor(dict(type='OptimWrapper', optimizer=WRAPPER['optimizer']),
                                                       dict(layer_decay_rate=RATE))(model)
    got = lrs(wrapper.optimizer)
    for name, layer in EXPECTED_LAYER.items():
        if name.startswith('backbone.'):
            assert got[name] == pytest.approx(RATE ** (6 - layer - 1)), name


@pytest.mark.parametrize('rate', [0, 1.5, 'high', True])
def test_bad_rate_is_named(rate):
    from snnet_mm.engine import LayerDecayOptimWrapperConstructor
    with pytest.raises(ValueError, match='layer_decay_rate'):
        LayerDecayOptimWrapperConstructor(dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)),
                                          dict(layer_decay_rate=rate))


def test_model_without_layer_depth_is_refused():
    from snnet_mm.engine import LayerDecayOptimWrapperConstructor
    constructor = LayerDecayOptimWrapperConstructor(dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)),
                                                    dict(layer_decay_rate=0.5))
    with pytest.raises(ValueError, match='get_layer_depth'):
        constructor(torch.nn.Sequential(torch.nn.Linear(2, 2)))
