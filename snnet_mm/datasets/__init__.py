"""Data transforms of the published recipes (need MMEngine and MMCV)."""
from .nyu_crop import NYUCrop

__all__ = ['NYUCrop']
