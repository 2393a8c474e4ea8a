"""Relative-position DeiT3 anchors: registered in timm, params include the bias tables, FLOPs as fvcore."""
from __future__ import annotations

import pytest
import timm
import torch
from fvcore.nn import FlopCountAnalysis

from snnet_mm.stitching import StitchedViT
from snnet_mm.stitching.cost import stitch_costs
from snnet_mm.stitching.export import ExportedStitch
from snnet_mm.stitching.relpos_vit import RelPosVisionTransformer

from . import official_layout as ol

TINY = dict(embed_dim=32, depth=2, num_heads=2, img_size=32)


@pytest.mark.parametrize('name', ['deit3_small_patch16_relpos', 'deit3_base_patch16_relpos',
                                  'deit3_large_patch16_relpos'])
def test_registered_in_timm(name):
    assert timm.is_model(name)
    model = timm.create_model(name, **TINY)
    assert isinstance(model, RelPosVisionTransformer)
    assert model.no_embed_class and model.pos_embed.shape[1] == 4


def test_bias_index_matches_beit_and_changes_the_output():
    model = timm.create_model('deit3_small_patch16_relpos', **TINY).eval()
    assert torch.equal(model.blocks[0].attn.relative_position_index, ol.beit_index(2, 2))
    x = torch.randn(1, 3, 32, 32)
    before = model(x)
    torch.nn.init.normal_(model.blocks[1].attn.relative_position_bias_table)
    assert not torch.allclose(before, model(x))


def test_params_count_the_tables_and_flops_equal_fvcore():
    net = StitchedViT([dict(name='deit3_small_patch16_relpos', model_kwargs=dict(TINY, depth=3)),
                       dict(name='deit3_small_patch16_relpos', model_kwargs=dict(TINY, embed_dim=64, depth=6))],
                      out_indices=(1, 3, 5))
    table = ((2 * 2 - 1) ** 2 + 3) * 2  # offsets of a 2x2 grid + 3 class-token entries, 2 heads
    assert net.anchors[0].blocks[0].attn.relative_position_bias_table.numel() == table
    costs = stitch_costs(net, 32)
    for index in range(net.num_stitches):
        exported = ExportedStitch.from_network(net, index).eval()
        assert costs[index].params == sum(p.numel() for p in exported.parameters())
        for m in exported.modules():
            if hasattr(m, 'fused_attn'):
                m.fused_attn = False
        analysis = FlopCountAnalysis(exported, torch.randn(1, 3, 32, 32))
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        assert costs[index].flops == analysis.total()


def test_a_different_grid_is_a_value_error():
    model = timm.create_model('deit3_small_patch16_relpos', **TINY, dynamic_img_size=True)
    with pytest.raises(ValueError, match='relative position bias covers a 2x2'):
        model(torch.randn(1, 3, 48, 48))


def test_no_hub_weights():
    with pytest.raises(ValueError, match='pretrained'):
        timm.create_model('deit3_small_patch16_relpos', pretrained=True, **TINY)


def test_a_plain_deit3_checkpoint_loads_with_zero_bias_tables(tmp_path):
    from snnet_mm.stitching.checkpoint import load_anchor_weights
    plain = timm.create_model('deit3_small_patch16_224', **TINY).eval()
    torch.save(plain.state_dict(), tmp_path / 'deit3.pth')
    relpos = timm.create_model('deit3_small_patch16_relpos', **TINY).eval()
    report = load_anchor_weights(relpos, str(tmp_path / 'deit3.pth'), 'anchors[0].checkpoint')
    assert report.missing == () and report.unexpected == ()  # no final norm / head: ignored
    assert all(not b.attn.relative_position_bias_table.any() for b in relpos.blocks)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(relpos.forward_features(x), plain.blocks(plain._pos_embed(plain.patch_embed(x))))
