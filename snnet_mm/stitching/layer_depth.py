"""Layer depth of every parameter of a stitched ViT, for layer-wise learning-rate decay.

The depth scale is that of the most expensive (deepest-ranked, last) anchor with ``L`` blocks,
as in mmpretrain's ViT: 0 for the embeddings (patch and position embeddings, class and register
tokens), ``i + 1`` for its block ``i``, ``L + 1`` for everything after the blocks (final norms,
heads) and for parameters outside the backbone; ``L + 2`` layers in all. A block of another
anchor takes the depth of the large-anchor boundary it meets (block ``i`` of a 12-block anchor
ends at boundary ``i + 1``, matched to boundary ``2 (i + 1)`` of a 24-block one), and a
stitching layer the depth of the first large-anchor block after its jump point (boundary ``B``:
depth ``B + 1``; where a layer serves several positions, SN-Net v1, the earliest).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .stitch import boundary_map

if TYPE_CHECKING:
    from .network import StitchedViT

EMBEDDING_NAMES = ('patch_embed', 'pos_embed', 'cls_token', 'reg_token', 'norm_pre')


def layer_depths(net: StitchedViT, prefix: str = '') -> tuple[dict[str, int], int]:
    """``({parameter name: depth}, number of layers)`` for every parameter of ``net``.

    Args:
        net: The stitched network.
        prefix: Prepended to the parameter names (the network's name in its parent module).
    """
    large = net.anchors[-1].depth
    to_large = [boundary_map(anchor.depth, large) for anchor in net.anchors]
    names = {id(p): prefix + n for n, p in net.named_parameters()}
    depths = {name: large + 1 for name in names.values()}
    for a, anchor in enumerate(net.anchors):
        for i, block in enumerate(anchor.blocks):
            depths.update({names[id(p)]: to_large[a][i + 1] for p in block.parameters()})
        for name, param in anchor.named_parameters():
            if name.split('.')[0] == 'model' and name.split('.')[1] in EMBEDDING_NAMES:
                depths[names[id(param)]] = 0
    for spec in net.space.layers:
        jump = min(_large_boundary(spec, fit, to_large, len(net.anchors) - 1) for fit in spec.fits)
        for param in net.stitch_layers[spec.key].parameters():
            depths[names[id(param)]] = min(jump + 1, large + 1)
    return depths, large + 2


def _large_boundary(spec, fit: tuple[int, int], to_large: list[list[int]], top: int) -> int:
    if spec.dst == top:
        return fit[1]
    return to_large[spec.src][fit[0]]
