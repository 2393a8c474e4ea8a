"""OpenMMLab adapters of the stitching engine (need MMEngine)."""
from .backbone import SNNetv2

__all__ = ['SNNetv2']
