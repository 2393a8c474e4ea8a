"""Core stitching engine: imports only torch and timm (each when first used)."""
from __future__ import annotations

import importlib

_EXPORTS = {
    'Anchor': 'anchor', 'AnchorSpec': 'anchor', 'StitchCost': 'cost', 'stitch_costs': 'cost',
    'ExportedStitch': 'export', 'StitchingLinear': 'layers', 'StitchedViT': 'network',
    'StitchedNetwork': 'network',
    'KINDS': 'stitch', 'LayerSpec': 'stitch', 'Segment': 'stitch', 'Stitch': 'stitch',
    'StitchSpace': 'stitch', 'enumerate_stitches': 'stitch', 'stitch_parameters': 'usage',
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    # Lazy so that registering the OpenMMLab adapters does not import timm (and torchvision).
    if name in _EXPORTS:
        return getattr(importlib.import_module(f'{__name__}.{_EXPORTS[name]}'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
