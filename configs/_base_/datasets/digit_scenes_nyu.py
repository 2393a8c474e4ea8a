# Digit scenes in mmseg's NYU layout (snnet_mm.tiny_data.digit_scenes): 64x64 scenes, depth PNGs
# in millimetres (digits 1-2.5 m, the plane behind them 3-6 m); 1000 training, 100 test scenes.
# Data: snnet tiny-data digit-scenes data/digit_scenes (read relative to the working directory)
dataset_type = 'NYUDataset'
data_root = 'data/digit_scenes/nyu'
crop_size = (64, 64)
meta_keys = ('img_path', 'depth_map_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip',
             'flip_direction', 'category_id')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),  # PNG millimetres -> metres
    # No augmentation: a resize would change what a digit's size says about its depth, a flip the
    # digit, and a shifting crop padded back to 64x64 left the border (always padding in training)
    # unlearned: RMSE 0.97 m with it, 0.53 m without (S and L alike, 600 iterations).
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images/train', depth_map_path='annotations/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images/test', depth_map_path='annotations/test'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DepthMetric', min_depth_eval=1e-3, max_depth_eval=10.0, crop_type=None)
test_evaluator = val_evaluator
