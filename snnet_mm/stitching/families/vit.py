"""Plain ViT family (timm ``VisionTransformer``: ViT, DeiT, DeiT3): one stage of token blocks."""
from __future__ import annotations

from typing import Any, Mapping

import torch
from timm.models.vision_transformer import VisionTransformer, checkpoint_filter_fn
from torch import nn

from .base import FamilyAnchor, Stage
from .registry import register_family


@register_family
class ViTAnchor(FamilyAnchor):
    """A timm ``VisionTransformer`` as one stage of blocks on tokens (prefix tokens included)."""

    family = 'vit'
    model_types = (VisionTransformer,)
    stitch_stages = (0,)
    takes_img_size = True
    head_keys = ('head.weight', 'head.bias')

    @staticmethod
    def dynamic_kwargs() -> dict[str, Any]:
        return dict(dynamic_img_size=True, dynamic_img_pad=True)

    @staticmethod
    def checkpoint_filter(state: Mapping[str, Any], model: nn.Module) -> Mapping[str, Any]:
        return checkpoint_filter_fn(state, model, adapt_layer_scale=True)

    @property
    def stages(self) -> tuple[Stage, ...]:
        return (Stage(depth=len(self.model.blocks), width=self.model.embed_dim,
                      stride=self.patch_size[0], layout='tokens'),)

    @property
    def blocks(self) -> nn.Sequential:
        return self.model.blocks

    @property
    def num_prefix_tokens(self) -> int:
        return self.model.num_prefix_tokens

    @property
    def patch_size(self) -> tuple[int, int]:
        return tuple(self.model.patch_embed.patch_size)

    def token_layout(self) -> tuple[bool, int, bool]:
        """(has class token, number of register tokens, position embedding covers prefix)."""
        m = self.model
        num_reg = 0 if m.reg_token is None else m.reg_token.shape[1]
        return (m.cls_token is not None, num_reg, not m.no_embed_class)

    def compat_facts(self) -> dict[str, Any]:
        return {'prefix tokens (class, distillation, register)': self.num_prefix_tokens,
                'patch size': self.patch_size,
                'token layout (class token, registers, pos-embed over prefix)': self.token_layout(),
                'img_size': tuple(self.model.patch_embed.img_size)}

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Image batch (N, 3, H, W) -> tokens (N, prefix + patches, width)."""
        m = self.model
        x = m.patch_embed(x)
        x = m._pos_embed(x)
        x = m.patch_drop(x)
        return m.norm_pre(x)

    def grid_size(self, image_hw: tuple[int, int], stage: int = 0) -> tuple[int, int]:
        """Patch grid for an input of ``image_hw`` pixels (padded to the patch size)."""
        ph, pw = self.patch_size
        return (-(-image_hw[0] // ph), -(-image_hw[1] // pw))

    def head(self, x: torch.Tensor) -> torch.Tensor:
        """Tokens -> logits (final norm, pooling, classifier)."""
        return self.model.forward_head(self.model.norm(x))

    def tail_modules(self) -> list[nn.Module]:
        return [getattr(self.model, n) for n in ('norm', 'fc_norm', 'head', 'attn_pool')
                if isinstance(getattr(self.model, n, None), nn.Module)]

    def prune_memo(self, *, keep_embed: bool, keep_head: bool) -> dict[int, Any]:
        m = self.model
        memo: dict[int, Any] = {id(m.blocks): nn.Sequential()}
        if not keep_embed:
            memo[id(m.patch_embed)] = nn.Identity()
            memo[id(m.norm_pre)] = nn.Identity()
            for p in (m.cls_token, m.reg_token, m.pos_embed):
                if p is not None:
                    memo[id(p)] = None
        if not keep_head:
            memo.update({id(sub): nn.Identity() for sub in self.tail_modules()})
        return memo
