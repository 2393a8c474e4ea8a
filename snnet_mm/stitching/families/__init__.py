"""Family adapters over timm models; importing this package registers every adapter.

Adding a family (LeViT, ConvNeXt, ...) is one new file here: subclass ``FamilyAnchor``,
describe the stages, list the blocks in execution order, decorate with ``register_family``
and import the module below.
"""
from .base import LAYOUTS, FamilyAnchor, Stage, channels_last, from_channels_last, to_nchw
from .registry import FAMILIES, adapter_for, register_family, supported_families
from .resnet import ResNetAnchor
from .swin import SwinAnchor
from .vit import ViTAnchor

__all__ = [
    'FAMILIES', 'FamilyAnchor', 'LAYOUTS', 'ResNetAnchor', 'Stage', 'SwinAnchor', 'ViTAnchor',
    'adapter_for', 'channels_last', 'from_channels_last', 'register_family', 'supported_families',
    'to_nchw',
]
