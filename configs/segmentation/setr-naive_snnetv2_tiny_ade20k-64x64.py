# Tiny CPU variant of the SETR-naive config (tiny anchors, 64x64, sliding-window test), 20 iterations.
# Data: python tools/make_tiny_data.py ade20k data/tiny/ade20k
_base_ = [
    '../_base_/models/setr-naive_snnetv2_tiny.py', '../_base_/datasets/tiny-ade20k_bs4_64x64.py',
    '../_base_/schedules/tiny_sgd-poly_20i.py', 'mmseg::_base_/default_runtime.py',
    '../_base_/snnet_training.py',
]

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=8, gap_gflops=0.0005)]
