# Tiny CPU variant of the stitched ResNet-18/50 config: random-init ResNets shaped like R18 (basic
# blocks) and R50 (bottlenecks), depths 1-2-2-1 / 1-3-3-1, widths 8-64 / 32-256 (4 stitches in
# stages 1-2 + 2 anchors), 5 classes, 32x32 images, hard distillation from a tiny random ResNet
# teacher (no download), 10 epochs of 5 iterations.
# Data: python tools/make_tiny_data.py imagenet data/tiny/imagenet
_base_ = ['./snnet-v1_r18-r50_8xb128-30e_in1k.py']

num_classes = 5
data_root = 'data/tiny/imagenet'
model = dict(
    teacher=dict(name='resnet18', checkpoint=None, pretrained=False,
                 model_kwargs=dict(num_classes=num_classes, layers=(1, 1, 1, 1), channels=(8, 16, 32, 64),
                                   stem_width=8)),
    backbone=dict(anchors=[
        dict(name='resnet18', checkpoint=None, img_size=32,
             model_kwargs=dict(num_classes=num_classes, layers=(1, 2, 2, 1), channels=(8, 16, 32, 64),
                               stem_width=8)),
        dict(name='resnet50', checkpoint=None, img_size=32,
             model_kwargs=dict(num_classes=num_classes, layers=(1, 3, 3, 1), channels=(8, 16, 32, 64),
                               stem_width=16)),
    ]))
data_preprocessor = dict(num_classes=num_classes)

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

# Random-init anchors learn at the full lr (the recipe's x0.1 is for pretrained ones).
optim_wrapper = dict(optimizer=dict(lr=0.1), paramwise_cfg=dict(custom_keys={'backbone.net.anchors': dict(lr_mult=1.0)}))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=10, eta_min=1e-3, by_epoch=True, begin=0, end=10)]
train_cfg = dict(max_epochs=10, val_interval=10)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=16, gap_gflops=0.0001)]
randomness = dict(seed=0)
