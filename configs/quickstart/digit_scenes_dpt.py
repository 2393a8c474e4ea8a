# Quickstart, depth: stitched DPT on digit scenes (64x64, NYU layout, depth in metres), anchors =
# the classification stage's trained anchors loaded through checkpoint=. Least-squares init, the
# sampling hook, anchors at x0.1 lr, SigLoss. tools/quickstart.py sets the checkpoints and data
# root; by hand: snnet train mmseg configs/quickstart/digit_scenes_dpt.py (see the UperNet config).
_base_ = [
    '../_base_/datasets/digit_scenes_nyu.py',
    '../_base_/schedules/digit_scenes_adamw_300i.py',
    'mmseg::_base_/default_runtime.py',
    '../_base_/snnet_training.py',
    '../_base_/models/snnetv2_digit_anchors.py',
]

crop_size = (64, 64)  # = the dataset base's
min_depth, max_depth = 1e-3, 10.0
model = dict(
    type='DepthEstimator',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[127.5] * 3, std=[127.5] * 3, bgr_to_rgb=True,
                           size=crop_size, pad_val=0, seg_pad_val=0),  # padded depth 0 = no depth
    backbone=dict(
        type='SNNetv2',
        anchors={{_base_.anchors}},  # configs/_base_/models/snnetv2_digit_anchors.py
        out_indices=(1, 2, 4, 5),  # blocks of L (as DPT's 4, 11, 17, 23 of 24); S reads the same
        with_cls_token=True,       # (map, class token) pairs for the 'project' readout
        lora_rank=8,
        stitch=None),  # val/test stitch: None = L
    decode_head=dict(
        type='DPTDepthHead',
        in_channels=96,  # every stitch outputs L's width
        channels=16,
        post_process_channels=(16, 16, 32, 32),
        readout_type='project',
        patch_size=8,
        head_channels=8,
        norm_cfg=None,
        min_depth=min_depth,
        max_depth=max_depth,
        activation='relu',
        loss_decode=dict(type='SigLoss', loss_weight=1.0, warm_up=True, warm_iter=50)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

# 300 iterations (the schedule base above): with the other stages, what fits the quickstart's 15 minutes.
# RMSE of S / L (seed 0): 0.601 / 0.609 m; after 400: 0.554 / 0.549 m; after 600: 0.488 / 0.491 m.
default_hooks = dict(  # mmseg keeps these in its schedules
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval={{_base_.max_iters}}),
    sampler_seed=dict(type='DistSamplerSeedHook'))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0, deterministic=True)
custom_hooks = [dict(type='StitchSamplingHook', strategy='flops_grouped', num_init_images=64, gap_gflops=0.004)]
