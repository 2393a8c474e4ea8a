"""Export one stitch as a standalone module holding only the weights it uses."""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .families import FamilyAnchor, stage_maps, tokens_to_maps

if TYPE_CHECKING:  # the network imports timm; export does not need it
    from .network import StitchedViT


def _pruned_copy(anchor: FamilyAnchor, *, keep_embed: bool, keep_head: bool) -> FamilyAnchor:
    """Deep copy of an anchor without its blocks (and without embed / head parts if unused)."""
    return copy.deepcopy(anchor, anchor.prune_memo(keep_embed=keep_embed, keep_head=keep_head))


class ExportedStitch(nn.Module):
    """One stitch of a ``StitchedNetwork`` as a plain module.

    Its forward equals the stitched network's forward for that stitch: logits, or the list
    of dense outputs when the network was built with ``out_indices``.
    """

    def __init__(self, *, stem: FamilyAnchor, body: nn.ModuleList, tail: FamilyAnchor | None,
                 taps: dict[int, list[tuple[int | None, tuple[int, ...]]]], projections: nn.ModuleList,
                 num_outputs: int, with_cls_token: bool, route: str,
                 out_layouts: tuple[str, ...] = (), out_norms: nn.ModuleList | None = None) -> None:
        super().__init__()
        self.stem = stem
        self.body = body
        self.tail = tail
        self.projections = projections
        self.taps = taps
        self.num_outputs = num_outputs
        self.with_cls_token = with_cls_token
        self.route = route
        self.out_layouts = out_layouts
        self.out_norms = out_norms

    @classmethod
    @torch.no_grad()
    def from_network(cls, net: 'StitchedViT', index: int) -> 'ExportedStitch':
        """A standalone module with only the weights of stitch ``index`` (low-rank updates merged)."""
        index = net.check_stitch_index(index)
        stitch = net.stitches[index]
        dense = net.output == 'features'
        same = stitch.first_anchor == stitch.last_anchor
        stem = _pruned_copy(net.anchors[stitch.first_anchor], keep_embed=True, keep_head=same and not dense)
        tail = None
        if not dense and not same:
            tail = _pruned_copy(net.anchors[stitch.last_anchor], keep_embed=False, keep_head=True)
        merged: dict[str, nn.Module] = {}

        def linear(key: str) -> nn.Module:
            # One module per layer key, shared by the jump and the dense projection using it.
            if key not in merged:
                merged[key] = net.stitch_layers[key].merged()
            return merged[key]

        body: list[nn.Module] = []
        positions: dict[tuple[int, int], int] = {}
        for si, seg in enumerate(stitch.segments):
            if si:
                body.append(linear(stitch.layers[si - 1]))
            for b in range(seg.start, seg.end):
                positions[(si, b)] = len(body)
                body.append(copy.deepcopy(net.anchors[seg.anchor].blocks[b]))
        proj_keys: list[str] = []
        taps: dict[int, list[tuple[int | None, tuple[int, ...]]]] = {}
        for (si, b), groups in net._taps[index].items():
            for key, slots in groups:
                if key is not None and key not in proj_keys:
                    proj_keys.append(key)
                proj = None if key is None else proj_keys.index(key)
                taps.setdefault(positions[(si, b)], []).append((proj, slots))
        projections = nn.ModuleList(linear(k) for k in proj_keys)
        exported = cls(stem=stem, body=nn.ModuleList(body), tail=tail, taps=taps, projections=projections,
                       num_outputs=len(net.out_indices) if dense else 0,
                       with_cls_token=net.with_cls_token, route=stitch.route,
                       out_layouts=net._out_layouts[index] if net.multi_stage else (),
                       out_norms=copy.deepcopy(net.out_norms) if dense else None)
        return exported.train(net.training)

    def forward(self, x: torch.Tensor) -> Any:
        hw = tuple(x.shape[-2:])
        x = self.stem.embed(x)
        feats: list[Any] = [None] * self.num_outputs
        for i, module in enumerate(self.body):
            x = module(x)
            for proj, slots in self.taps.get(i, ()):
                y = x if proj is None else self.projections[proj](x)
                for k in slots:
                    feats[k] = y
        if self.num_outputs and self.out_layouts:
            return stage_maps(feats, self.out_layouts, self.out_norms)
        if self.num_outputs:
            return tokens_to_maps(feats, self.stem.grid_size(hw), self.stem.num_prefix_tokens, self.with_cls_token)
        return (self.tail or self.stem).head(x)

    def extra_repr(self) -> str:
        return f'route={self.route}'
