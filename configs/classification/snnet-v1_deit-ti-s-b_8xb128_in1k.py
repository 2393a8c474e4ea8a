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
    'mmpretrain::deit/deit-small_4xb256_in1k.py',  # DeiT's data pipeline, Mixup/CutMix, smoothing
    '../_base_/snnet_training.py',
]

anchors = [  # ImageNet-1k DeiT weights (SN-Net v1), fetched by timm; or local .pth paths
    dict(name=f'deit_{size}_patch16_224', checkpoint='timm:fb_in1k', drop_path_rate=0.1)
    for size in ('tiny', 'small', 'base')
]
model = dict(
    # The stitch's own logits (the ending anchor's class token) learn from the labels and, with
    # weight alpha, from the teacher's arg-max (SN-Net v1's StitchDistillationLoss, DeiT's 'hard').
    type='DistilledImageClassifier',
    # DeiT's teacher (regnety_160-a5fe301d.pth = timm's 'regnety_160.deit_in1k'), fetched by timm;
    # or checkpoint='checkpoints/regnety_160-a5fe301d.pth'.
    teacher=dict(name='regnety_160.deit_in1k', checkpoint=None),
    distillation_type='hard',
    alpha=0.5,
    tau=1.0,
    backbone=dict(_delete_=True, type='SNNetv2', mode='v1', anchors=anchors, lora_rank=None, stitch=None),
    head=dict(_delete_=True, type='ClsHead', topk=(1, 5),  # ClsHead passes the logits through
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    init_cfg=None)  # the upstream TruncNormal/Constant init would overwrite the pretrained anchors

# Repeated augmentation x3 (DeiT's RASampler, on by default in params.py).
train_dataloader = dict(batch_size=128, sampler=dict(type='RepeatAugSampler', num_repeats=3, shuffle=True))
# timm's create_optimizer: no decay on 1-D parameters (norms, biases). The SNNet wrapper has no
# no_weight_decay(), so position embeddings and class tokens were decayed; no gradient clipping.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-5 * 1024 / 512, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0))
# timm's cosine scheduler stepped once per epoch by main.py: warm-up from 1e-7, down to min_lr 1e-6.
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-7 / 1e-4, by_epoch=True, begin=0, end=5),
    dict(type='CosineAnnealingLR', T_max=45, eta_min=1e-6, by_epoch=True, begin=5, end=50),
]
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=5)
auto_scale_lr = dict(base_batch_size=1024, enable=False)

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=100, strategy='uniform')]
val_cfg = dict(type='StitchValLoop', stitches='anchors')
