# Tiny NYU-layout depth data for CPU runs: 64x80 images, 64x64 crops, flips, 4 training images per
# batch, DepthMetric without the NYU crop (it assumes 480x640 images).
# Data: python tools/make_tiny_data.py nyu data/tiny/nyu (read relative to the working directory)
_base_ = './nyu_bs2_416x544.py'

crop_size = (64, 64)
data_root = 'data/tiny/nyu'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackSegInputs', meta_keys=_base_.meta_keys),
]
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,  # whole images, as full size
                      dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(crop_type=None)
test_evaluator = val_evaluator

