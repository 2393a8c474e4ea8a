"""SimpleFeaturePyramid: declared output contract, stitched-backbone inputs of any size, bad configs."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip('mmengine')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import tiny_anchor  # noqa: E402

from snnet_mm.models import LayerNorm2d, SimpleFeaturePyramid, SNNetv2  # noqa: E402


def neck(**kwargs) -> SimpleFeaturePyramid:
    return SimpleFeaturePyramid(**{'in_channels': 64, 'out_channels': 32, **kwargs})


def test_default_contract_is_vitdets():
    n = neck()
    assert n.out_strides == (4, 8, 16, 32, 64)
    assert n.num_outs == 5 and n.out_channels == 32
    assert n.output_shapes(8, 8) == [(32, 32, 32), (32, 16, 16), (32, 8, 8), (32, 4, 4), (32, 2, 2)]


@pytest.mark.parametrize('hw', [(8, 8), (5, 6), (7, 3), (2, 3), (13, 64)])
def test_outputs_have_the_declared_shapes(hw):
    n = neck()
    outs = n(torch.randn(2, 64, *hw))
    assert [tuple(o.shape[1:]) for o in outs] == n.output_shapes(*hw)
    assert all(o.shape[0] == 2 and torch.isfinite(o).all() for o in outs)


@pytest.mark.parametrize('kwargs, strides', [
    (dict(scale_factors=(2.0, 1.0), num_extra_levels=2), (8, 16, 32, 64)),
    (dict(scale_factors=(8.0, 1.0, 0.25), num_extra_levels=0), (2, 16, 64)),
    (dict(scale_factors=(1.0,), input_stride=14, num_extra_levels=1), (14, 28)),
])
def test_other_pyramids_declare_their_strides(kwargs, strides):
    n = neck(**kwargs)
    assert n.out_strides == strides
    outs = n(torch.randn(1, 64, 8, 12))
    assert [tuple(o.shape[1:]) for o in outs] == n.output_shapes(8, 12)


def stitched(img_size: int = 64) -> SNNetv2:
    return SNNetv2([tiny_anchor(2, 32, img_size=img_size), tiny_anchor(4, 64, img_size=img_size)],
                   out_indices=(3,), lora_rank=2)


@pytest.mark.parametrize('image_hw', [(64, 64), (70, 90), (128, 96), (33, 200), (96, 128)])
def test_every_stitch_gives_the_declared_shapes_at_any_input_size(image_hw):
    """Inputs are padded to the patch size; position embeddings are resampled on the fly."""
    backbone, n = stitched(), neck(strides=(4, 8, 16, 32, 64))
    grid = (-(-image_hw[0] // 16), -(-image_hw[1] // 16))
    expected = n.output_shapes(*grid)
    for index in range(backbone.num_stitches):
        backbone.set_stitch(index)
        with torch.no_grad():
            feats = backbone(torch.randn(1, 3, *image_hw))
            assert len(feats) == 1 and tuple(feats[0].shape) == (1, 64, *grid)
            outs = n(feats)
        assert [tuple(o.shape[1:]) for o in outs] == expected, backbone.stitches[index].route
    # The stride-s level of an input padded to 64 covers it exactly.
    if image_hw[0] % 64 == 0 and image_hw[1] % 64 == 0:
        assert [o.shape[-2:] for o in outs] == [(image_hw[0] // s, image_hw[1] // s) for s in n.out_strides]


def test_detection_img_size_resamples_position_embeddings():
    backbone = stitched(img_size=128)
    for anchor in backbone.net.anchors:
        assert anchor.model.pos_embed.shape[1] == 1 + (128 // 16) ** 2


def test_gradients_reach_every_parameter_and_init_weights_runs():
    n = neck()
    n.init_weights()
    outs = n(torch.randn(2, 64, 4, 4))
    sum(o.square().mean() for o in outs).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in n.parameters())


def test_norm_options():
    assert not any(isinstance(m, LayerNorm2d) for m in neck(norm=None).modules())
    assert all(c.bias is not None for c in neck(norm=None).modules() if isinstance(c, torch.nn.Conv2d))
    assert all(c.bias is None for c in neck().modules() if isinstance(c, torch.nn.Conv2d))
    gn = SimpleFeaturePyramid(in_channels=128, out_channels=32, norm='GN', scale_factors=(2.0, 1.0, 0.5))
    assert any(isinstance(m, torch.nn.GroupNorm) for m in gn.modules())
    gn(torch.randn(1, 128, 4, 4))


def test_layer_norm_2d_normalises_channels_per_pixel():
    x = torch.randn(2, 8, 3, 5)
    norm = LayerNorm2d(8)
    expected = torch.nn.functional.layer_norm(x.permute(0, 2, 3, 1), (8,), eps=1e-6).permute(0, 3, 1, 2)
    torch.testing.assert_close(norm(x), expected)


def test_takes_the_last_backbone_output_or_the_chosen_one():
    n = neck(scale_factors=(1.0,), num_extra_levels=0)
    maps = (torch.randn(1, 16, 4, 4), torch.randn(1, 64, 4, 4))
    assert n(maps)[0].shape == (1, 32, 4, 4)
    with pytest.raises(ValueError, match=r'in_channels: .*64 channels.*\(1, 16, 4, 4\)'):
        neck(in_index=0, scale_factors=(1.0,))(maps)
    with pytest.raises(ValueError, match='in_index: 5'):
        neck(in_index=5)(maps)


@pytest.mark.parametrize('kwargs, match', [
    (dict(in_channels=0), r'in_channels: expected an int >= 1, got 0'),
    (dict(in_channels=64.0), r'in_channels: expected an int >= 1, got 64.0'),
    (dict(out_channels=-1), r'out_channels: expected an int >= 1, got -1'),
    (dict(scale_factors=(4.0, 3.0)), r'scale_factors: 3.0 is not a power of two'),
    (dict(scale_factors=(0.5, 1.0)), r'scale_factors: expected strictly decreasing'),
    (dict(scale_factors=(2.0, 2.0)), r'scale_factors: expected strictly decreasing'),
    (dict(scale_factors=()), r'scale_factors: expected a non-empty sequence'),
    (dict(scale_factors='4'), r'scale_factors: expected a non-empty sequence'),
    (dict(in_channels=66), r'scale_factors: 4.0 .*in_channels divisible by 4; got in_channels=66'),
    (dict(scale_factors=(32.0,)), r'scale_factors: 32.0 on a stride-16 map gives stride 0.5'),
    (dict(strides=(4, 8, 16, 32)), r'strides: declared \[4, 8, 16, 32\], but .* give \[4, 8, 16, 32, 64\]'),
    (dict(num_extra_levels=-1), r'num_extra_levels: expected an int >= 0, got -1'),
    (dict(norm='SyncBN'), r"norm: expected one of .* got 'SyncBN'"),
    (dict(norm='GN'), r"norm: 'GN' uses 32 groups, but the levels have \[16, 32, 64\] channels"),
    (dict(input_stride=0), r'input_stride: expected an int >= 1, got 0'),
])
def test_bad_configs_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        neck(**kwargs)


def test_wrong_input_channels_name_the_field():
    with pytest.raises(ValueError, match=r'in_channels: the neck expects NCHW maps with 64 channels, '
                                         r'got a map of shape \(1, 1024, 4, 4\)'):
        neck()(torch.randn(1, 1024, 4, 4))
    with pytest.raises(ValueError, match='in_channels'):
        neck()(torch.randn(64, 4, 4))
    with pytest.raises(ValueError, match=r'scale_factors: a \(1, 4\) map is too small'):
        neck()(torch.randn(1, 64, 1, 4))


def test_resolves_from_the_mmdet_scope_with_its_norm():
    pytest.importorskip('mmdet')
    from mmcv.cnn import build_norm_layer
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    built = MODELS.build(dict(type='SimpleFeaturePyramid', in_channels=64, out_channels=32))
    assert isinstance(built, SimpleFeaturePyramid)
    with MODELS.switch_scope_and_registry('mmdet'):
        name, layer = build_norm_layer(dict(type='LN2d', requires_grad=True), 32)
    assert isinstance(layer, LayerNorm2d) and name.startswith('ln')
