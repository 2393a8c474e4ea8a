# Tiny ImageNet-layout data for CPU runs: 5 classes, 32x32 images, flips only, 8 training images per
# batch, mmpretrain's ImageNet dataset and accuracy metric.
# Data: python tools/make_tiny_data.py imagenet data/tiny/imagenet
_base_ = 'mmpretrain::_base_/datasets/imagenet_bs64_swin_224.py'

num_classes = 5
data_root = 'data/tiny/imagenet'
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
