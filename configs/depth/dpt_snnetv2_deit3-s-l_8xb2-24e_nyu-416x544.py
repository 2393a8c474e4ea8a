# SN-Netv2's NYUv2 depth recipe as the official code ran it (docs/recipes.md): DPT (class-token
# readout 'project', relu + min_depth output) on stitched DeiT3-S/L, NYU (Eigen) crop then 416x544
# crops, 24 epochs, 8 GPUs x 2 = 16 images/iter, AdamW one-cycle to 2e-5 for every parameter
# group, the toolbox's SigLoss with warm-up, depth 1e-3..10 m, LoRA rank 16 stitching layers.
# Test: the whole 480x640 image and its horizontal flip, DepthMetric with the NYU (Eigen) crop.
# Data: mmseg's NYU layout in data/nyu (mmseg's tools/dataset_converters/nyu.py).
_base_ = [
    'mmseg::_base_/datasets/nyu.py',
    'mmseg::_base_/default_runtime.py',
    '../_base_/snnet_training.py',
]

crop_size = (416, 544)
min_depth, max_depth = 1e-3, 10.0

# Anchor weights: the ImageNet-21k DeiT3 (fine-tuned on 1k at 224) SN-Netv2 used, fetched by timm;
# a local copy: checkpoint='checkpoints/deit3_small_patch16_224.pth' (README: "Anchor sources").
# Position embeddings are resampled to the training crop when loading, and on the fly for other sizes (480x640 test images).
anchors = [
    dict(name='deit3_small_patch16_224', checkpoint='timm:fb_in22k_ft_in1k',
         img_size=crop_size),
    dict(name='deit3_large_patch16_224', checkpoint='timm:fb_in22k_ft_in1k',
         img_size=crop_size),
]
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    bgr_to_rgb=True,
    size=crop_size,
    pad_val=0,
    seg_pad_val=0)  # padded depth = 0 = "no depth": ignored by the loss (255 would be 255 m)
model = dict(
    type='DepthEstimator',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='SNNetv2',
        anchors=anchors,
        out_indices=(4, 11, 17, 23),  # DPT on DeiT3-L; DeiT3-S routes read blocks 2, 5, 8, 11
        with_cls_token=True,          # (map, class token) pairs for the 'project' readout
        lora_rank=16,
        stitch=None),  # stitch for val/test: None = DeiT3-L; --cfg-options model.backbone.stitch=K
    decode_head=dict(
        type='DPTDepthHead',
        in_channels=1024,  # every stitch outputs DeiT3-L's width
        channels=256,
        post_process_channels=(96, 192, 384, 768),
        readout_type='project',
        norm_cfg=None,
        min_depth=min_depth,
        max_depth=max_depth,
        activation='relu',  # relu(x) + min_depth, as the toolbox's DPT head
        # The toolbox's SigLoss over all valid pixels of the batch, scale-only for 100 iterations.
        loss_decode=dict(type='SigLoss', loss_weight=1.0, warm_up=True, warm_iter=100)),
    train_cfg=dict(),
    # slide_flip with one window of the whole test image = whole-image inference averaged with
    # its horizontal flip (the published evaluation).
    test_cfg=dict(mode='slide_flip', crop_size=(480, 640), stride=(480, 640)))

# The upstream NYU training pipeline needs albumentations (Albu) and adds RandomDepthMix; the
# published recipe is the NYU (Eigen) crop to 427x565 (no border without depth), rotate +-2.5 deg,
# flip, 416x544 crop and mild colour jitter.
meta_keys = ('img_path', 'depth_map_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip',
             'flip_direction', 'category_id')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),  # PNG millimetres -> metres
    dict(type='NYUCrop'),  # rows 45:472, columns 43:608 of the 480x640 frame
    dict(type='RandomRotate', prob=0.5, degree=2.5, pad_val=0, seg_pad_val=0),  # pad depth: 0 = none
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PhotoMetricDistortion', brightness_delta=32, contrast_range=(0.9, 1.1),
         saturation_range=(0.9, 1.1), hue_delta=5),  # ~ the toolbox's ColorAug (hue_delta >= 1)
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
# 24 epochs: an epoch-based loop, so the sampler is a plain shuffling one (not Infinite).
train_dataloader = dict(batch_size=2, num_workers=2, sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=2, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DepthMetric', min_depth_eval=min_depth, max_depth_eval=max_depth,
                     crop_type='nyu_crop')
test_evaluator = val_evaluator

# AdamW, weight decay 0.01 except position embeddings and class tokens. The official config
# sets the backbone to x0.1 lr, but mmcv's OneCycle hook gives every parameter group the same
# learning rate (format_param broadcasts max_lr), so what ran is one lr for all: so do we.
# The toolbox's 'norm' no-decay key lost to the longer 'backbone' key, so norms decay as run.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-5, betas=(0.95, 0.999), weight_decay=0.01),
    clip_grad=dict(max_norm=35, norm_type=2),
    paramwise_cfg=dict(custom_keys={
        'pos_embed': dict(decay_mult=0.0),
        'cls_token': dict(decay_mult=0.0),
    }))
# mmcv's OneCycle policy as run: lr from 2e-5/25 up to 2e-5 over 30% of the iterations (cosine),
# then down to 2e-5/2500; beta1 cycled the other way, 0.95 -> 0.85 -> 0.95 (momentum_config).
max_epochs = 24
warmup_epochs = 0.3 * max_epochs
param_scheduler = [
    dict(type='OneCycleLR', eta_max=2e-5, pct_start=0.3, div_factor=25, final_div_factor=100,
         anneal_strategy='cos', by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', eta_min=0.85, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', eta_min=0.95, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='StitchValLoop', stitches='anchors')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=2,
                    save_best='rmse', rule='less'),  # rmse of the default stitch (DeiT3-L)
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=True)

# Least-squares init from 10 training images (the official depth code), FLOPs-grouped sampling
# with 10-GFLOP groups (SN-Netv2 for dense tasks).
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=10, gap_gflops=10.0)]
