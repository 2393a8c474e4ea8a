# SN-Net v1 on ImageNet-1k: stitched Swin-Ti/S/B (38 stitches Ti->S and S->B inside stages 0-2 + 3
# anchors). Published recipe: 50 epochs AdamW lr 1e-3 (anchors x0.1), wd 0.05, cosine, 5 warm-up
# epochs, gradient clip 5, drop path 0.2, mixup 0.8 / cutmix 1.0, label smoothing 0.1, hard
# distillation from RegNetY-160 (weight 0.5; the teacher sees the mixed images).
_base_ = [
    '../../_base_/models/snnet-v1_swin-t-s-b_in1k.py', '../../_base_/datasets/imagenet_bs128_swin_224.py',
    '../../_base_/schedules/imagenet_bs1024_adamw-clip_50e.py', 'mmpretrain::_base_/default_runtime.py',
    '../../_base_/snnet_training.py',
]

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=100, gap_gflops=1.0)]
