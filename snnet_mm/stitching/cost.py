"""FLOPs and parameters of every stitch, counted the way fvcore counts them.

fvcore counts one multiply-add as one FLOP for linear layers, matrix products and
convolutions, ``5 * numel`` for affine layer norms, and nothing for element-wise ops. It skips
timm's fused ``scaled_dot_product_attention``; here attention is always counted as its two
matrix products (as fvcore does on unfused attention), which is what SN-Netv2 reports.

Each component (an anchor's embedding, each block, each stitching layer, each head) is traced
once on the meta device, so no real computation runs; a stitch's cost is the sum of the
components on its route. Results are cached per input size on the network.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

if TYPE_CHECKING:
    from .network import StitchedViT

aten = torch.ops.aten


@dataclass(frozen=True)
class StitchCost:
    """FLOPs (multiply-adds) and parameter count of one stitch at one input size."""

    flops: int
    params: int

    @property
    def gflops(self) -> float:
        return self.flops / 1e9


def _shape(t: Any) -> tuple[int, ...]:
    return tuple(t.shape)


def _mm(args: tuple) -> int:
    (m, k), (_, n) = _shape(args[0]), _shape(args[1])
    return m * k * n


def _addmm(args: tuple) -> int:
    return _mm(args[1:])


def _bmm(args: tuple) -> int:
    (b, m, k), (_, _, n) = _shape(args[0]), _shape(args[1])
    return b * m * k * n


def _baddbmm(args: tuple) -> int:
    return _bmm(args[1:])


def _conv(args: tuple, out: torch.Tensor) -> int:
    weight = _shape(args[1])
    return out.shape[0] * math.prod(weight) * math.prod(out.shape[2:])


def _layer_norm(args: tuple) -> int:
    has_affine = len(args) > 2 and args[2] is not None
    return math.prod(_shape(args[0])) * (5 if has_affine else 4)


def _sdpa(args: tuple) -> int:
    q, k, v = (_shape(a) for a in args[:3])
    batch = math.prod(q[:-2])
    return batch * q[-2] * q[-1] * k[-2] + batch * q[-2] * k[-2] * v[-1]


_HANDLERS: dict[Any, Callable[..., int]] = {
    aten.mm.default: _mm,
    aten.addmm.default: _addmm,
    aten.bmm.default: _bmm,
    aten.baddbmm.default: _baddbmm,
    aten.native_layer_norm.default: _layer_norm,
    aten._scaled_dot_product_flash_attention_for_cpu.default: _sdpa,
    aten._scaled_dot_product_efficient_attention.default: _sdpa,
    aten._scaled_dot_product_flash_attention.default: _sdpa,
}


class FlopCounter(TorchDispatchMode):
    """Counts fvcore-style FLOPs of the aten ops dispatched inside the context."""

    def __init__(self) -> None:
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func is aten.convolution.default:
            self.flops += _conv(args, out)
        elif func in _HANDLERS:
            self.flops += _HANDLERS[func](args)
        return out


def meta_copy(module: nn.Module) -> nn.Module:
    """Structure-only copy of ``module`` whose tensors live on the meta device (no data copied)."""
    memo: dict[int, Any] = {}
    for t in list(module.parameters()) + list(module.buffers()):
        meta = torch.empty_like(t, device='meta')
        memo[id(t)] = nn.Parameter(meta, requires_grad=t.requires_grad) if isinstance(t, nn.Parameter) else meta
    clone = copy.deepcopy(module, memo)
    for m in clone.modules():
        if hasattr(m, 'fused_attn'):
            m.fused_attn = False
    return clone.eval()


def count_flops(fn: Callable[..., Any], *args: Any) -> tuple[int, Any]:
    """FLOPs of ``fn(*args)`` and its output."""
    with torch.no_grad(), FlopCounter() as counter:
        out = fn(*args)
    return counter.flops, out


def _numel(modules: Any) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


@dataclass(frozen=True)
class _Anchor:
    """Per-anchor component costs at one input size."""

    tokens: int
    embed: int
    blocks: tuple[int, ...]
    head: int
    embed_params: int
    block_params: tuple[int, ...]
    head_params: int


def _tail_modules(model: nn.Module) -> list[nn.Module]:
    return [getattr(model, n) for n in ('norm', 'fc_norm', 'head', 'attn_pool')
            if isinstance(getattr(model, n, None), nn.Module)]


def _anchor_components(anchor: nn.Module, hw: tuple[int, int]) -> _Anchor:
    embed, x = count_flops(anchor.embed, torch.empty(1, 3, *hw, device='meta'))
    blocks = tuple(count_flops(blk, x)[0] for blk in anchor.blocks)
    head = count_flops(anchor.head, x)[0]
    block_params = tuple(_numel([b]) for b in anchor.blocks)
    tail = _numel(_tail_modules(anchor.model))
    return _Anchor(tokens=x.shape[1], embed=embed, blocks=blocks, head=head,
                   embed_params=_numel([anchor.model]) - tail - sum(block_params),
                   block_params=block_params, head_params=tail)


def _to_hw(input_size: Any) -> tuple[int, int]:
    def positive_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v > 0

    if positive_int(input_size):
        return (input_size, input_size)
    if isinstance(input_size, (tuple, list)) and len(input_size) == 2 and all(map(positive_int, input_size)):
        return (input_size[0], input_size[1])
    raise ValueError(f'input_size: expected a positive int or (height, width), got {input_size!r}')


def _check_input_size(net: 'StitchedViT', hw: tuple[int, int]) -> None:
    model = net.anchors[0].model
    if not model.dynamic_img_size and hw != tuple(model.patch_embed.img_size):
        raise ValueError(f'input_size: {hw} differs from the anchors\' img_size '
                         f'{tuple(model.patch_embed.img_size)}; build with dynamic_img_size=True '
                         'or a matching img_size')


def stitch_costs(net: 'StitchedViT', input_size: int | tuple[int, int], *,
                 output: str = 'logits') -> list[StitchCost]:
    """FLOPs and params of every stitch of ``net`` for one image of ``input_size``.

    Args:
        net: The stitched network.
        input_size: Input height and width (an int for square inputs).
        output: ``'logits'`` counts the ending anchor's norm and head; ``'features'`` counts
            the dense-output projections instead.

    Returns:
        One ``StitchCost`` per stitch, in stitch order; cached on ``net``.
    """
    if output not in ('logits', 'features'):
        raise ValueError(f"output: expected 'logits' or 'features', got {output!r}")
    if output == 'features' and not net.out_indices:
        raise ValueError("output: 'features' needs a network built with out_indices")
    hw = _to_hw(input_size)
    _check_input_size(net, hw)
    cache = net.__dict__.setdefault('_cost_cache', {})
    if (hw, output) not in cache:
        meta = meta_copy(net)
        anchors = [_anchor_components(a, hw) for a in meta.anchors]
        cache[(hw, output)] = [_stitch_cost(net, i, anchors, output) for i in range(net.num_stitches)]
    return list(cache[(hw, output)])


def _stitch_cost(net: 'StitchedViT', index: int, anchors: list[_Anchor], output: str) -> StitchCost:
    stitch = net.stitches[index]
    first, last = anchors[stitch.first_anchor], anchors[stitch.last_anchor]
    flops, params = first.embed, first.embed_params
    for seg in stitch.segments:
        flops += sum(anchors[seg.anchor].blocks[seg.start:seg.end])
        params += sum(anchors[seg.anchor].block_params[seg.start:seg.end])
    keys = set(stitch.layers)
    for key in stitch.layers:
        flops += _linear_flops(net, key, anchors)
    if output == 'logits':
        flops += last.head
        params += last.head_params
    else:
        for groups in net._taps[index].values():
            for key, _ in groups:
                if key is not None:
                    flops += _linear_flops(net, key, anchors)
                    keys.add(key)
    for key in keys:
        layer = net.stitch_layers[key]
        params += (layer.in_features + 1) * layer.out_features
    return StitchCost(flops=int(flops), params=int(params))


def _linear_flops(net: 'StitchedViT', key: str, anchors: list[_Anchor]) -> int:
    layer, spec = net.stitch_layers[key], net.space.layer(key)
    return anchors[spec.src].tokens * layer.in_features * layer.out_features
