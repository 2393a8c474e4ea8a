"""Core stitching engine: imports only torch and timm."""
from .anchor import Anchor, AnchorSpec
from .cost import StitchCost, stitch_costs
from .export import ExportedStitch
from .layers import StitchingLinear
from .network import StitchedViT
from .stitch import KINDS, LayerSpec, Segment, Stitch, StitchSpace, enumerate_stitches

__all__ = [
    'Anchor', 'AnchorSpec', 'ExportedStitch', 'KINDS', 'LayerSpec', 'Segment', 'Stitch',
    'StitchCost', 'StitchSpace', 'StitchedViT', 'StitchingLinear', 'enumerate_stitches',
    'stitch_costs',
]
