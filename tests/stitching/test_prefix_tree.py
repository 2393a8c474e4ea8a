"""Prefix-tree forward: every stitch's output equals running it alone; memory and FLOPs of the tree."""
from __future__ import annotations

import weakref

import pytest
import torch
from conftest import tiny_anchor, tiny_resnet, tiny_swin

from snnet_mm.stitching import StitchedNetwork
from snnet_mm.stitching.prefix_tree import PrefixTree, route_ops, split_by_prefix
from snnet_mm.stitching.cost import stitch_costs


def randomised(net: StitchedNetwork) -> StitchedNetwork:
    """Non-trivial stitching layers (biases and low-rank updates) so that every layer matters."""
    with torch.no_grad():
        for layer in net.stitch_layers.values():
            layer.bias.normal_(0, 0.1)
            if layer.rank:
                layer.lora_b.normal_(0, 0.5)
    return net.eval()


def v2(depths=(3, 6), **kwargs) -> StitchedNetwork:
    return randomised(StitchedNetwork([tiny_anchor(depths[0], 32), tiny_anchor(depths[1], 64)], **kwargs))


CASES = {
    'v2 logits 2/4': lambda: v2((2, 4)),
    'v2 logits 3/6 lora': lambda: v2(lora_rank=2),
    'v2 dense 3/6': lambda: v2(out_indices=(1, 3, 5), dynamic_img_size=True),
    'v2 dense 3/6 repeated out index': lambda: v2(out_indices=(0, 5, 5), dynamic_img_size=True),
    'v2 dense 3/6 cls token': lambda: v2(out_indices=(2, 4, 5), with_cls_token=True, dynamic_img_size=True),
    'v1 window 2/2/4': lambda: randomised(StitchedNetwork(
        [tiny_anchor(2, 32), tiny_anchor(2, 48), tiny_anchor(4, 64)], mode='v1')),
    'swin logits': lambda: randomised(StitchedNetwork(
        [tiny_swin((1, 1, 2, 1)), tiny_swin((1, 2, 4, 1))], mode='v1')),
    'swin dense': lambda: randomised(StitchedNetwork(
        [tiny_swin((1, 1, 2, 1)), tiny_swin((1, 2, 4, 1))], mode='v1', out_indices=(0, 1, 2, 3),
        dynamic_img_size=True)),
    'resnet dense': lambda: randomised(StitchedNetwork(
        [tiny_resnet((1, 1, 1, 1)), tiny_resnet((1, 2, 3, 1), bottleneck=True)], mode='v1',
        out_indices=(1, 2, 3))),
    'resnet-swin logits': lambda: randomised(StitchedNetwork([tiny_resnet(), tiny_swin((1, 1, 3, 1))], mode='v1')),
    # SN-Netv2 two-way stitching of hierarchical anchors (large-to-small reverses inside a stage)
    'v2 swin dense': lambda: randomised(StitchedNetwork(
        [tiny_swin((2, 1, 2, 1)), tiny_swin((2, 2, 4, 1))], mode='v2', out_indices=(0, 1, 2, 3),
        dynamic_img_size=True)),
    'v2 resnet logits': lambda: randomised(StitchedNetwork(
        [tiny_resnet((1, 2, 2, 1)), tiny_resnet((1, 3, 3, 1), bottleneck=True)], mode='v2')),
}


def flatten(out) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    return [t for item in out for t in (item if isinstance(item, tuple) else (item,))]


@pytest.mark.parametrize('case', list(CASES))
@torch.no_grad()
def test_every_stitch_equals_running_it_alone(case):
    net = CASES[case]()
    x = torch.randn(2, 3, 32, 32)
    got = dict(PrefixTree(net, range(net.num_stitches)).run(x))
    assert sorted(got) == list(range(net.num_stitches))
    kinds = set()
    for index, stitch in enumerate(net.stitches):
        net.set_stitch(index)
        alone = flatten(net(x))
        shared = flatten(got[index])
        assert len(shared) == len(alone), stitch.route
        for a, b in zip(shared, alone):
            torch.testing.assert_close(a, b, msg=lambda m: f'{stitch.route}: {m}')
        kinds.add(stitch.kind)
    if case.startswith('v2') and '3/6' in case:
        assert kinds == {'anchor', 'SL', 'LS', 'SLS', 'LSL'}
    if case.startswith('v2 swin') or case.startswith('v2 resnet'):
        assert 'LS' in kinds


