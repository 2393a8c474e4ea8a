"""Family adapters by name, and the lookup of the adapter of a timm model."""
from __future__ import annotations

from typing import TYPE_CHECKING

from torch import nn

if TYPE_CHECKING:
    from .base import FamilyAnchor

FAMILIES: dict[str, type['FamilyAnchor']] = {}


def register_family(cls: type['FamilyAnchor']) -> type['FamilyAnchor']:
    """Class decorator: make an adapter available to ``adapter_for``."""
    FAMILIES[cls.family] = cls
    return cls


def supported_families() -> str:
    """``'vit (VisionTransformer), swin (SwinTransformer), ...'`` for error messages."""
    return ', '.join(f'{name} ({", ".join(t.__name__ for t in cls.model_types)})'
                     for name, cls in FAMILIES.items())


def adapter_for(model: nn.Module, field_name: str) -> type['FamilyAnchor']:
    """The adapter whose ``model_types`` include ``model``'s class.

    Raises:
        ValueError: No adapter wraps the model; the message lists the families that exist.
    """
    for cls in FAMILIES.values():
        if isinstance(model, cls.model_types):
            return cls
    raise ValueError(f'{field_name}: no family adapter for a timm {type(model).__name__}; '
                     f'supported families: {supported_families()}')
