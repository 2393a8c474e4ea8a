"""FLOPs and parameters of every stitch, counted the way fvcore counts them.

Op-level counting rules live in ``flops.py``. Each component (an anchor's embedding, each
block, each stitching layer, each head) is traced once on the meta device, so no real
computation runs; a stitch's cost is the sum of the components on its route, whatever the
anchors' family. Results are cached per input size on the network.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .families.base import channels_last
from .flops import FlopCounter, count_flops, meta_copy

if TYPE_CHECKING:
    from .network import StitchedNetwork as StitchedViT

__all__ = ['ComponentFlops', 'FlopCounter', 'StitchCost', 'component_flops', 'count_flops', 'meta_copy', 'stitch_costs']


@dataclass(frozen=True)
class StitchCost:
    """FLOPs (multiply-adds) and parameter count of one stitch at one input size."""

    flops: int
    params: int

    @property
    def gflops(self) -> float:
        return self.flops / 1e9


def _numel(modules: Any) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


@dataclass(frozen=True)
class _Anchor:
    """Per-anchor component costs at one input size, and its (meta) boundary tensors."""

    boundaries: tuple[torch.Tensor, ...]
    embed: int
    blocks: tuple[int, ...]
    head: int
    embed_params: int
    block_params: tuple[int, ...]
    head_params: int


def _anchor_components(anchor: nn.Module, hw: tuple[int, int]) -> _Anchor:
    embed, x = count_flops(anchor.embed, torch.empty(1, 3, *hw, device='meta'))
    boundaries, blocks = [x], []
    for blk in anchor.blocks:
        flops, x = count_flops(blk, x)
        blocks.append(flops)
        boundaries.append(x)
    head = count_flops(anchor.head, x)[0]
    block_params = tuple(_numel([b]) for b in anchor.blocks)
    tail = _numel(anchor.tail_modules())
    return _Anchor(boundaries=tuple(boundaries), embed=embed, blocks=tuple(blocks), head=head,
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
    if not hasattr(model, 'patch_embed'):
        return  # convolutional anchors take any size
    if not getattr(model, 'dynamic_img_size', False) and hw != tuple(model.patch_embed.img_size):
        raise ValueError(f'input_size: {hw} differs from the anchors\' img_size '
                         f'{tuple(model.patch_embed.img_size)}; build with dynamic_img_size=True '
                         'or a matching img_size')


def stitch_costs(net: 'StitchedViT', input_size: int | tuple[int, int], *,
                 output: str | None = None, used_outputs: frozenset[int] | None = None) -> list[StitchCost]:
    """FLOPs and params of every stitch of ``net`` for one image of ``input_size``.

    Args:
        net: The stitched network.
        input_size: Input height and width (an int for square inputs).
        output: ``'logits'`` counts the ending anchor's norm and head; ``'features'`` counts
            the dense-output projections instead; ``None``: what ``net`` returns (``net.output``).
        used_outputs: With ``'features'``, the dense outputs the consumer reads (default: all);
            projections feeding only unread outputs are not counted, as fvcore drops them.

    Returns:
        One ``StitchCost`` per stitch, in stitch order; cached on ``net``.
    """
    output = net.output if output is None else output
    if output not in ('logits', 'features'):
        raise ValueError(f"output: expected 'logits' or 'features', got {output!r}")
    if output == 'features' and not net.out_indices:
        raise ValueError("output: 'features' needs a network built with out_indices")
    hw = _to_hw(input_size)
    _check_input_size(net, hw)
    cache = net.__dict__.setdefault('_cost_cache', {})
    key = (hw, output, used_outputs)
    if key not in cache:
        anchors, layers = _components(net, hw)
        cache[key] = [_stitch_cost(net, i, anchors, layers, output, used_outputs) for i in range(net.num_stitches)]
    return list(cache[key])


def _components(net: 'StitchedViT', hw: tuple[int, int]) -> tuple[list[_Anchor], dict[str, int]]:
    """Per-anchor component costs and each stitching layer's FLOPs at ``hw`` (cached on ``net``)."""
    cache = net.__dict__.setdefault('_cost_cache', {})
    if ('components', hw) not in cache:
        meta = meta_copy(net)
        anchors = [_anchor_components(a, hw) for a in meta.anchors]
        # Stitching layers as exported: the low-rank update merged into one linear.
        layers = {spec.key: count_flops(meta.stitch_layers[spec.key].merged(),
                                        anchors[spec.src].boundaries[spec.fits[0][0]])[0]
                  for spec in net.space.layers}
        cache[('components', hw)] = (anchors, layers)
    return cache[('components', hw)]


def _out_norm_flops(net: 'StitchedViT', anchors: list[_Anchor]) -> int:
    """FLOPs of the dense outputs' norms, on the top anchor's stage outputs (channels last)."""
    if net.out_norms is None:
        return 0
    top = net.anchors[-1]
    flops = 0
    for norm, st in zip(meta_copy(net.out_norms), net.out_indices):
        x = anchors[-1].boundaries[top.stage_offset(st + 1)]
        flops += count_flops(norm, channels_last(x, top.stages[st].layout))[0]
    return flops


@dataclass(frozen=True)
class ComponentFlops:
    """FLOPs per image of each component a route is made of (what prefix trees add up)."""

    embed: tuple[int, ...]
    blocks: tuple[tuple[int, ...], ...]
    head: tuple[int, ...]
    layers: dict[str, int]
    out_norms: int = 0  # the dense outputs' norms, run once per stitch


def component_flops(net: 'StitchedViT', input_size: int | tuple[int, int]) -> ComponentFlops:
    """Embedding, block and head FLOPs of every anchor and FLOPs of every stitching layer."""
    hw = _to_hw(input_size)
    _check_input_size(net, hw)
    anchors, layers = _components(net, hw)
    return ComponentFlops(embed=tuple(a.embed for a in anchors), blocks=tuple(a.blocks for a in anchors),
                          head=tuple(a.head for a in anchors), layers=dict(layers),
                          out_norms=_out_norm_flops(net, anchors) if net.output == 'features' else 0)


def _stitch_cost(net: 'StitchedViT', index: int, anchors: list[_Anchor], layers: dict[str, int],
                 output: str, used_outputs: frozenset[int] | None) -> StitchCost:
    stitch = net.stitches[index]
    first, last = anchors[stitch.first_anchor], anchors[stitch.last_anchor]
    flops, params = first.embed, first.embed_params
    for seg in stitch.segments:
        flops += sum(anchors[seg.anchor].blocks[seg.start:seg.end])
        params += sum(anchors[seg.anchor].block_params[seg.start:seg.end])
    keys = set(stitch.layers)
    for key in stitch.layers:
        flops += layers[key]
    if output == 'logits':
        flops += last.head
        params += last.head_params
    else:
        flops += _out_norm_flops(net, anchors)
        params += _numel([net.out_norms]) if net.out_norms is not None else 0
        for groups in net._taps[index].values():
            for key, slots in groups:
                if key is not None and (used_outputs is None or used_outputs & set(slots)):
                    flops += layers[key]
                    keys.add(key)
    for key in keys:
        layer = net.stitch_layers[key]
        params += (layer.in_features + 1) * layer.out_features
    return StitchCost(flops=int(flops), params=int(params))

