# Tiny CPU variant: tiny random-init anchors (width 32/64, depth 2/4), 5 classes, 32x32 images,
# 10 epochs of 5 iterations. Data: python tools/make_tiny_data.py imagenet data/tiny/imagenet
_base_ = ['./snnetv2_deit3-s-l_8xb64_in1k.py']

num_classes = 5
data_root = 'data/tiny/imagenet'
tiny = dict(name='vit_tiny_patch16_224', img_size=32)
model = dict(
    backbone=dict(
        anchors=[dict(tiny, model_kwargs=dict(embed_dim=32, depth=2, num_heads=2, num_classes=num_classes)),
                 dict(tiny, model_kwargs=dict(embed_dim=64, depth=4, num_heads=2, num_classes=num_classes))],
        lora_rank=4),
    head=dict(topk=(1, 5)),
    train_cfg=None)  # no CutMix on 5-class tiny data
data_preprocessor = dict(num_classes=num_classes)  # merges with mmpretrain's (mean, std, to_rgb)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
                        dataset=dict(data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(batch_size=10, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, split='val', pipeline=test_pipeline))
test_dataloader = val_dataloader

# AdamW instead of LAMB: LAMB's layer-wise trust ratio barely moves random-init tiny anchors in 50 steps.
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.02))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=10, eta_min=1e-4, by_epoch=True, begin=0, end=10)]
train_cfg = dict(max_epochs=10, val_interval=10)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=16, gap_gflops=0.0001)]
