# SN-Net v1 (CVPR 2023) on ImageNet-1k as the official stitching_deit/ code ran it (docs/recipes.md;
# config/deit_stitching.json, params.py defaults, main.py): three anchors DeiT-Ti/S/B, neighbouring
# pairs Ti-S and S-B stitched small-to-large with v1's sliding window (kernel 2, stride 1):
# 3 anchors + 2 x 34 = 71 stitches, full-rank stitching layers least-squares initialised from 100
# images, uniform stitch sampling, everything trained. DeiT's recipe with the lr divided by 10:
# AdamW 5e-5 x 1024 / 512 = 1e-4, wd 0.05, 50 epochs (5 warm-up from 1e-7, cosine to 1e-6),
# 8 GPUs x 128 = 1024 images/iter, repeated augmentation x3, RandAugment m9, random erasing 0.25,
# Mixup 0.8 / CutMix 1.0, label smoothing 0.1, drop path 0.1, hard distillation from DeiT's
# RegNetY-16GF teacher (alpha 0.5). Every rank trains the same stitch (StitchSamplingHook).
_base_ = [
    '../_base_/models/snnet-v1_deit-ti-s-b_in1k.py', '../_base_/datasets/imagenet_bs128_repeat-aug_224.py',
    '../_base_/schedules/imagenet_bs1024_adamw_50e.py', 'mmpretrain::_base_/default_runtime.py',
    '../_base_/snnet_training.py',
]

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=100, strategy='uniform')]
