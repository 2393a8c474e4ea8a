# Tiny CPU variant: tiny random-init anchors (width 32/64, depth 2/4), 5 classes, 32x32 images,
# 10 epochs of 5 iterations. Data: python tools/make_tiny_data.py imagenet data/tiny/imagenet
_base_ = [
    '../_base_/models/snnetv2_tiny_in1k.py', '../_base_/datasets/tiny-imagenet_bs8_32px.py',
    '../_base_/schedules/tiny_adamw-2e-3_cosine_10e.py', '../_base_/snnet_training.py',
]

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=16, gap_gflops=0.0001)]