@torch.no_grad()
def test_a_subset_in_any_order_gives_the_same_outputs():
    net = CASES['v2 dense 3/6 cls token']()
    x = torch.randn(1, 3, 48, 32)  # not square: grids follow the input
    subset = [7, 0, 3]
    got = dict(PrefixTree(net, subset).run(x))
    assert sorted(got) == sorted(subset)
    for index in subset:
        net.set_stitch(index)
        for a, b in zip(flatten(got[index]), flatten(net(x))):
            torch.testing.assert_close(a, b)


def test_bad_indices_are_refused_naming_the_field():
    net = v2((2, 4))
    with pytest.raises(ValueError, match=r'indices: repeated stitch index'):
        PrefixTree(net, [0, 0])
    with pytest.raises(ValueError, match=r'indices: stitch index 99 out of range'):
        PrefixTree(net, [99])
    with pytest.raises(ValueError, match=r'indices: expected at least one'):
        PrefixTree(net, [])


def test_peak_activations_of_the_deit3_s_l_space_stay_within_the_bound():
    # The DeiT3-S/L depths (12/24): 134 stitches, at most 1 + floor(log2(134)) = 8 live boundaries.
    net = StitchedNetwork([tiny_anchor(12, 16), tiny_anchor(24, 32)])
    tree = PrefixTree(net, range(net.num_stitches))
    assert net.num_stitches == 134 and tree.activation_bound == 8
    assert tree.peak_activations <= tree.activation_bound


@torch.no_grad()
def test_activations_are_released_when_no_branch_needs_them():
    net = StitchedNetwork([tiny_anchor(4, 16), tiny_anchor(8, 32)]).eval()
    tree = PrefixTree(net, range(net.num_stitches))
    alive: list[weakref.ref] = []
    hooks = [blk.register_forward_hook(lambda m, i, o: alive.append(weakref.ref(o)))
             for a in net.anchors for blk in a.blocks]
    try:
        peak = 0
        for _index, logits in tree.run(torch.randn(1, 3, 32, 32)):
            del logits
            peak = max(peak, sum(r() is not None for r in alive))
    finally:
        for h in hooks:
            h.remove()
    assert len(alive) == sum(op[0] == 'block' for n in tree.nodes() for op in [n.op])  # each prefix once
    assert 1 <= peak <= tree.peak_activations <= tree.activation_bound


def test_tree_flops_count_each_shared_prefix_once():
    net = v2((2, 4))
    s_alone, sl_at_1 = net.anchor_stitch(0), next(i for i, s in enumerate(net.stitches) if s.kind == 'SL')
    tree = PrefixTree(net, [s_alone, sl_at_1]).flops(32)
    costs = stitch_costs(net, 32)
    assert tree.separate == costs[s_alone].flops + costs[sl_at_1].flops
    from snnet_mm.stitching.cost import component_flops
    parts = component_flops(net, 32)
    assert tree.tree == tree.separate - parts.embed[0] - parts.blocks[0][0]  # S's embedding and block 0
    assert PrefixTree(net, [s_alone]).flops(32).ratio == 1.0


def test_tree_flops_with_dense_projections_match_per_stitch_costs():
    net = v2(out_indices=(1, 3, 5), dynamic_img_size=True)
    flops = PrefixTree(net, range(net.num_stitches)).flops(32)
    assert flops.separate == sum(c.flops for c in stitch_costs(net, 32))
    assert 0 < flops.tree < flops.separate


def test_groups_follow_route_order_and_respect_the_bound():
    net = v2()
    groups = split_by_prefix(net, range(net.num_stitches), 4)
    assert sorted(i for g in groups for i in g) == list(range(net.num_stitches))
    assert max(map(len, groups)) == 4
    flat = [route_ops(net.stitches[i]) for g in groups for i in g]
    assert flat == sorted(flat, key=lambda ops: [(o[0], str(o[1]), o[2] if len(o) > 2 else -1) for o in ops])
    assert split_by_prefix(net, [3, 1], None) in ([[1, 3]], [[3, 1]])
    with pytest.raises(ValueError, match='max_branches: expected a positive int'):
        split_by_prefix(net, [1], 0)
