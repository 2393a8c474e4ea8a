"""DeiT3 anchors with a BEiT-style relative position bias in every block (timm-registered).

The published SN-Netv2 segmentation models do not use timm DeiT3 anchors: their anchors are
mmseg ``MAE`` backbones with ``is_deit_3=True``, i.e. DeiT3 blocks (qkv bias, layer scale,
position embedding without a class-token entry) whose attention adds a per-block relative
position bias that also covers the class token (table zero-initialised, then trained), and no
final norm on the dense outputs. ``RelPosVisionTransformer`` is a timm ``VisionTransformer``
with exactly those blocks, so ``AnchorSpec(name='deit3_small_patch16_relpos')`` selects one and
the stitching engine, FLOPs and params counting treat it as any other ViT.

The bias table has one entry per relative offset of a fixed patch grid (``img_size /
patch_size``), as in BEiT; inputs must produce that grid (e.g. 512x512 sliding-window crops).
"""
from __future__ import annotations

from functools import partial
from typing import Any

import torch
from timm.layers import Attention
from timm.models import register_model
from timm.models.vision_transformer import Block, VisionTransformer
from torch import nn

__all__ = ['RelPosAttention', 'RelPosBlock', 'RelPosVisionTransformer', 'relative_position_index']


def relative_position_index(grid: tuple[int, int]) -> torch.Tensor:
    """BEiT's (1 + H*W)^2 index into the bias table; row/column 0 is the class token.

    Offsets between patches take the first ``(2H-1)(2W-1)`` entries; the last three entries are
    class-to-patch, patch-to-class and class-to-class.
    """
    gh, gw = grid
    coords = torch.stack(torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing='ij')).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)
    rel[:, :, 0] += gh - 1
    rel[:, :, 1] += gw - 1
    rel[:, :, 0] *= 2 * gw - 1
    num = (2 * gh - 1) * (2 * gw - 1) + 3
    index = torch.zeros((gh * gw + 1,) * 2, dtype=torch.long)
    index[1:, 1:] = rel.sum(-1)
    index[0, 0:] = num - 3
    index[0:, 0] = num - 2
    index[0, 0] = num - 1
    return index


class RelPosAttention(Attention):
    """timm ``Attention`` plus a learned relative position bias over a fixed patch grid.

    Args:
        dim: Token width.
        window_size: Patch grid (height, width) the bias table covers.
        **kwargs: ``timm.layers.Attention`` arguments (``num_heads``, ``qkv_bias``, ...).
    """

    def __init__(self, dim: int, *, window_size: tuple[int, int], **kwargs: Any) -> None:
        super().__init__(dim, **kwargs)
        self.window_size = (int(window_size[0]), int(window_size[1]))
        gh, gw = self.window_size
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * gh - 1) * (2 * gw - 1) + 3, self.num_heads))
        # Derived from the grid, so not part of the state dict.
        self.register_buffer('relative_position_index', relative_position_index(self.window_size),
                             persistent=False)

    def relative_position_bias(self) -> torch.Tensor:
        """Bias of shape (heads, tokens, tokens)."""
        n = self.relative_position_index.shape[0]
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        return bias.view(n, n, -1).permute(2, 0, 1).contiguous()

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None,
                is_causal: bool = False) -> torch.Tensor:
        n = self.relative_position_index.shape[0]
        if x.shape[1] != n:
            raise ValueError(f'input: {x.shape[1]} tokens, but the relative position bias covers a '
                             f'{self.window_size[0]}x{self.window_size[1]} patch grid plus a class token '
                             f'({n} tokens); feed inputs of the anchor\'s img_size')
        if attn_mask is not None or is_causal:
            raise ValueError('attn_mask: relative-position attention takes no extra mask')
        bias = self.relative_position_bias().unsqueeze(0).to(x.dtype)
        return super().forward(x, attn_mask=bias)


class RelPosBlock(Block):
    """timm ``Block`` whose attention is ``RelPosAttention`` over ``window_size``."""

    def __init__(self, dim: int, num_heads: int, *, window_size: tuple[int, int], qkv_bias: bool = False,
                 proj_bias: bool = True, attn_drop: float = 0., proj_drop: float = 0.,
                 **kwargs: Any) -> None:
        kwargs.pop('attn_layer', None)
        super().__init__(dim, num_heads, qkv_bias=qkv_bias, proj_bias=proj_bias, attn_drop=attn_drop,
                         proj_drop=proj_drop, **kwargs)
        self.attn = RelPosAttention(dim, window_size=window_size, num_heads=num_heads, qkv_bias=qkv_bias,
                                    proj_bias=proj_bias, attn_drop=attn_drop, proj_drop=proj_drop)


class RelPosVisionTransformer(VisionTransformer):
    """A timm ViT whose blocks add a relative position bias (the mmseg ``MAE`` DeiT3 layout).

    Args:
        img_size: Input size; fixes the patch grid of the bias tables.
        patch_size: Patch size.
        **kwargs: ``VisionTransformer`` arguments.
    """

    def __init__(self, *, img_size: int | tuple[int, int] = 224, patch_size: int = 16, **kwargs: Any) -> None:
        if 'block_fn' in kwargs:
            raise ValueError('block_fn: RelPosVisionTransformer builds its own relative-position blocks')
        hw = (img_size, img_size) if isinstance(img_size, int) else tuple(img_size)
        grid = (hw[0] // patch_size, hw[1] // patch_size)
        super().__init__(img_size=hw, patch_size=patch_size, block_fn=partial(RelPosBlock, window_size=grid),
                         **kwargs)


# DeiT3 widths; no final norm and no classifier by default (the published anchors feed dense heads).
_DEIT3_RELPOS = dict(no_embed_class=True, init_values=1.0, qkv_bias=True, final_norm=False, num_classes=0)


def _create(pretrained: bool, defaults: dict[str, Any], kwargs: dict[str, Any]) -> RelPosVisionTransformer:
    if pretrained:
        raise ValueError('pretrained: relative-position DeiT3 anchors have no hub weights; convert a '
                         'published checkpoint with tools/convert_official.py')
    for unused in ('pretrained_cfg', 'pretrained_cfg_overlay', 'cache_dir'):
        kwargs.pop(unused, None)
    return RelPosVisionTransformer(**{**_DEIT3_RELPOS, **defaults, **kwargs})


@register_model
def deit3_small_patch16_relpos(pretrained: bool = False, **kwargs: Any) -> RelPosVisionTransformer:
    """DeiT3-S (384 wide, 12 blocks, 6 heads) with per-block relative position bias."""
    return _create(pretrained, dict(patch_size=16, embed_dim=384, depth=12, num_heads=6), kwargs)


@register_model
def deit3_base_patch16_relpos(pretrained: bool = False, **kwargs: Any) -> RelPosVisionTransformer:
    """DeiT3-B (768 wide, 12 blocks, 12 heads) with per-block relative position bias."""
    return _create(pretrained, dict(patch_size=16, embed_dim=768, depth=12, num_heads=12), kwargs)


@register_model
def deit3_large_patch16_relpos(pretrained: bool = False, **kwargs: Any) -> RelPosVisionTransformer:
    """DeiT3-L (1024 wide, 24 blocks, 16 heads) with per-block relative position bias."""
    return _create(pretrained, dict(patch_size=16, embed_dim=1024, depth=24, num_heads=16), kwargs)
