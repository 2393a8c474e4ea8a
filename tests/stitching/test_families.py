"""Hierarchical families (timm Swin and ResNet): stitch space, routes, dense outputs, FLOPs, export."""
from __future__ import annotations

import pytest
import timm
import torch
from conftest import tiny_anchor, tiny_levit, tiny_resnet, tiny_swin
from fvcore.nn import FlopCountAnalysis

from snnet_mm.stitching import StitchedNetwork
from snnet_mm.stitching.families import families
from snnet_mm.stitching.stitch import enumerate_stitches, stage_pairs
from snnet_mm.stitching.cost import stitch_costs
from snnet_mm.stitching.export import ExportedStitch

# Tiny pairs with the official stage structure: R18/R50, R18/Swin-Ti, Swin-Ti/S/B (depths cut).
PAIRS = {
    'r18-r50': lambda: [tiny_resnet((1, 1, 1, 1)), tiny_resnet((1, 2, 3, 1), bottleneck=True)],
    'r18-swin': lambda: [tiny_resnet((1, 1, 1, 1)), tiny_swin((1, 1, 3, 1))],
    'swin-tsb': lambda: [tiny_swin((1, 1, 2, 1)), tiny_swin((1, 2, 4, 1)), tiny_swin((1, 2, 4, 1), dim=24)],
    'levit': lambda: [tiny_levit(), tiny_levit(dims=(24, 32, 40), name='levit_256')],
}
# SN-Netv2 two-way (our extension): stages deep enough in the cheaper anchor for large-to-small stitches.
PAIRS.update({
    'v2:r18-r50': lambda: [tiny_resnet((1, 2, 2, 1)), tiny_resnet((1, 3, 3, 1), bottleneck=True)],
    'v2:r18-swin': lambda: [tiny_resnet((1, 2, 2, 1)), tiny_swin((1, 2, 3, 1))],
    'v2:swin-ts': lambda: [tiny_swin((2, 1, 2, 1)), tiny_swin((2, 2, 4, 1))],
    'v2:levit': lambda: [tiny_levit(), tiny_levit(dims=(24, 32, 40), name='levit_256')],
})
_NETS: dict = {}


def net_for(pair: str, dense: bool = False) -> StitchedNetwork:
    if (pair, dense) not in _NETS:
        torch.manual_seed(0)
        kwargs = dict(out_indices=(0, 1, 2, 3), dynamic_img_size=True) if dense else {}
        mode = 'v2' if pair.startswith('v2:') else 'v1'
        net = StitchedNetwork(PAIRS[pair](), mode=mode, **kwargs).eval()
        net.init_stitching_layers(torch.randn(4, 3, 32, 32), batch_size=2)
        _NETS[pair, dense] = net
    return _NETS[pair, dense]


def stitch_cases():
    return [pytest.param(pair, i, id=f'{pair}:{i}') for pair in PAIRS for i in range(net_for(pair).num_stitches)]


def fvcore_flops(module: torch.nn.Module, hw: tuple[int, int]) -> int:
    for m in module.modules():
        if hasattr(m, 'fused_attn'):
            m.fused_attn = False
    analysis = FlopCountAnalysis(module, torch.randn(1, 3, *hw))
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings('none')
    return int(analysis.total())


@pytest.mark.parametrize('depths,stages,count', [
    ([(2, 2, 2, 2), (3, 4, 6, 3)], (1, 2), 8),                      # R18 / R50
    ([(2, 2, 2, 2), (2, 2, 6, 2)], (1, 2), 6),                      # R18 / Swin-Ti
    ([(2, 2, 6, 2), (2, 2, 18, 2), (2, 2, 18, 2)], (0, 1, 2), 38),  # Swin-Ti / S / B
    ([(4, 4, 4), (4, 4, 4)], (0, 1), 6),                            # LeViT-192 / 256
])
def test_official_stitch_counts(depths, stages, count):
    space = enumerate_stitches(depths, mode='v1', stages=stages)
    assert len(space) - len(depths) == count
    assert len(space.layers) == count  # one layer per (stage, front block, end block)


