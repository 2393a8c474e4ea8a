"""Anchors: thin views over timm Vision Transformers.

An anchor exposes the three parts a stitched route needs: the embedding (patch embedding,
prefix tokens, position embedding), its blocks, and the final norm + classifier head.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import timm
import torch
from timm.models.vision_transformer import VisionTransformer
from torch import nn


@dataclass(frozen=True)
class AnchorSpec:
    """How to build one anchor.

    Attributes:
        name: timm model name (DeiT, DeiT3 and ViT families), e.g. ``'deit3_small_patch16_224'``.
        checkpoint: Optional weights: a local timm state dict (``.pth``/``.bin``/``.safetensors``),
            a URI, ``'timm'`` or ``'timm:<tag>'`` (see ``checkpoint.py``); loaded by
            ``StitchedViT.load_anchor_weights``, not at construction.
        img_size: Optional input size override (position embeddings are resampled on load).
        drop_path_rate: Stochastic depth rate of the anchor.
        model_kwargs: Extra keyword arguments for ``timm.create_model`` (e.g. ``embed_dim``,
            ``depth``, ``num_heads`` for tiny test anchors, ``num_classes``).
    """

    name: str
    checkpoint: str | None = None
    img_size: int | tuple[int, int] | None = None
    drop_path_rate: float = 0.0
    model_kwargs: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, value: 'AnchorSpec | str | Mapping[str, Any]', field_name: str) -> 'AnchorSpec':
        """Build a spec from a spec, a timm name or a config dict."""
        if isinstance(value, AnchorSpec):
            return value
        if isinstance(value, str):
            return cls(name=value)
        if isinstance(value, Mapping):
            known = {'name', 'checkpoint', 'img_size', 'drop_path_rate', 'model_kwargs'}
            unknown = set(value) - known
            if unknown:
                raise ValueError(f'{field_name}: unknown key(s) {sorted(unknown)}; '
                                 f'expected some of {sorted(known)}')
            if 'name' not in value:
                raise ValueError(f'{field_name}: missing the timm model "name"')
            return cls(**{k: (dict(v) if k == 'model_kwargs' else v) for k, v in value.items()})
        raise ValueError(f'{field_name}: expected a timm model name or a dict, got {value!r}')


def _to_tuple(size: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    if isinstance(size, int):
        return (size, size)
    return (int(size[0]), int(size[1]))


def build_timm_vit(spec: AnchorSpec, field_name: str, dynamic_img_size: bool) -> VisionTransformer:
    """Create the (randomly initialised) timm model of ``spec``; weights load separately.

    Raises:
        ValueError: Unknown timm name or non-ViT model.
    """
    if not timm.is_model(spec.name):
        raise ValueError(f'{field_name}.name: unknown timm model {spec.name!r}')
    kwargs = dict(spec.model_kwargs)
    if spec.img_size is not None:
        kwargs['img_size'] = _to_tuple(spec.img_size)
    if dynamic_img_size:
        kwargs.update(dynamic_img_size=True, dynamic_img_pad=True)
    model = timm.create_model(spec.name, pretrained=False, drop_path_rate=spec.drop_path_rate, **kwargs)
    if not isinstance(model, VisionTransformer):
        raise ValueError(f'{field_name}.name: {spec.name!r} is a {type(model).__name__}, '
                         'not a timm VisionTransformer')
    return model


class Anchor(nn.Module):
    """One anchor of a stitched network.

    Args:
        model: A timm ``VisionTransformer``.
    """

    def __init__(self, model: VisionTransformer) -> None:
        super().__init__()
        self.model = model

    @property
    def depth(self) -> int:
        return len(self.model.blocks)

    @property
    def width(self) -> int:
        return self.model.embed_dim

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

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Image batch (N, 3, H, W) -> tokens (N, prefix + patches, width)."""
        m = self.model
        x = m.patch_embed(x)
        x = m._pos_embed(x)
        x = m.patch_drop(x)
        return m.norm_pre(x)

    def grid_size(self, image_hw: tuple[int, int]) -> tuple[int, int]:
        """Patch grid for an input of ``image_hw`` pixels (padded to the patch size)."""
        ph, pw = self.patch_size
        return (-(-image_hw[0] // ph), -(-image_hw[1] // pw))

    def head(self, x: torch.Tensor) -> torch.Tensor:
        """Tokens -> logits (final norm, pooling, classifier)."""
        return self.model.forward_head(self.model.norm(x))
