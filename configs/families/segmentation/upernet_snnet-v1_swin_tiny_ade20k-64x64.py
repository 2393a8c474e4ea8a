# Tiny CPU variant of the stitched Swin UperNet config: random-init tiny Swin anchors (width 16,
# depths 1-1-2-1 / 1-1-3-1, window 2), 64x64 crops, 30 iterations of AdamW lr 2e-3.
# Data: python tools/make_tiny_data.py ade20k data/tiny/ade20k
_base_ = [
    '../../_base_/models/upernet_snnet-v1_swin_tiny.py', '../../_base_/datasets/tiny-ade20k_bs4_64x64.py',
    '../../_base_/schedules/tiny_adamw-2e-3_warmup-poly_30i_swin.py', 'mmseg::_base_/default_runtime.py',
    '../../_base_/snnet_training.py',
]

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=8, gap_gflops=0.0005)]
