"""Swin Transformer family (timm ``swin_*``): four stages of window-attention blocks on NHWC maps.

timm merges patches at the start of stages 1-3; the merge runs together with block 0 of its
stage, so every resolution change stays inside one anchor (stitches enter at block >= 1).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from timm.models.swin_transformer import SwinTransformer, checkpoint_filter_fn
from torch import nn

from .base import FamilyAnchor, Stage, stage_units, stages_of
from .registry import register_family


@register_family
class SwinAnchor(FamilyAnchor):
    """A timm ``SwinTransformer``; block outputs are NHWC maps."""

    family = 'swin'
    model_types = (SwinTransformer,)
    stitch_stages = (0, 1, 2)
    takes_img_size = True
    head_keys = ('head.fc.weight', 'head.fc.bias')

    def __init__(self, model: SwinTransformer) -> None:
        super().__init__(model)
        # A plain attribute (not a registered child): the state dict keeps timm's keys.
        self._units = stage_units(model.layers)

    @staticmethod
    def dynamic_kwargs() -> dict[str, Any]:
        return dict(strict_img_size=False)

    @staticmethod
    def checkpoint_filter(state: Mapping[str, Any], model: nn.Module) -> Mapping[str, Any]:
        return checkpoint_filter_fn(state, model)

    @property
    def stages(self) -> tuple[Stage, ...]:
        return stages_of(self.model.layers, self.model.feature_info, 'nhwc')

    @property
    def blocks(self) -> Sequence[nn.Module]:
        return self._units

    def output_norm(self, stage: int) -> nn.Module:
        """mmseg's and mmdet's ``norm{i}``: a LayerNorm per output stage, freshly initialised
        (their ImageNet checkpoints' final ``norm`` matches no ``norm{i}`` and is not loaded)."""
        return nn.LayerNorm(self.stages[stage].width)

    def compat_facts(self) -> dict[str, Any]:
        return {'img_size': tuple(self.model.patch_embed.img_size)}

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.patch_embed(x)

    def head(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.forward_head(self.model.norm(x))

    def tail_modules(self) -> list[nn.Module]:
        return [self.model.norm, self.model.head]

    def prune_memo(self, *, keep_embed: bool, keep_head: bool) -> dict[int, Any]:
        memo: dict[int, Any] = {id(self.model.layers): nn.Sequential(), id(self._units): ()}
        if not keep_embed:
            memo[id(self.model.patch_embed)] = nn.Identity()
        if not keep_head:
            memo.update({id(sub): nn.Identity() for sub in self.tail_modules()})
        return memo
