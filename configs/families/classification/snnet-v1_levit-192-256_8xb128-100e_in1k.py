# SN-Net v1 on ImageNet-1k: stitched LeViT-192/256 as the official stitching_levit/ code ran it
# (README training command, main.py defaults; docs/recipes.md): 6 stitches (stages 0-1, equal
# depths 4/4: each stage's sliding window (j, j + 1)) + 2 anchors, full-rank linear stitching
# layers on tokens least-squares initialised from 100 images, uniform stitch sampling, everything
# trained at one lr. LeViT's training code is DeiT's, and so is the recipe of the DeiT-Ti/S/B
# config this inherits (AdamW 5e-5 x 1024 / 512 = 1e-4, 8 GPUs x 128 images, repeated
# augmentation x3, RandAugment m9, random erasing 0.25, Mixup 0.8 / CutMix 1.0, label smoothing
# 0.1, hard distillation from DeiT's RegNetY-16GF teacher, alpha 0.5, 5 warm-up epochs from 1e-7,
# cosine to 1e-6, test resize 256 -> 224), except: wd 0.025, 100 epochs, no drop path. timm's
# distilled LeViTs average their two heads' logits, as the official LeViT does in eval.
# Not reproduced: main.py clips gradients adaptively (timm AGC, factor 0.01); MMEngine's clip_grad
# clips by norm or value only.
_base_ = [
    '../../_base_/models/snnet-v1_levit-192-256_in1k.py', '../../_base_/datasets/imagenet_bs128_repeat-aug_224.py',
    '../../_base_/schedules/imagenet_bs1024_adamw_50e.py', 'mmpretrain::_base_/default_runtime.py',
    '../../_base_/snnet_training.py',
]

optim_wrapper = dict(optimizer=dict(weight_decay=0.025))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-7 / 1e-4, by_epoch=True, begin=0, end=5),
    dict(type='CosineAnnealingLR', T_max=95, eta_min=1e-6, by_epoch=True, begin=5, end=100),
]
train_cfg = dict(max_epochs=100)
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=100, strategy='uniform')]
