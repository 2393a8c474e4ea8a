# Tiny CPU variant of the SETR-naive config (tiny anchors, 64x64, sliding-window test).
# Data: python tools/make_tiny_data.py ade20k data/tiny/ade20k
_base_ = ['./setr-naive_snnetv2_deit3-s-l_8xb2-160k_ade20k-512x512.py']

crop_size = (64, 64)
data_root = 'data/tiny/ade20k'
norm_cfg = dict(type='BN', requires_grad=True)  # SyncBN has no CPU kernel (torchrun on CPU)
tiny = dict(name='vit_tiny_patch16_224', img_size=64)
head = dict(type='SETRUPHead', in_channels=64, channels=16, num_classes=150, dropout_ratio=0,
            norm_cfg=norm_cfg, act_cfg=dict(type='ReLU'), kernel_size=1, align_corners=False)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        anchors=[dict(tiny, model_kwargs=dict(embed_dim=32, depth=2, num_heads=2)),
                 dict(tiny, model_kwargs=dict(embed_dim=64, depth=4, num_heads=2))],
        out_indices=(0, 1, 2, 3),
        lora_rank=4),
    decode_head=dict(head, in_index=3, num_convs=1,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=[
        dict(head, in_index=i, num_convs=2,
             loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4))
        for i in range(3)
    ],
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(43, 43)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='RandomResize', scale=(128, 64), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 64), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=20, by_epoch=False)]
train_cfg = dict(max_iters=20, val_interval=20)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=20))
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=8, gap_gflops=0.0005)]
