"""ResNet family (timm ``resnet*``): four stages of residual blocks on NCHW maps.

The stride-2 block is block 0 of stages 1-3, so a stitch entering at block >= 1 keeps every
resolution change inside one anchor.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
from timm.models.resnet import ResNet
from torch import nn

from .base import FamilyAnchor, Stage
from .registry import register_family

_STAGES = ('layer1', 'layer2', 'layer3', 'layer4')


@register_family
class ResNetAnchor(FamilyAnchor):
    """A timm ``ResNet``; block outputs are NCHW maps."""

    family = 'resnet'
    model_types = (ResNet,)
    stitch_stages = (1, 2)
    head_keys = ('fc.weight', 'fc.bias')

    @property
    def stages(self) -> tuple[Stage, ...]:
        infos = {info['module']: info for info in self.model.feature_info}
        return tuple(Stage(depth=len(getattr(self.model, name)), width=infos[name]['num_chs'],
                           stride=infos[name]['reduction'], layout='nchw') for name in _STAGES)

    @property
    def blocks(self) -> Sequence[nn.Module]:
        return [blk for name in _STAGES for blk in getattr(self.model, name)]

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        m = self.model
        return m.maxpool(m.act1(m.bn1(m.conv1(x))))

    def head(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.forward_head(x)

    def tail_modules(self) -> list[nn.Module]:
        return [self.model.global_pool, self.model.fc]

    def prune_memo(self, *, keep_embed: bool, keep_head: bool) -> dict[int, Any]:
        memo: dict[int, Any] = {id(getattr(self.model, name)): nn.Sequential() for name in _STAGES}
        if not keep_embed:
            memo.update({id(getattr(self.model, n)): nn.Identity() for n in ('conv1', 'bn1', 'act1', 'maxpool')})
        if not keep_head:
            memo.update({id(sub): nn.Identity() for sub in self.tail_modules()})
        return memo
