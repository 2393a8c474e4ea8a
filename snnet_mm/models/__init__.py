"""OpenMMLab adapters of the stitching engine (need MMEngine)."""
from importlib.util import find_spec

from .backbone import SNNetv2
from .exported_stitch import SNNetv2Stitch
from .simple_pyramid import LayerNorm2d, SimpleFeaturePyramid

__all__ = ['LayerNorm2d', 'SNNetv2', 'SNNetv2Stitch', 'SimpleFeaturePyramid']

if find_spec('mmseg') is not None:  # the DPT depth head builds on mmseg's DPT blocks
    from .lazy import load_lazy, register_lazy

    register_lazy('DPTDepthHead', f'{__name__}.dpt_depth_head')
    __all__ += ['DPTDepthHead']

    def __getattr__(name: str):
        if name == 'DPTDepthHead':  # imports mmseg's model zoo only now
            return load_lazy(name)
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
