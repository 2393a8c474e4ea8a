# Tiny CPU variant of the stitched LeViT-192/256 config: random-init LeViTs shaped like them (stem
# stride 16, three stages, stages 0-1 stitchable), depths 3-3-1, widths 16-24-32 / 24-32-40
# (4 stitches in stages 0-1 + 2 anchors), 5 classes, 32x32 images (2x2 tokens in stage 0), hard
# distillation from a tiny random ResNet teacher (no download), 10 epochs of 5 iterations.
# Data: python tools/make_tiny_data.py imagenet data/tiny/imagenet
_base_ = ['./snnet-v1_levit-192-256_8xb128-100e_in1k.py']

num_classes = 5
data_root = 'data/tiny/imagenet'
levit = dict(key_dim=8, num_heads=(2, 3, 4), depth=(3, 3, 1), img_size=32, num_classes=num_classes)
model = dict(
    teacher=dict(name='resnet18', checkpoint=None, pretrained=False,
                 model_kwargs=dict(num_classes=num_classes, layers=(1, 1, 1, 1), channels=(8, 16, 32, 64),
                                   stem_width=8)),
    backbone=dict(anchors=[
        dict(name='levit_192', checkpoint=None, img_size=32, model_kwargs=dict(levit, embed_dim=(16, 24, 32))),
        dict(name='levit_256', checkpoint=None, img_size=32, model_kwargs=dict(levit, embed_dim=(24, 32, 40))),
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

# Random-init anchors need a larger lr than the recipe's fine-tuning one.
optim_wrapper = dict(optimizer=dict(lr=2e-3))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=10, eta_min=1e-4, by_epoch=True, begin=0, end=10)]
train_cfg = dict(max_epochs=10, val_interval=10)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=16, strategy='uniform')]
randomness = dict(seed=0)
