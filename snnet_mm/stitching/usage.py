"""Which parameters one stitch's forward pass uses, in the order it uses them.

A stitch runs the first anchor's embedding, the blocks of each segment with a stitching layer
between segments, then either the ending anchor's head (logits) or, for dense outputs, the
projections its taps read and the shared output norms. Every other parameter of the network
(other anchors' embeddings and heads, blocks off the route, unused stitching layers) gets no
gradient in a step that trains this stitch. Data-parallel training uses this to reduce only
the gradients a step produces, without walking the autograd graph.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from torch import nn

if TYPE_CHECKING:
    from .families import FamilyAnchor
    from .network import StitchedNetwork


def embedding_parameters(anchor: 'FamilyAnchor') -> list[nn.Parameter]:
    """Parameters of ``anchor`` used before its first block (patch embedding, class token,
    position embedding, stem): everything that is neither a block nor the head."""
    excluded = {id(p) for m in (*anchor.blocks, *anchor.tail_modules()) for p in m.parameters()}
    return [p for p in anchor.model.parameters() if id(p) not in excluded]


def stitch_parameters(net: 'StitchedNetwork', index: int) -> list[nn.Parameter]:
    """The parameters the forward pass of stitch ``index`` uses, each once, in execution order.

    Frozen parameters (e.g. the least-squares weight of low-rank stitching layers) are
    included; filter on ``requires_grad`` for the ones that receive gradients. A dense output's
    projection counts as used whether or not the consumer reads that output.

    Args:
        net: The stitched network.
        index: Stitch index.

    Returns:
        Parameters in the order the forward pass first uses them (reversed: the order in
        which the backward pass finishes their gradients, roughly).
    """
    stitch = net.stitches[net.check_stitch_index(index, 'index')]
    taps = net._taps[index]
    modules: list[Iterable[nn.Parameter]] = [embedding_parameters(net.anchors[stitch.first_anchor])]
    for si, seg in enumerate(stitch.segments):
        if si:
            modules.append(net.stitch_layers[stitch.layers[si - 1]].parameters())
        blocks = net.anchors[seg.anchor].blocks
        for b in range(seg.start, seg.end):
            modules.append(blocks[b].parameters())
            modules += [net.stitch_layers[proj].parameters() for proj, _ in taps.get((si, b), ()) if proj is not None]
    if net.output == 'logits':
        modules += [m.parameters() for m in net.anchors[stitch.last_anchor].tail_modules()]
    elif net.out_norms is not None:
        modules.append(net.out_norms.parameters())
    seen: set[int] = set()
    ordered = []
    for params in modules:
        for p in params:
            if id(p) not in seen:
                seen.add(id(p))
                ordered.append(p)
    return ordered
