# Quickstart, segmentation: stitched UperNet on digit scenes (64x64, background + 10 digits),
# anchors = the classification stage's trained anchors (S width 24, L width 96, 6 blocks, patch 8),
# loaded through checkpoint= as the real configs load ImageNet anchors. Least-squares init, the
# sampling hook, anchors at x0.1 lr. tools/quickstart.py sets the checkpoints and data root; by
# hand (repository root): snnet tiny-data digit-scenes data/digit_scenes, then snnet train mmseg
# configs/quickstart/digit_scenes_upernet.py (after python tools/quickstart.py --tasks cls).
_base_ = [
    'mmseg::_base_/models/upernet_vit-b16_ln_mln.py',
    '../_base_/datasets/digit_scenes_ade20k.py',
    '../_base_/schedules/digit_scenes_adamw.py',
    'mmseg::_base_/default_runtime.py',
    '../_base_/snnet_training.py',
    '../_base_/models/snnetv2_digit_anchors.py',
]

crop_size = (64, 64)  # = the dataset base's
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(type='SegDataPreProcessor', mean=[127.5] * 3, std=[127.5] * 3, bgr_to_rgb=True,
                         pad_val=0, seg_pad_val=255, size=crop_size)  # the anchors' normalisation
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='SNNetv2',
        anchors={{_base_.anchors}},  # configs/_base_/models/snnetv2_digit_anchors.py
        out_indices=(1, 2, 4, 5),  # blocks of L (6 blocks, as ViT-B's 2, 5, 8, 11 of 12); S reads the same
        lora_rank=8,
        stitch=None),  # val/test stitch: None = L
    neck=dict(in_channels=[96] * 4, out_channels=32, scales=[2, 1, 0.5, 0.25]),  # strides 4-32 from stride 8
    decode_head=dict(in_channels=[32] * 4, channels=32, pool_scales=(1, 2), num_classes=11, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=32, in_index=2, channels=16, num_classes=11, norm_cfg=norm_cfg))

# 32 scenes a step: which digit a card shows is learned from about 20k scenes (600 x 32); with 8
# a step (600 x 8) every stitch stayed at 13-14 mIoU, S and L alike.
train_dataloader = dict(batch_size=32)

default_hooks = dict(  # mmseg keeps these in its schedules
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval={{_base_.max_iters}}),
    sampler_seed=dict(type='DistSamplerSeedHook'))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0, deterministic=True)
custom_hooks = [dict(type='StitchSamplingHook', strategy='flops_grouped', num_init_images=64, gap_gflops=0.004)]
