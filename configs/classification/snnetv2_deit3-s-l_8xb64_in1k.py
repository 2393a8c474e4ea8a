# SN-Netv2 on ImageNet-1k: stitched DeiT3-S/L, every stitch classified by the head of the anchor
# it ends in (pretrained heads used as they are). The recipe the official code ran
# (classification/config/deit_stitching_snnetv2_s_l.json + main.py defaults; docs/recipes.md):
# 50 epochs, 8 GPUs x 64 = 512 images/iter, LAMB lr 3e-5 unscaled, wd 0.02, 5 warm-up epochs
# from 1e-7 then cosine to 1e-5, repeated augmentation x3, 3-Augment with simple random crop,
# CutMix 1.0, label smoothing 0.1, drop path 0.05 (S) / 0.4 (L), evaluation at crop ratio 1.0,
# low-rank stitching layers r=64, sampling groups 1 GFLOP wide. Every rank trains the same stitch
# (StitchSamplingHook), where the official code drew one per GPU.
_base_ = [
    '../_base_/models/snnetv2_deit3-s-l_in1k.py', '../_base_/datasets/imagenet_bs64_deit3-3aug_224.py',
    '../_base_/schedules/imagenet_bs512_lamb_50e.py', 'mmpretrain::_base_/default_runtime.py',
    '../_base_/snnet_training.py',
]

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=100, gap_gflops=1.0)]
