# Tiny CPU variant of the UperNet config: random-init tiny anchors (width 32/64, depth 2/4),
# 64x64 crops, 40 iterations. Data: python tools/make_tiny_data.py ade20k data/tiny/ade20k
_base_ = ['./upernet_snnetv2_deit3-s-l_8xb2-160k_ade20k-512x512.py']

crop_size = (64, 64)
data_root = 'data/tiny/ade20k'
norm_cfg = dict(type='BN', requires_grad=True)  # SyncBN has no CPU kernel (torchrun on CPU)
tiny = dict(name='vit_tiny_patch16_224', img_size=64)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        anchors=[dict(tiny, model_kwargs=dict(embed_dim=32, depth=2, num_heads=2)),
                 dict(tiny, model_kwargs=dict(embed_dim=64, depth=4, num_heads=2))],
        out_indices=(0, 1, 2, 3),
        lora_rank=4),
    neck=dict(in_channels=[64] * 4, out_channels=32),
    decode_head=dict(in_channels=[32] * 4, channels=32, pool_scales=(1, 2), norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=32, channels=16, norm_cfg=norm_cfg))

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

optim_wrapper = dict(optimizer=dict(lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=5, end=40, by_epoch=False),
]
train_cfg = dict(max_iters=40, val_interval=40)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=20))
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=8, gap_gflops=0.0005)]
