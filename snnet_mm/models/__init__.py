"""OpenMMLab adapters of the stitching engine (need MMEngine)."""
from importlib.util import find_spec

from .backbone import SNNetv2
from .exported_stitch import SNNetv2Stitch
from .lazy import load_lazy, register_lazy
from .sig_loss import SigLoss
from .simple_pyramid import LayerNorm2d, SimpleFeaturePyramid

__all__ = ['LayerNorm2d', 'SNNetv2', 'SNNetv2Stitch', 'SigLoss', 'SimpleFeaturePyramid']
_LAZY: dict[str, str] = {}
if find_spec('mmseg') is not None:  # the DPT depth head builds on mmseg's DPT blocks
    _LAZY['DPTDepthHead'] = f'{__name__}.dpt_depth_head'
if find_spec('mmpretrain') is not None:  # the distilling classifier extends mmpretrain's ImageClassifier
    _LAZY['DistilledImageClassifier'] = f'{__name__}.distill'
for _name, _module in _LAZY.items():
    register_lazy(_name, _module)
    __all__ += [_name]


def __getattr__(name: str):
    if name in _LAZY:  # imports mmseg's / mmpretrain's model zoo only now
        return load_lazy(name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
