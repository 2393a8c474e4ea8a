"""stitch_parameters: exactly the parameters a stitch's backward pass gives a gradient."""
from __future__ import annotations

import pytest
import torch
from conftest import tiny_anchor, tiny_levit, tiny_resnet, tiny_swin

from snnet_mm.stitching import StitchedNetwork, stitch_parameters

NETWORKS = {
    'vit-logits': lambda: StitchedNetwork([tiny_anchor(3, 32), tiny_anchor(6, 64)]),
    'vit-dense-lora': lambda: StitchedNetwork([tiny_anchor(3, 32), tiny_anchor(6, 64)], out_indices=(1, 3, 5),
                                              lora_rank=2, dynamic_img_size=True),
    'swin-dense': lambda: StitchedNetwork([tiny_swin((2, 1, 2, 1)), tiny_swin((2, 2, 4, 1))],
                                          out_indices=(0, 1, 2, 3), dynamic_img_size=True),
    'levit-logits': lambda: StitchedNetwork([tiny_levit(), tiny_levit(dims=(24, 32, 40), name='levit_256')]),
    'resnet-logits': lambda: StitchedNetwork([tiny_resnet((1, 2, 2, 1)), tiny_resnet((1, 3, 3, 1), bottleneck=True)]),
}


def total(out) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out.sum()
    return sum(total(o) for o in out)


@pytest.mark.parametrize('name', NETWORKS)
def test_stitch_parameters_are_the_ones_that_get_gradients(name):
    torch.manual_seed(0)
    net = NETWORKS[name]().train()
    with torch.no_grad():  # non-zero low-rank updates: every trainable factor gets a gradient
        for layer in net.stitch_layers.values():
            if layer.rank:
                layer.lora_b.normal_()
    names = {id(p): n for n, p in net.named_parameters()}
    x = torch.randn(2, 3, 32, 32)
    for index, stitch in enumerate(net.stitches):
        net.zero_grad(set_to_none=True)
        net.set_stitch(index)
        total(net(x)).backward()
        with_grad = {names[id(p)] for p in net.parameters() if p.grad is not None}
        listed = [names[id(p)] for p in stitch_parameters(net, index)]
        assert len(listed) == len(set(listed)), stitch.route
        trainable = {n for n in listed if dict(net.named_parameters())[n].requires_grad}
        assert trainable == with_grad, (stitch.route, sorted(trainable ^ with_grad))


def test_frozen_least_squares_weights_are_listed_and_heads_only_in_logits_mode():
    dense = NETWORKS['vit-dense-lora']()
    listed = {id(p) for p in stitch_parameters(dense, 0)}
    assert not any(id(p) in listed for a in dense.anchors for m in a.tail_modules() for p in m.parameters())
    layer = next(iter(dense.stitch_layers.values()))
    index = next(i for i, s in enumerate(dense.stitches) if s.layers and dense.stitch_layers[s.layers[0]] is layer)
    assert id(layer.weight) in {id(p) for p in stitch_parameters(dense, index)} and not layer.weight.requires_grad
    with pytest.raises(ValueError, match=r'index: stitch index 99 out of range'):
        stitch_parameters(dense, 99)
