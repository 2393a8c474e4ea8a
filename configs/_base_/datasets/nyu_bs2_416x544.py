# NYUv2 depth (mmseg's NYU layout in data/nyu, from mmseg's tools/dataset_converters/nyu.py) as
# SN-Netv2 trained on it: 416x544 crops, 2 images per GPU, DepthMetric with the NYU (Eigen) crop.
_base_ = 'mmseg::_base_/datasets/nyu.py'

crop_size = (416, 544)
# The upstream NYU training pipeline needs albumentations (Albu) and adds RandomDepthMix; the
# published recipe is the NYU (Eigen) crop to 427x565 (no border without depth), rotate +-2.5 deg,
# flip, 416x544 crop and mild colour jitter.
meta_keys = ('img_path', 'depth_map_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip',
             'flip_direction', 'category_id')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),  # PNG millimetres -> metres
    dict(type='NYUCrop'),  # rows 45:472, columns 43:608 of the 480x640 frame
    dict(type='RandomRotate', prob=0.5, degree=2.5, pad_val=0, seg_pad_val=0),  # pad depth: 0 = none
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PhotoMetricDistortion', brightness_delta=32, contrast_range=(0.9, 1.1),
         saturation_range=(0.9, 1.1), hue_delta=5),  # ~ the toolbox's ColorAug (hue_delta >= 1)
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
# 24 epochs: an epoch-based loop, so the sampler is a plain shuffling one (not Infinite).
train_dataloader = dict(batch_size=2, num_workers=2, sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=2, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DepthMetric', min_depth_eval=1e-3, max_depth_eval=10.0,
                     crop_type='nyu_crop')
test_evaluator = val_evaluator

