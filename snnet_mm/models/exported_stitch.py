"""``SNNetv2Stitch``: one stitch of an SN-Netv2 backbone as a plain single-path backbone.

Written by ``tools/export_stitch.py``: the config describes the stitched family and the route;
construction builds only that route's modules (the family is laid out on the meta device), and
the exported checkpoint fills them. No stitch sampling, no stitch loop, low-rank layers merged.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import torch
from mmengine.model import BaseModule
from mmengine.registry import MODELS

from ..stitching.selection import resolve_stitch
from ..stitching.stitch import KINDS

if TYPE_CHECKING:
    from ..stitching.export import ExportedStitch


@MODELS.register_module()
class SNNetv2Stitch(BaseModule):
    """A single stitch of a stitched ViT family: only its blocks and stitching layers.

    Args:
        anchors: The family's anchor configs (as for ``SNNetv2``; checkpoints are ignored).
        route: The stitch's route as printed, e.g. ``'S[0:2] -> L[4:24]'``.
        out_indices: Dense outputs on the most expensive anchor's blocks (``None``: logits).
        mode: Stitch space of the family (``'v2'`` or ``'v1'``).
        kinds: Stitch kinds of the family's space.
        selected: Stitch indices the family kept.
        with_cls_token: Return ``(map, class_token)`` pairs.
        dynamic_img_size: Accept any input size (default: True with ``out_indices``).
        init_cfg: MMEngine init config.
    """

    def __init__(self, anchors: Sequence[str | Mapping[str, Any]], *, route: str,
                 out_indices: Sequence[int] | None = None, mode: str = 'v2', kinds: Sequence[str] = KINDS,
                 selected: Sequence[int] | None = None, with_cls_token: bool = False,
                 dynamic_img_size: bool | None = None, init_cfg: dict | list | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        from ..stitching import StitchedViT, export  # timm models: imported on use, not on registration
        if dynamic_img_size is None:
            dynamic_img_size = out_indices is not None
        with torch.device('meta'):
            family = StitchedViT(anchors, mode=mode, kinds=kinds, selected=selected, out_indices=out_indices,
                                 with_cls_token=with_cls_token, dynamic_img_size=dynamic_img_size,
                                 load_weights=False)
            index = resolve_stitch(route, family.stitches, field_name='route')
            stitch = export.ExportedStitch.from_network(family, index)
        self.route = family.stitches[index].route
        self.stitch: ExportedStitch = stitch.to_empty(device='cpu')
        # Derived buffers that checkpoints do not hold (LeViT's attention-bias index, Swin's
        # relative-position index and mask) are rebuilt by timm; to_empty left them uninitialised.
        for module in self.stitch.modules():
            if hasattr(module, 'init_non_persistent_buffers'):
                module.init_non_persistent_buffers()

    def forward(self, x: torch.Tensor) -> tuple[Any, ...]:
        out = self.stitch(x)
        return tuple(out) if isinstance(out, list) else (out,)
