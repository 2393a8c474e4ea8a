"""The SNNetv2 backbone as OpenMMLab builds and uses it."""
from __future__ import annotations

import pytest
import torch

pytest.importorskip('mmengine')
from conftest import tiny_anchor  # noqa: E402
from mmengine.registry import MODELS  # noqa: E402

import snnet_mm  # noqa: E402,F401
from snnet_mm import SNNetv2  # noqa: E402


def tiny_backbone_cfg(**kwargs) -> dict:
    cfg = dict(type='SNNetv2', anchors=[tiny_anchor(2, 32), tiny_anchor(4, 64)], out_indices=(1, 2, 3))
    cfg.update(kwargs)
    return cfg


@pytest.mark.parametrize('scope', ['mmengine', 'mmseg', 'mmdet', 'mmpretrain'])
def test_unscoped_type_builds_in_every_scope(scope):
    if scope == 'mmengine':
        registry = MODELS
    else:
        registry = pytest.importorskip(f'{scope}.registry').MODELS
    backbone = registry.build(tiny_backbone_cfg())
    assert isinstance(backbone, SNNetv2)


def test_default_stitch_is_the_large_anchor_and_stitch_field_selects():
    backbone = MODELS.build(tiny_backbone_cfg())
    assert backbone.stitches[backbone.current_stitch].route == 'L[0:4]'
    backbone = MODELS.build(tiny_backbone_cfg(stitch=2))
    assert backbone.current_stitch == 2 == backbone.default_stitch


@pytest.mark.parametrize('bad', [-1, 4, 'a', 1.5, True])
def test_bad_stitch_names_the_field(bad):
    with pytest.raises(ValueError, match=r'stitch: (stitch index|expected an integer)'):
        MODELS.build(tiny_backbone_cfg(stitch=bad))


def test_dense_outputs_are_a_tuple_of_large_width_maps():
    backbone = MODELS.build(tiny_backbone_cfg())
    for i in range(backbone.num_stitches):
        backbone.set_stitch(i)
        feats = backbone(torch.randn(2, 3, 48, 64))
        assert isinstance(feats, tuple)
        assert [tuple(f.shape) for f in feats] == [(2, 64, 3, 4)] * 3


def test_classification_mode_returns_logits_tuple():
    backbone = MODELS.build(tiny_backbone_cfg(out_indices=None))
    (logits,) = backbone(torch.randn(2, 3, 32, 32))
    assert logits.shape == (2, 10)


def test_init_weights_keeps_anchor_checkpoints(tmp_path):
    import timm
    plain = timm.create_model('vit_tiny_patch16_224', embed_dim=32, depth=2, num_heads=2, img_size=32,
                              num_classes=10)
    path = tmp_path / 'small.pth'
    torch.save(plain.state_dict(), path)
    small = tiny_anchor(2, 32)
    small['checkpoint'] = str(path)
    backbone = MODELS.build(tiny_backbone_cfg(anchors=[small, tiny_anchor(4, 64)]))
    backbone.init_weights()
    for key, value in plain.state_dict().items():
        torch.testing.assert_close(backbone.net.anchors[0].model.state_dict()[key], value)


def test_pretrained_init_cfg_round_trips_a_trained_backbone(tmp_path):
    trained = MODELS.build(tiny_backbone_cfg(lora_rank=2))
    trained.init_stitching_layers(torch.randn(4, 3, 32, 32))
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(0.01 * torch.randn_like(p))
    path = tmp_path / 'trained.pth'
    torch.save({'state_dict': trained.state_dict()}, path)

    loaded = MODELS.build(tiny_backbone_cfg(lora_rank=2, init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    assert not loaded.stitching_initialised
    loaded.init_weights()
    assert loaded.stitching_initialised
    for key, value in trained.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value)
    x = torch.randn(1, 3, 32, 32)
    trained.eval(), loaded.eval()
    for i in range(trained.num_stitches):
        trained.set_stitch(i), loaded.set_stitch(i)
        torch.testing.assert_close(loaded(x), trained(x))


def test_export_from_backbone_matches():
    backbone = MODELS.build(tiny_backbone_cfg()).eval()
    x = torch.randn(1, 3, 32, 32)
    backbone.set_stitch(3)
    exported = backbone.export_stitch(3).eval()
    for a, b in zip(backbone(x), exported(x)):
        torch.testing.assert_close(a, b)
