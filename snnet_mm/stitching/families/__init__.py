"""Family adapters over timm models.

Importing this package imports torch only: the adapter files (which import timm) are found
and imported on first lookup (``adapter_for``, ``families``) or attribute access
(``ViTAnchor``, ...). Adding a family (ConvNeXt, ...) is one new file here: subclass
``FamilyAnchor``, describe the stages, list the blocks in execution order and decorate the
class with ``register_family``.
"""
from __future__ import annotations

import importlib

from .base import LAYOUTS, FamilyAnchor, Stage, channels_last, from_channels_last, stage_maps, to_nchw, tokens_to_maps
from .registry import FAMILIES, adapter_for, adapter_modules, families, register_family, supported_families

_ADAPTERS = {'LeViTAnchor': 'levit', 'ResNetAnchor': 'resnet', 'SwinAnchor': 'swin', 'ViTAnchor': 'vit'}
__all__ = [
    'FAMILIES', 'FamilyAnchor', 'LAYOUTS', 'LeViTAnchor', 'ResNetAnchor', 'Stage', 'SwinAnchor', 'ViTAnchor',
    'adapter_for', 'adapter_modules', 'channels_last', 'families', 'from_channels_last', 'register_family',
    'stage_maps', 'supported_families', 'to_nchw', 'tokens_to_maps',
]


def __getattr__(name: str):
    if name in _ADAPTERS:
        return getattr(importlib.import_module(f'{__name__}.{_ADAPTERS[name]}'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
