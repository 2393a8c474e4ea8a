"""FLOPs / params per stitch: fvcore-consistent, cached, and the published DeiT3-S/L numbers."""
from __future__ import annotations

import pytest
import torch
from conftest import tiny_anchor
from fvcore.nn import FlopCountAnalysis

from snnet_mm.stitching import StitchedViT, stitch_costs
from snnet_mm.stitching import cost as cost_module
from snnet_mm.stitching.stitch import enumerate_stitches
from snnet_mm.stitching.export import ExportedStitch

PAIRS = {'2-4': ((2, 32), (4, 64)), '3-6': ((3, 32), (6, 64))}
DENSE_OUT = {'2-4': (1, 2, 3), '3-6': (1, 3, 5)}
_NETS: dict = {}




def net_for(pair: str, dense: bool) -> StitchedViT:
    if (pair, dense) not in _NETS:
        kwargs = dict(out_indices=DENSE_OUT[pair], dynamic_img_size=True) if dense else {}
        _NETS[pair, dense] = StitchedViT([tiny_anchor(d, w) for d, w in PAIRS[pair]], **kwargs).eval()
    return _NETS[pair, dense]


def stitch_cases():
    cases = []
    for pair, anchors in PAIRS.items():
        for i, s in enumerate(enumerate_stitches(tuple(d for d, _ in anchors)).stitches):
            cases.append(pytest.param(pair, i, id=f'{pair}:{s.route.replace(" ", "")}'))
    return cases


def fvcore_flops(module: torch.nn.Module, hw: tuple[int, int]) -> int:
    for m in module.modules():
        if hasattr(m, 'fused_attn'):
            m.fused_attn = False  # fvcore skips fused SDPA; count attention as its two matmuls
    analysis = FlopCountAnalysis(module, torch.randn(1, 3, *hw))
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings('none')
    return int(analysis.total())


@pytest.mark.parametrize('pair,index', stitch_cases())
@pytest.mark.parametrize('dense', [False, True], ids=['logits', 'dense'])
def test_flops_and_params_match_fvcore_on_the_exported_stitch(pair, index, dense):
    net = net_for(pair, dense)
    hw = (32, 32)
    costs = stitch_costs(net, hw)
    assert len(costs) == net.num_stitches
    exported = ExportedStitch.from_network(net, index).eval()
    assert costs[index].flops == fvcore_flops(exported, hw)
    assert costs[index].params == sum(p.numel() for p in exported.parameters())


@pytest.mark.parametrize('index', range(4))
def test_dense_flops_at_a_non_square_size_match_fvcore(index):
    net = net_for('2-4', True)
    hw = (48, 64)
    exported = ExportedStitch.from_network(net, index).eval()
    assert stitch_costs(net, hw)[index].flops == fvcore_flops(exported, hw)


def test_flops_order_anchors_cheapest_and_most_expensive():
    net = net_for('3-6', False)
    flops = [c.flops for c in stitch_costs(net, 32)]
    assert flops[net.anchor_stitch(0)] == min(flops)
    assert flops[net.anchor_stitch(-1)] == max(flops)
    assert stitch_costs(net, 32)[0].gflops == pytest.approx(flops[0] / 1e9)


def test_explicit_output_kind_and_function_form_agree():
    net = net_for('2-4', True)
    assert stitch_costs(net, 32, output='features') == stitch_costs(net, 32)
    logits = stitch_costs(net, 32, output='logits')
    # Logit costs add the final norm + head of the ending anchor instead of dense projections.
    assert [c.flops for c in logits] != [c.flops for c in stitch_costs(net, 32)]
    with pytest.raises(ValueError, match='output'):
        stitch_costs(net_for('2-4', False), 32, output='features')


@pytest.mark.parametrize('bad', [0, -32, (32,), (32, 0), (32, 32, 3), '32', 32.0, None, (32.0, 32)])
def test_bad_input_size_names_the_field(bad):
    net = net_for('2-4', False)
    with pytest.raises(ValueError, match='input_size'):
        stitch_costs(net, bad)


def test_costs_are_cached_per_input_size(monkeypatch):
    net = StitchedViT([tiny_anchor(2, 32), tiny_anchor(4, 64)], dynamic_img_size=True)
    calls = []
    real = cost_module.meta_copy
    monkeypatch.setattr(cost_module, 'meta_copy', lambda m: calls.append(1) or real(m))
    first = stitch_costs(net, 32)
    second = stitch_costs(net, 32)
    assert second == first
    assert len(calls) == 1, 'second call must come from the cache'
    second[0] = None  # callers get a copy: mutating it does not corrupt the cache
    assert stitch_costs(net, (32, 32)) == first
    assert len(calls) == 1
    bigger = stitch_costs(net, 64)
    assert len(calls) == 2
    assert all(b.flops > f.flops for b, f in zip(bigger, first))
    assert [b.params for b in bigger] == [f.params for f in first]


def test_deit3_small_large_reference_flops_on_meta_device():
    with torch.device('meta'):
        net = StitchedViT(['deit3_small_patch16_224', 'deit3_large_patch16_224'])
    assert net.num_stitches == 134
    costs = stitch_costs(net, 224)
    assert costs[net.anchor_stitch(0)].flops == 4_608_338_304
    assert costs[net.anchor_stitch(-1)].flops == 61_604_135_936
    flops = sorted(c.flops for c in costs)
    assert flops[0] == 4_608_338_304 and flops[-1] == 61_604_135_936
