# Tiny CPU variant of the UperNet config: random-init tiny anchors (width 32/64, depth 2/4),
# 64x64 crops, 40 iterations. Data: python tools/make_tiny_data.py ade20k data/tiny/ade20k
_base_ = [
    '../_base_/models/upernet_snnetv2_tiny.py', '../_base_/datasets/tiny-ade20k_bs4_64x64.py',
    '../_base_/schedules/tiny_adamw-2e-3_warmup-poly_40i.py', 'mmseg::_base_/default_runtime.py',
    '../_base_/snnet_training.py',
]

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=8, gap_gflops=0.0005)]
randomness = dict(seed=0)  # reproducible tiny runs (data order, stitch sequence)
