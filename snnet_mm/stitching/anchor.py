"""Anchor specs and their construction: a timm model inside its family adapter.

An anchor exposes what a stitched route needs: the embedding, stages of blocks, and the final
norm + classifier head (see ``families/``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import timm
import torch
from torch import nn

from .families import FamilyAnchor, ViTAnchor, adapter_for
from . import relpos_vit  # noqa: F401  (registers the relative-position DeiT3 anchors with timm)


@dataclass(frozen=True)
class AnchorSpec:
    """How to build one anchor.

    Attributes:
        name: timm model name of a supported family (ViT/DeiT/DeiT3, Swin, ResNet), e.g.
            ``'deit3_small_patch16_224'``.
        checkpoint: Optional weights: a local timm state dict (``.pth``/``.bin``/``.safetensors``),
            a URI, ``'timm'`` or ``'timm:<tag>'`` (see ``checkpoint.py``); loaded by
            ``StitchedNetwork.load_anchor_weights``, not at construction.
        img_size: Optional input size: patch-embedding models are built for it (position embeddings
            resampled on load); for convolutional ones it is the size FLOPs and budgets are counted at.
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
            rate = value.get('drop_path_rate', 0.0)
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:  # NaN too
                raise ValueError(f'{field_name}.drop_path_rate: expected a number in [0, 1), got {rate!r}')
            return cls(**{k: (dict(v) if k == 'model_kwargs' else v) for k, v in value.items()})
        raise ValueError(f'{field_name}: expected a timm model name or a dict, got {value!r}')


def _to_tuple(size: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    if isinstance(size, int):
        return (size, size)
    return (int(size[0]), int(size[1]))


def build_anchor(spec: AnchorSpec, field_name: str, dynamic_img_size: bool) -> FamilyAnchor:
    """Create the (randomly initialised) timm model of ``spec`` inside its family adapter;
    weights load separately.

    Raises:
        ValueError: Unknown timm name, ``model_kwargs`` the timm class does not take, or a model
            no family adapter wraps (the message lists the supported families).
    """
    if not timm.is_model(spec.name):
        raise ValueError(f'{field_name}.name: unknown timm model {spec.name!r}')
    kwargs = dict(spec.model_kwargs)
    with torch.device('meta'):  # cheap probe: which family, hence which size-related kwargs
        try:
            probe = timm.create_model(spec.name, pretrained=False, **kwargs)
        except TypeError as error:  # an argument the timm class does not take
            raise ValueError(f'{field_name}.model_kwargs: {spec.name!r} does not accept {dict(spec.model_kwargs)!r} '
                             f'({error})') from None
    adapter = adapter_for(probe, f'{field_name}.name ({spec.name!r})')
    size = None if spec.img_size is None else _to_tuple(spec.img_size)
    if size is not None and adapter.takes_img_size:
        kwargs['img_size'] = size
    if dynamic_img_size:
        kwargs.update(adapter.dynamic_kwargs())
    anchor = adapter(timm.create_model(spec.name, pretrained=False, drop_path_rate=spec.drop_path_rate, **kwargs))
    if size is not None and not adapter.takes_img_size:
        anchor.configured_size = size  # a convolutional model takes any size: the config names its own
    return anchor


def build_timm_vit(spec: AnchorSpec, field_name: str, dynamic_img_size: bool) -> nn.Module:
    """The bare timm model of ``spec`` (first name of ``build_anchor``, from the ViT-only days)."""
    return build_anchor(spec, field_name, dynamic_img_size).model


# The plain-ViT adapter under its first name.
Anchor = ViTAnchor
