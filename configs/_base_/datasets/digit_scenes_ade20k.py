# Digit scenes in mmseg's ADE20K layout (snnet_mm.tiny_data.digit_scenes): 64x64 scenes of 2-5
# handwritten digits (scikit-learn) at depths on a textured plane; 1000 training, 100 validation.
# Labels on disk: 1 background, 2 + d digit d; reduce_zero_label gives 11 classes.
# Data: snnet tiny-data digit-scenes data/digit_scenes (read relative to the working directory)
# mmseg's ADE20KDataset only takes subsets of its 150 class names, so the scenes are read by its
# base class with ADE20KDataset's settings (.jpg images, .png maps, reduce_zero_label).
dataset_type = 'BaseSegDataset'
data_root = 'data/digit_scenes/ade20k'
crop_size = (64, 64)
metainfo = dict(classes=('background', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'))  # SEG_CLASSES
ade20k = dict(img_suffix='.jpg', seg_map_suffix='.png', reduce_zero_label=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    # Shifts of up to 8 px (one patch) and mild zoom: the scene's layout changes, the digits do not
    # (no flip: a mirrored digit is another symbol).
    dict(type='RandomResize', scale=(72, 72), ratio_range=(1.0, 1.2), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        **ade20k,
        data_prefix=dict(img_path='images/training', seg_map_path='annotations/training'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        **ade20k,
        data_prefix=dict(img_path='images/validation', seg_map_path='annotations/validation'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
