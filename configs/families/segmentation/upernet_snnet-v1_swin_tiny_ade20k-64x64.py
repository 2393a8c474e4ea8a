# Tiny CPU variant of the stitched Swin UperNet config: random-init tiny Swin anchors (width 16,
# depths 1-1-2-1 / 1-1-3-1, window 2), 64x64 crops, 30 iterations.
# Data: python tools/make_tiny_data.py ade20k data/tiny/ade20k
_base_ = ['./upernet_snnet-v1_swin-t-s_8xb2-160k_ade20k-512x512.py']

crop_size = (64, 64)
data_root = 'data/tiny/ade20k'
norm_cfg = dict(type='BN', requires_grad=True)  # SyncBN has no CPU kernel (torchrun on CPU)
tiny = dict(name='swin_tiny_patch4_window7_224', img_size=64)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        anchors=[dict(tiny, model_kwargs=dict(embed_dim=16, depths=(1, 1, 2, 1), num_heads=(1, 1, 2, 2),
                                              window_size=2)),
                 dict(tiny, model_kwargs=dict(embed_dim=16, depths=(1, 1, 3, 1), num_heads=(1, 1, 2, 2),
                                              window_size=2))]),
    decode_head=dict(in_channels=[16, 32, 64, 128], channels=32, pool_scales=(1, 2), norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=64, channels=16, norm_cfg=norm_cfg))

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
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=5, end=30, by_epoch=False),
]
train_cfg = dict(max_iters=30, val_interval=30)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=30))
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=8, gap_gflops=0.0005)]
