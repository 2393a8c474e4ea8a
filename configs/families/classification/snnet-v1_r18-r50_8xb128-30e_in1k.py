# SN-Net v1 on ImageNet-1k: stitched ResNet-18/50 (8 stitches inside stages 1-2 + 2 anchors), every
# stitch classified by the head of the anchor it ends in. Published recipe: 30 epochs, SGD Nesterov
# lr 0.05 (anchors x0.1), cosine with 5 warm-up epochs, wd 2e-5 (not on 1-D params), RandAugment
# m9, random erasing 0.6, label smoothing 0.1, hard distillation from RegNetY-160 (weight 0.5).
_base_ = [
    'mmpretrain::deit/deit-small_4xb256_in1k.py',  # ImageNet pipeline with RandAugment + erasing
    '../../_base_/snnet_training.py',
]

anchors = [
    dict(name='resnet18', checkpoint='timm:resnet18.tv_in1k'),
    dict(name='resnet50', checkpoint='timm:resnet50.tv_in1k'),
]
model = dict(
    # The stitch's logits learn from the labels and, with weight alpha, from the teacher's arg-max.
    type='DistilledImageClassifier',
    # DeiT's RegNetY-16GF teacher, fetched by timm when the model is built; or a local
    # checkpoint='checkpoints/regnety_160-a5fe301d.pth'.
    teacher=dict(name='regnety_160.deit_in1k', checkpoint=None),
    distillation_type='hard',
    alpha=0.5,
    backbone=dict(_delete_=True, type='SNNetv2', anchors=anchors, mode='v1', stitch=None),
    head=dict(_delete_=True, type='ClsHead', topk=(1, 5),
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    init_cfg=None,  # the upstream init would overwrite the pretrained anchors
    train_cfg=None)  # no mixup / cutmix in the v1 CNN recipe

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='timm_increasing', num_policies=2, total_level=10,
         magnitude_level=9, magnitude_std=0.5, hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
    dict(type='RandomErasing', erase_prob=0.6, mode='rand', min_area_ratio=0.02, max_area_ratio=1 / 3,
         fill_color=[103.53, 116.28, 123.675], fill_std=[57.375, 57.12, 58.395]),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=128, dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, nesterov=True, weight_decay=2e-5),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'backbone.net.anchors': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=25, eta_min=1e-6, by_epoch=True, begin=5, end=30),
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=5)
auto_scale_lr = dict(base_batch_size=1024, enable=False)

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=100, gap_gflops=0.3)]
val_cfg = dict(type='StitchValLoop', stitches='anchors')
