# Quickstart, detection: stitched Mask R-CNN with ViTDet's simple feature pyramid on digit scenes
# (64x64, COCO layout, 10 digit categories), anchors = the classification stage's trained anchors
# loaded through checkpoint=. Least-squares init, the sampling hook, anchors at x0.1 lr.
# tools/quickstart.py sets the checkpoints and data root; by hand: snnet train mmdet
# configs/quickstart/digit_scenes_mask-rcnn.py (see the UperNet config).
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/digit_scenes_coco.py',
    '../_base_/schedules/digit_scenes_adamw_550i.py',
    'mmdet::_base_/default_runtime.py',
    '../_base_/snnet_training.py',
    '../_base_/models/snnetv2_digit_anchors.py',
]

norm_cfg = dict(type='LN2d', requires_grad=True)  # ViTDet's LayerNorm in the pyramid and RoI heads
model = dict(
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3, bgr_to_rgb=True, pad_size_divisor=32),
    backbone=dict(
        _delete_=True,
        type='SNNetv2',
        anchors={{_base_.anchors}},  # configs/_base_/models/snnetv2_digit_anchors.py
        out_indices=(5,),  # last block of L (S routes read their last block): the stride-8 map
        lora_rank=8,
        stitch=None),  # val/test stitch: None = L
    neck=dict(
        _delete_=True,
        type='SimpleFeaturePyramid',
        in_channels=96,  # every stitch outputs L's width
        out_channels=32,
        scale_factors=(2.0, 1.0, 0.5),  # strides 4, 8, 16 from the stride-8 map
        input_stride=8,  # patch 8
        num_extra_levels=1,  # stride 32 for the RPN
        strides=(4, 8, 16, 32),
        # No norm in the pyramid: ViTDet's LayerNorm over each position's channels erases what these
        # small anchors' tokens say (an MLP probe on RoI features after it stays at the background
        # share and 3 % digit accuracy; on the tokens themselves 90 % and 44 %), and the RoI heads
        # learned nothing (mask mAP 0.5 % for S and L after 300 steps; 10 % without the norm).
        norm=None),
    rpn_head=dict(
        in_channels=32, feat_channels=32,
        anchor_generator=dict(scales=[4], strides=[4, 8, 16, 32])),  # 16 to 128 px: digits are 16-40 px
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=32),
        bbox_head=dict(in_channels=32, fc_out_channels=128, num_classes=10),
        mask_roi_extractor=dict(out_channels=32),
        mask_head=dict(num_convs=2, in_channels=32, conv_out_channels=16, num_classes=10, norm_cfg=norm_cfg)),
    # Half of the 32 RoIs per scene positive (mmdet: a quarter): the RoI head sees more digits per step.
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=100), rcnn=dict(sampler=dict(num=32, pos_fraction=0.5))),
    test_cfg=dict(rpn=dict(nms_pre=200, max_per_img=20), rcnn=dict(max_per_img=5)))  # <= 5 digits a scene

# 550 iterations (the schedule base above; about 0.36 s each on one CPU core): the quickstart runs this
# stage after the classification stitches while the UperNet and then the DPT train beside it, and 550
# end no later than those. Mask mAP of S / L (seed 0): 25.2 / 26.5; after 400: 19.2 / 20.6; after 600 with a
# quarter of the RoIs positive: 19.0 / 22.3.
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(type='CheckpointHook', by_epoch=False, interval={{_base_.max_iters}}))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0, deterministic=True)
custom_hooks = [dict(type='StitchSamplingHook', strategy='flops_grouped', num_init_images=64, gap_gflops=0.004)]
