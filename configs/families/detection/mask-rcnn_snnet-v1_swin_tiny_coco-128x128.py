# Tiny CPU variant of the stitched-Swin Mask R-CNN config: random-init tiny Swin anchors (width 16,
# depths 1-1-2-1 / 1-1-3-1, window 2), 128x128 images, narrow heads, 10 iterations.
# Data: python tools/make_tiny_data.py coco data/tiny/coco
_base_ = [
    '../../_base_/models/mask-rcnn_snnet-v1_swin_tiny.py', '../../_base_/datasets/tiny-coco_bs4_128x128.py',
    '../../_base_/schedules/adamw-1e-4_1x.py', 'mmdet::_base_/default_runtime.py',
    '../../_base_/snnet_training.py',
]

optim_wrapper = dict(optimizer=dict(lr=2e-3))
max_iters = 10
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5)]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=max_iters, by_epoch=False))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=8, gap_gflops=0.002)]
