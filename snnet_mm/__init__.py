"""snnet_mm: stitchable neural networks (SN-Net / SN-Netv2) for OpenMMLab.

The core engine (``snnet_mm.stitching``) needs only torch and timm. When MMEngine is
installed, importing the package also registers the OpenMMLab adapters (the ``SNNetv2``
backbone, hooks, necks and heads) and makes ``--resume`` work with ``weights_only`` loading.
"""
from importlib.util import find_spec

from .stitching import AnchorSpec, Stitch, StitchCost, StitchedViT, enumerate_stitches
from . import interop  # noqa: F401  (registers the relative-position DeiT3 anchors in timm)

__version__ = '0.1.0'
__all__ = ['AnchorSpec', 'Stitch', 'StitchCost', 'StitchedViT', 'enumerate_stitches', '__version__']

if find_spec('mmengine') is not None:
    from . import compat  # noqa: F401  (registers safe globals for checkpoint loading)
    from .engine import StitchSamplingHook  # noqa: F401
    from .models import SNNetv2  # noqa: F401

    __all__ += ['SNNetv2', 'StitchSamplingHook']
