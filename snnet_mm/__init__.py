"""snnet_mm: stitchable neural networks (SN-Net / SN-Netv2) for OpenMMLab.

The core engine (``snnet_mm.stitching``) needs only torch and timm. When MMEngine and torch
are installed, importing the package also registers the OpenMMLab adapters (the ``SNNetv2``
backbone, hooks, loops, necks, heads, the layer-decay optimiser constructor), the
``snnet_mm::`` config prefix, and applies the compatibility patches of ``snnet_mm.compat``
(``SNNET_MM_NO_COMPAT=1`` turns them off). Heavy modules (timm, mmseg's model zoo) are
imported when first used, not at registration.
"""
from __future__ import annotations

import importlib
from importlib.util import find_spec

__version__ = '0.1.0'
_CORE = ('AnchorSpec', 'Stitch', 'StitchCost', 'StitchedViT', 'enumerate_stitches')
__all__ = [*_CORE, '__version__']


def _installed(name: str) -> bool:
    """Whether ``name`` can be imported (False also where an import hook refuses it)."""
    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):
        return False


# Without torch (a deployment running ``snnet_mm.deploy`` on onnxruntime) nothing registers.
if _installed('mmengine') and _installed('torch'):
    from . import compat, mim
    if find_spec('mmcv') is not None:
        from . import datasets  # noqa: F401  (registers NYUCrop)
    from .engine import StitchSamplingHook  # noqa: F401
    from .models import SNNetv2  # noqa: F401

    compat.apply()
    mim.register_config_package()
    __all__ += ['SNNetv2', 'StitchSamplingHook']


def __getattr__(name: str):
    if name in _CORE:  # the core engine imports timm: only when asked for
        return getattr(importlib.import_module(f'{__name__}.stitching'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
