"""Registry entries whose module is imported when first built.

``DPTDepthHead`` subclasses mmseg's decode head, and importing mmseg's model zoo costs seconds
(it also imports mmdet). A lazy entry is a factory function under the class's name in the root
``MODELS``: building it (from any scope) or asking for the class imports the real module, whose
decorator (``register_module(force=True)``) then registers the class in place of the factory.
"""
from __future__ import annotations

import importlib
from typing import Any

from mmengine.registry import MODELS


def load_lazy(name: str) -> type:
    """The real class behind the lazy entry ``name`` (importing its module once)."""
    entry = MODELS.get(name)
    module = getattr(entry, '_snnet_mm_lazy_module', None)
    if module is None:
        return entry
    importlib.import_module(module)  # its decorator replaces the entry by the real class
    loaded = MODELS.get(name)
    if loaded is entry:
        raise RuntimeError(f'{module} did not register {name} (register_module(force=True) expected)')
    return loaded


def register_lazy(name: str, module: str) -> None:
    """Register ``name`` in the root ``MODELS``; ``module`` is imported on first build."""
    def build(*args: Any, **kwargs: Any):
        return load_lazy(name)(*args, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = f'``{name}`` from ``{module}`` (imported when first built).'
    build._snnet_mm_lazy_module = module
    MODELS.register_module(name=name, module=build)
