"""Family adapters by name, and the lookup of the adapter of a timm model.

Adapters are found lazily: every module of this package other than ``base`` and ``registry``
is an adapter file, imported (with timm) the first time an adapter is looked up. Adding a
family is therefore one new file here; adapters defined elsewhere register with
``register_family`` when their module is imported.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

from torch import nn

if TYPE_CHECKING:
    from .base import FamilyAnchor

#: Adapters registered so far, by family name (``families()`` loads this package's adapter files first).
FAMILIES: dict[str, type['FamilyAnchor']] = {}
_NOT_ADAPTERS = frozenset({'base', 'registry'})


def register_family(cls: type['FamilyAnchor']) -> type['FamilyAnchor']:
    """Class decorator: make an adapter available to ``adapter_for``."""
    FAMILIES[cls.family] = cls
    return cls


def adapter_modules() -> list[str]:
    """Module names of this package's adapter files (found on disk, nothing imported)."""
    package = __name__.rpartition('.')[0]
    path = importlib.import_module(package).__path__
    return sorted(f'{package}.{info.name}' for info in pkgutil.iter_modules(path)
                  if info.name not in _NOT_ADAPTERS and not info.name.startswith('_'))


def families() -> dict[str, type['FamilyAnchor']]:
    """Every adapter by family name, importing this package's adapter files (and timm) on first use."""
    for module in adapter_modules():
        importlib.import_module(module)
    return FAMILIES


def supported_families() -> str:
    """``'vit (VisionTransformer), swin (SwinTransformer), ...'`` for error messages."""
    return ', '.join(f'{name} ({", ".join(t.__name__ for t in cls.model_types)})'
                     for name, cls in sorted(families().items()))


def adapter_for(model: nn.Module, field_name: str) -> type['FamilyAnchor']:
    """The adapter whose ``model_types`` include ``model``'s class.

    Raises:
        ValueError: No adapter wraps the model; the message lists the families that exist.
    """
    for cls in families().values():
        if isinstance(model, cls.model_types):
            return cls
    raise ValueError(f'{field_name}: no family adapter for a timm {type(model).__name__}; '
                     f'supported families: {supported_families()}')
