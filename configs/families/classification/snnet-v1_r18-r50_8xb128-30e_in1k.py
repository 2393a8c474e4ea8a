# SN-Net v1 on ImageNet-1k: stitched ResNet-18/50 (8 stitches inside stages 1-2 + 2 anchors), every
# stitch classified by the head of the anchor it ends in. Published recipe: 30 epochs, SGD Nesterov
# lr 0.05 (anchors x0.1), cosine with 5 warm-up epochs, wd 2e-5 (not on 1-D params), RandAugment
# m9, random erasing 0.6, label smoothing 0.1, hard distillation from RegNetY-160 (weight 0.5).
_base_ = [
    '../../_base_/models/snnet-v1_r18-r50_in1k.py',
    '../../_base_/datasets/imagenet_bs128_randaug-erasing0.6_224.py',
    '../../_base_/schedules/imagenet_bs1024_sgd_30e.py', 'mmpretrain::_base_/default_runtime.py',
    '../../_base_/snnet_training.py',
]

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=100, gap_gflops=0.3)]