@pytest.mark.parametrize('depths,stages,counts', [
    ([(2, 2, 2, 2), (3, 4, 6, 3)], (1, 2), dict(SL=8, LS=3)),                      # R18 / R50
    ([(2, 2, 2, 2), (2, 2, 6, 2)], (1, 2), dict(SL=6, LS=3)),                      # R18 / Swin-Ti
    ([(2, 2, 6, 2), (2, 2, 18, 2)], (0, 1, 2), dict(SL=19, LS=16)),                # Swin-Ti / S
    ([(2, 2, 6, 2), (2, 2, 18, 2), (2, 2, 18, 2)], (0, 1, 2), dict(SL=38, LS=35)),  # Swin-Ti / S / B
    ([(4, 4, 4), (4, 4, 4)], (0, 1), dict(SL=6, LS=6)),                            # LeViT-192 / 256
])
def test_two_way_counts_add_every_reverse_that_keeps_the_stage(depths, stages, counts):
    space = enumerate_stitches(depths, mode='v2', stages=stages)
    kinds = [s.kind for s in space.stitches]
    assert {k: kinds.count(k) for k in ('SL', 'LS')} == counts and kinds.count('anchor') == len(depths)
    v1 = enumerate_stitches(depths, mode='v1', stages=stages)
    assert [s for s in space.stitches if s.kind != 'LS'] == list(v1.stitches)  # v2 extends v1
    assert len(space.layers) == counts['SL'] + counts['LS']


def test_two_way_reverse_is_the_mirror_of_a_forward_stitch():
    space = enumerate_stitches([(2, 2, 2, 2), (3, 4, 6, 3)], mode='v2', stages=(1, 2))
    forward = {(s.segments[0].end, s.segments[1].start) for s in space.stitches if s.kind == 'SL'}
    for s in (s for s in space.stitches if s.kind == 'LS'):
        (large, small) = s.segments
        assert (large.anchor, small.anchor) == (1, 0) and large.start == 0 and small.end == 8
        assert (small.start, large.end) in forward
    assert [s.route for s in space.stitches if s.kind == 'LS'] == [
        'L[0:4] -> S[3:8]', 'L[0:8] -> S[5:8]', 'L[0:9] -> S[5:8]']


@pytest.mark.parametrize('names,count', [
    (('resnet18', 'resnet50'), 8), (('resnet18', 'swin_tiny_patch4_window7_224'), 6), (('levit_192', 'levit_256'), 6)])
def test_family_default_stages_give_the_official_counts(names, count):
    # Full depths, tiny widths: the stitchable stages come from the families' adapters.
    widths = {'resnet18': dict(channels=(8, 16, 32, 64), stem_width=8),
              'resnet50': dict(channels=(8, 16, 32, 64), stem_width=8),
              'swin_tiny_patch4_window7_224': dict(embed_dim=8, num_heads=(1, 1, 1, 1), window_size=2,
                                                   img_size=32),
              'levit_192': tiny_levit((4, 4, 4))['model_kwargs'],
              'levit_256': tiny_levit((4, 4, 4), dims=(24, 32, 40))['model_kwargs']}
    net = StitchedNetwork([dict(name=n, model_kwargs=widths[n]) for n in names], mode='v1')
    assert net.num_stitches - 2 == count


def test_stage_pairs_follow_nearest_interpolation():
    assert stage_pairs(2, 4) == [(0, 1), (1, 2), (1, 3)]
    assert stage_pairs(2, 6) == [(0, 1), (0, 2), (1, 3), (1, 4), (1, 5)]
    assert stage_pairs(3, 3) == [(0, 1), (1, 2)]


@pytest.mark.parametrize('pair', ['r18-r50', 'v2:r18-r50', 'v2:r18-swin', 'v2:swin-ts', 'levit', 'v2:levit'])
def test_stitches_stay_inside_one_stage_and_enter_after_block_zero(pair):
    net = net_for(pair)
    assert not pair.startswith('v2') or any(s.kind == 'LS' for s in net.stitches)
    for s in net.stitches:
        if s.kind == 'anchor':
            continue
        front, end = (net.anchors[seg.anchor] for seg in s.segments)
        stage = front.stage_of_boundary(s.segments[0].end)
        assert end.stage_of_boundary(s.segments[1].start) == stage
        assert s.segments[1].start > end.stage_offset(stage)  # e >= 1: the stride-2 block stays in the end


