# SN-Netv2 on ImageNet-1k: stitched DeiT3-S/L, every stitch classified by the head of the anchor
# it ends in (pretrained heads used as they are). The recipe the official code ran
# (classification/config/deit_stitching_snnetv2_s_l.json + main.py defaults; docs/recipes.md):
# 50 epochs, 8 GPUs x 64 = 512 images/iter, LAMB lr 3e-5 unscaled, wd 0.02, 5 warm-up epochs
# from 1e-7 then cosine to 1e-5, repeated augmentation x3, 3-Augment with simple random crop,
# CutMix 1.0, label smoothing 0.1, drop path 0.05 (S) / 0.4 (L), evaluation at crop ratio 1.0,
# low-rank stitching layers r=64, sampling groups 1 GFLOP wide. Every rank trains the same stitch
# (StitchSamplingHook), where the official code drew one per GPU.
_base_ = [
    'mmpretrain::deit/deit-small_4xb256_in1k.py',
    '../_base_/snnet_training.py',
]

# Anchor weights: the ImageNet-21k DeiT3 (fine-tuned on 1k at 224) SN-Netv2 used, fetched by timm;
# a local copy: checkpoint='checkpoints/deit3_small_patch16_224.pth' (README: "Anchor sources").
anchors = [
    dict(name='deit3_small_patch16_224', checkpoint='timm:fb_in22k_ft_in1k',
         drop_path_rate=0.05),
    dict(name='deit3_large_patch16_224', checkpoint='timm:fb_in22k_ft_in1k',
         drop_path_rate=0.4),
]
model = dict(
    # out_indices=None: the backbone returns (logits,) from the ending anchor's norm and head.
    backbone=dict(_delete_=True, type='SNNetv2', anchors=anchors, lora_rank=64, stitch=None),
    head=dict(_delete_=True, type='ClsHead', topk=(1, 5),  # ClsHead passes the logits through
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    init_cfg=None,  # the upstream TruncNormal/Constant init would overwrite the pretrained anchors
    train_cfg=dict(augments=[dict(type='CutMix', alpha=1.0)]))

# DeiT III's 3-Augment with its simple random crop (--ThreeAugment --src): resize, crop with
# reflect padding, flip, one of grey / solarise / blur, colour jitter 0.3. No RandAugment, no
# random erasing (reprob 0). Images are decoded with PIL like torchvision.
train_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='RandomCrop', crop_size=224, padding=4, padding_mode='reflect'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomChoice', transforms=[
        [dict(type='RandomGrayscale', prob=1.0, keep_channels=True, channel_weights=(0.114, 0.587, 0.299))],
        [dict(type='Solarize', thr=128, prob=1.0)],
        [dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=1.0)],
    ]),
    dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3),
    dict(type='PackInputs'),
]
# eval_crop_ratio 1.0: resize the short edge to 224 (not 256) and take the centre 224x224.
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
# Repeated augmentation x3 (DeiT's RASampler: the official config's "no_repeated_aug" key is not
# an attribute main.py reads, so repeated_aug kept its default True).
train_dataloader = dict(batch_size=64, sampler=dict(type='RepeatAugSampler', num_repeats=3, shuffle=True),
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='Lamb', lr=3e-5, weight_decay=0.02),
    # timm's create_optimizer: no decay on 1-D parameters (norms, biases, layer scales). The SNNetv2
    # wrapper has no no_weight_decay(), so position embeddings and class tokens were decayed.
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0))
# timm's scheduler as stepped by main.py once per epoch: linear warm-up from warmup_lr 1e-7,
# then cosine down to min_lr 1e-5 (main.py's default; the json sets no min_lr).
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-7 / 3e-5, by_epoch=True, begin=0, end=5),
    dict(type='CosineAnnealingLR', T_max=45, eta_min=1e-5, by_epoch=True, begin=5, end=50),
]
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=5)
auto_scale_lr = dict(base_batch_size=512, enable=False)  # "unscale_lr": 3e-5 as is for 512 images

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=100, gap_gflops=1.0)]
val_cfg = dict(type='StitchValLoop', stitches='anchors')
