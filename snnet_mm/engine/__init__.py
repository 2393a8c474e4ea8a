"""MMEngine hooks and loops for stitched training and validation."""
from .layer_decay import LayerDecayOptimWrapperConstructor
from .stitch_ddp import StitchDistributedDataParallel
from .stitch_sampling_hook import StitchSamplingHook, find_stitched_backbone
from .stitch_val_loop import StitchValLoop

__all__ = ['LayerDecayOptimWrapperConstructor', 'StitchDistributedDataParallel', 'StitchSamplingHook', 'StitchValLoop', 'find_stitched_backbone']