@pytest.mark.parametrize('pair', list(PAIRS))
def test_anchor_stitch_equals_plain_timm_model(pair):
    net = net_for(pair)
    x = torch.randn(2, 3, 32, 32)
    for spec, anchor in zip(net.anchor_specs, net.anchors):
        plain = timm.create_model(spec.name, **spec.model_kwargs).eval()
        plain.load_state_dict(anchor.model.state_dict())
        net.set_stitch(net.anchor_stitch(list(net.anchors).index(anchor)))
        with torch.no_grad():
            torch.testing.assert_close(net(x), plain(x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('pair', ['r18-r50', 'r18-swin'])
def test_anchor_stitch_dispatches_exactly_the_plain_models_ops(pair):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks.bench_families import aten_ops
    net = net_for(pair)
    spec = net.anchor_specs[-1]
    plain = timm.create_model(spec.name, **spec.model_kwargs).eval()
    plain.load_state_dict(net.anchors[-1].model.state_dict())
    net.set_stitch(net.anchor_stitch(-1))
    assert aten_ops(net, torch.randn(1, 3, 32, 32)) == aten_ops(plain, torch.randn(1, 3, 32, 32))


@pytest.mark.parametrize('pair,index', stitch_cases())
def test_route_is_front_blocks_layer_end_blocks_and_end_head(pair, index):
    net = net_for(pair)
    stitch = net.stitches[index]
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        y = net.anchors[stitch.first_anchor].embed(x)
        for i, seg in enumerate(stitch.segments):
            if i:
                y = net.stitch_layers[stitch.layers[i - 1]](y)
            for b in range(seg.start, seg.end):
                y = net.anchors[seg.anchor].blocks[b](y)
        expected = net.anchors[stitch.last_anchor].head(y)
        net.set_stitch(index)
        torch.testing.assert_close(net(x), expected)
    assert expected.shape == (2, 10)


def flops_cases():
    dense = [pytest.param(pair, i, True, id=f'dense-{pair}:{i}') for pair, i in
             ((p.values[0], p.values[1]) for p in stitch_cases()) if pair in ('r18-swin', 'v2:r18-swin')]
    return [pytest.param(*p.values, False, id=f'logits-{p.id}') for p in stitch_cases()] + dense


@pytest.mark.parametrize('pair,index,dense', flops_cases())
def test_flops_params_match_fvcore_and_export_equals_network(pair, index, dense):
    net = net_for(pair, dense)
    exported = ExportedStitch.from_network(net, index).eval()
    cost = stitch_costs(net, 32)[index]
    assert cost.flops == fvcore_flops(exported, (32, 32))
    assert cost.params == sum(p.numel() for p in exported.parameters())
    x = torch.randn(2, 3, 32, 32)
    net.set_stitch(index)
    with torch.no_grad():
        ours, theirs = net(x), exported(x)
    for a, b in zip(ours if dense else [ours], theirs if dense else [theirs]):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('pair', [p for p in PAIRS if 'levit' not in p])
def test_dense_outputs_have_top_widths_and_strides_4_to_32(pair):
    net = net_for(pair, dense=True)
    widths = [s.width for s in net.anchors[-1].stages]
    for index in range(net.num_stitches):
        net.set_stitch(index)
        with torch.no_grad():
            maps = net(torch.randn(1, 3, 64, 32))
        assert [tuple(m.shape) for m in maps] == [(1, w, 64 // r, 32 // r) for w, r in zip(widths, (4, 8, 16, 32))]


def test_dense_top_anchor_maps_are_its_stage_outputs():
    net = net_for('r18-r50', dense=True)
    net.set_stitch(net.anchor_stitch(-1))
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        maps = net(x)
        expected = net.anchors[-1].model.forward_intermediates(x, indices=4, intermediates_only=True)
    for m, e in zip(maps, expected):
        torch.testing.assert_close(m, e)


def test_dense_swin_outputs_go_through_fresh_per_stage_norms_like_mmseg():
    # mmseg's / mmdet's Swin: LayerNorm norm{i} on each output stage before the neck, freshly
    # initialised; ResNet backbones have none.
    net = net_for('r18-swin', dense=True)
    assert [tuple(n.normalized_shape) for n in net.out_norms] == [(s.width,) for s in net.anchors[-1].stages]
    assert all(bool((n.weight == 1).all() and (n.bias == 0).all()) for n in net.out_norms)
    assert net_for('r18-r50', dense=True).out_norms is None
    net.set_stitch(net.anchor_stitch(-1))
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        maps = net(x)
        raw = net.anchors[-1].model.forward_intermediates(x, indices=4, intermediates_only=True)
    for m, r in zip(maps, raw):
        expected = torch.nn.functional.layer_norm(r.permute(0, 2, 3, 1), r.shape[1:2]).permute(0, 3, 1, 2)
        torch.testing.assert_close(m, expected, atol=1e-5, rtol=1e-5)


def test_dense_projection_is_least_squares_onto_the_top_anchor():
    net = StitchedNetwork(PAIRS['r18-swin'](), mode='v1', out_indices=(0, 1, 2, 3)).eval()
    x = torch.randn(6, 3, 32, 32)
    net.init_stitching_layers(x)
    net.out_norms = None  # the projections fit the stage outputs the (shared) output norms then read
    with torch.no_grad():
        net.set_stitch(net.anchor_stitch(0))
        maps = net(x)
        net.set_stitch(net.anchor_stitch(-1))
        target = net(x)
    # On the fitted images the least-squares projection beats the best constant (its own bias).
    for m, t in zip(maps, target):
        err = (m - t).pow(2).mean()
        base = (t - t.mean((0, 2, 3), keepdim=True)).pow(2).mean()
        assert err < base


def test_least_squares_runs_in_eval_mode_and_keeps_batch_norm_statistics():
    net = StitchedNetwork(PAIRS['r18-r50'](), mode='v1').train()
    stats = {k: v.clone() for k, v in net.state_dict().items() if 'running_' in k}
    net.init_stitching_layers(torch.randn(4, 3, 32, 32))
    assert net.training and net.stitching_initialised
    for k, v in net.state_dict().items():
        if 'running_' in k:
            torch.testing.assert_close(v, stats[k], atol=0, rtol=0)


def test_stage_count_mismatch_names_both_anchors():
    with pytest.raises(ValueError, match=r"anchors\[1\]\.name: 'swin_tiny_patch4_window7_224' has 4 stage.*"
                                         r"'vit_tiny_patch16_224' has 1"):
        StitchedNetwork([tiny_anchor(2, 32), tiny_swin()], mode='v1')


def test_grid_mismatch_names_both_anchors():
    with pytest.raises(ValueError, match=r"anchors\[1\]\.name: 'swin_tiny_patch4_window7_224' has stage "
                                         r"strides \(grid\) \[8, 16, 32, 64\], 'resnet18' has \[4, 8, 16, 32\]"):
        StitchedNetwork([tiny_resnet(), tiny_swin(patch_size=8, img_size=64)], mode='v1')


@pytest.mark.parametrize('bad', [(4,), (0, 1, 2, 3, 7), (1.0,)])
def test_out_indices_beyond_the_stage_count(bad):
    with pytest.raises(ValueError, match=r'out_indices: stage index .* out of range for the anchors \(4 stages\)'):
        StitchedNetwork(PAIRS['r18-r50'](), mode='v1', out_indices=bad)


def test_family_without_adapter_lists_the_supported_ones():
    with pytest.raises(ValueError, match=r"anchors\[0\]\.name \('mobilenetv3_small_050'\): no family adapter "
                                         r'for a timm MobileNetV3; supported families: levit .*resnet .*swin .*vit'):
        StitchedNetwork(['mobilenetv3_small_050', 'mobilenetv3_small_050'])
    assert {'vit', 'swin', 'resnet', 'levit'} <= set(families())


def test_multi_stage_anchors_default_to_two_way_stitching():
    net = StitchedNetwork(PAIRS['v2:r18-r50'](), load_weights=False)
    assert {s.kind for s in net.stitches} == {'anchor', 'SL', 'LS'}


def test_prefix_tree_flops_count_the_swin_output_norms_per_stitch():
    from snnet_mm.stitching.prefix_tree import PrefixTree
    net = net_for('r18-swin', dense=True)
    flops = PrefixTree(net, range(net.num_stitches)).flops(32)
    assert flops.separate == sum(c.flops for c in stitch_costs(net, 32))


def test_levit_dense_outputs_are_refused_naming_the_field():
    with pytest.raises(ValueError, match=r"out_indices: .*levit"):
        StitchedNetwork(PAIRS['levit'](), mode='v1', out_indices=(0, 1, 2))


def test_levit_blocks_are_attention_plus_mlp_and_stage_entries_hold_the_subsample():
    from timm.models.levit import LevitBlock, LevitDownsample
    anchor = net_for('levit').anchors[0]
    assert anchor.stage_depths == (3, 3, 1) and [s.width for s in anchor.stages] == [16, 24, 32]
    assert [s.stride for s in anchor.stages] == [16, 32, 64] and anchor.built_size == (32, 32)
    firsts = [anchor.blocks[anchor.stage_offset(i)] for i in range(3)]
    assert isinstance(firsts[0], LevitBlock)
    assert all(isinstance(f[0], LevitDownsample) and isinstance(f[1], LevitBlock) for f in firsts[1:])
