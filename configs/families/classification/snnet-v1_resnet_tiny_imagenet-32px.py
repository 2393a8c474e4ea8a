# Tiny CPU variant of the stitched ResNet-18/50 config: random-init ResNets shaped like R18 and R50
# (4 stitches in stages 1-2 + 2 anchors), 5 classes, 32x32 images, hard distillation from a tiny
# random ResNet teacher (no download), 10 epochs of 5 iterations.
# Data: python tools/make_tiny_data.py imagenet data/tiny/imagenet
_base_ = [
    '../../_base_/models/snnet-v1_resnet_tiny_in1k.py', '../../_base_/datasets/tiny-imagenet_bs8_32px.py',
    '../../_base_/schedules/tiny_sgd-0.1_cosine_10e.py', '../../_base_/snnet_training.py',
]

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=16, gap_gflops=0.0001)]
randomness = dict(seed=0)
