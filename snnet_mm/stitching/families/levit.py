"""LeViT family (timm ``levit_*``): three stages of attention + MLP blocks on token sequences.

A block is one ``LevitBlock`` (an attention residual then an MLP residual), as the official
``stitching_levit`` code counts blocks (two entries of its flat block list each). timm runs
the attention subsample (plus its MLP residual) at the start of stages 1-2; it runs here
together with block 0 of its stage, so every resolution change stays inside one anchor
(stitches enter at block >= 1). Tokens carry no class token; the attention biases are tied
to one token grid, so a LeViT takes inputs of its ``img_size`` only.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import torch
from timm.models.levit import Levit, checkpoint_filter_fn
from torch import nn

from .base import FamilyAnchor, Stage, stage_units, stages_of
from .registry import register_family


@register_family
class LeViTAnchor(FamilyAnchor):
    """A timm ``Levit`` / ``LevitDistilled`` (token mode); block outputs are (N, H*W, C) tokens."""

    family = 'levit'
    model_types = (Levit,)
    stitch_stages = (0, 1)
    takes_img_size = True
    head_keys = ('head.linear.weight', 'head.linear.bias', 'head_dist.linear.weight', 'head_dist.linear.bias')

    def __init__(self, model: Levit) -> None:
        if model.use_conv:
            raise ValueError(f'{type(model).__name__}: the convolutional LeViT variants (levit_conv_*) are not '
                             'supported; use the token ones (levit_128s, levit_192, levit_256, ...)')
        super().__init__(model)
        # A plain attribute (not a registered child): the state dict keeps timm's keys.
        self._units = stage_units(model.stages)

    @staticmethod
    def checkpoint_filter(state: Mapping[str, Any], model: nn.Module) -> Mapping[str, Any]:
        return checkpoint_filter_fn(state, model)

    @property
    def stages(self) -> tuple[Stage, ...]:
        return stages_of(self.model.stages, self.model.feature_info, 'tokens')

    @property
    def blocks(self) -> Sequence[nn.Module]:
        return self._units

    @property
    def token_grid(self) -> tuple[int, int]:
        """Token grid of stage 0, which the attention biases of this model are built for."""
        for stage in self.model.stages[1:]:
            if not isinstance(stage.downsample, nn.Identity):
                return tuple(stage.downsample.attn_downsample.resolution)
        side = math.isqrt(self.model.stages[0].blocks[0].attn.attention_biases.shape[1])
        return (side, side)  # one stage: timm builds square grids from an int img_size

    @property
    def built_size(self) -> tuple[int, int] | None:
        stride = self.model.stem.stride
        h, w = self.token_grid
        return (h * stride, w * stride)

    def compat_facts(self) -> dict[str, Any]:
        return {'img_size': self.built_size}

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.stem(x).flatten(2).transpose(1, 2)

    def head(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.forward_head(x)

    def tail_modules(self) -> list[nn.Module]:
        return [m for m in (self.model.head, getattr(self.model, 'head_dist', None)) if isinstance(m, nn.Module)]

    def prune_memo(self, *, keep_embed: bool, keep_head: bool) -> dict[int, Any]:
        memo: dict[int, Any] = {id(self.model.stages): nn.Sequential(), id(self._units): ()}
        if not keep_embed:
            memo[id(self.model.stem)] = nn.Identity()
        if not keep_head:
            memo.update({id(sub): nn.Identity() for sub in self.tail_modules()})
        return memo
