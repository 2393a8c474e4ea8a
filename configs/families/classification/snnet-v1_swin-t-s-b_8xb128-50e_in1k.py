# SN-Net v1 on ImageNet-1k: stitched Swin-Ti/S/B (38 stitches Ti->S and S->B inside stages 0-2 + 3
# anchors). Published recipe: 50 epochs AdamW lr 1e-3 (anchors x0.1), wd 0.05, cosine, 5 warm-up
# epochs, gradient clip 5, drop path 0.2, mixup 0.8 / cutmix 1.0, label smoothing 0.1, hard
# distillation from RegNetY-160 (weight 0.5; the teacher sees the mixed images).
_base_ = [
    'mmpretrain::swin_transformer/swin-tiny_16xb64_in1k.py',
    '../../_base_/snnet_training.py',
]

anchors = [dict(name=f'swin_{size}_patch4_window7_224', checkpoint=f'timm:swin_{size}_patch4_window7_224.ms_in1k',
                drop_path_rate=0.2) for size in ('tiny', 'small', 'base')]
model = dict(
    type='DistilledImageClassifier',
    # DeiT's RegNetY-16GF teacher, fetched by timm when the model is built; or a local
    # checkpoint='checkpoints/regnety_160-a5fe301d.pth'.
    teacher=dict(name='regnety_160.deit_in1k', checkpoint=None),
    distillation_type='hard',
    alpha=0.5,
    backbone=dict(_delete_=True, type='SNNetv2', anchors=anchors, mode='v1', stitch=None),
    neck=None,
    head=dict(_delete_=True, type='ClsHead', topk=(1, 5),
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    init_cfg=None,
    train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)]))

train_dataloader = dict(batch_size=128)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05, betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=5.0),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'backbone.net.anchors': dict(lr_mult=0.1),
                                    'relative_position_bias_table': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=45, eta_min=1e-5, by_epoch=True, begin=5, end=50),
]
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=5)
auto_scale_lr = dict(base_batch_size=1024, enable=False)

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=100, gap_gflops=1.0)]
val_cfg = dict(type='StitchValLoop', stitches='anchors')
