"""OpenMMLab adapters of the stitching engine (need MMEngine)."""
from importlib.util import find_spec

from .backbone import SNNetv2
from .simple_pyramid import LayerNorm2d, SimpleFeaturePyramid

if find_spec('mmseg') is not None:  # the DPT depth head builds on mmseg's DPT blocks
    from .dpt_depth_head import DPTDepthHead

__all__ = ['LayerNorm2d', 'SNNetv2', 'SimpleFeaturePyramid']
if find_spec('mmseg') is not None:
    __all__ += ['DPTDepthHead']
