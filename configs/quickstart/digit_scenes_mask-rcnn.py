# Quickstart, detection: stitched Mask R-CNN with ViTDet's simple feature pyramid on digit scenes
# (64x64, COCO layout, 10 digit categories), anchors = the classification stage's trained anchors
# loaded through checkpoint=. Least-squares init, the sampling hook, anchors at x0.1 lr.
# tools/quickstart.py sets the checkpoints and data root; by hand: snnet train mmdet
# configs/quickstart/digit_scenes_mask-rcnn.py (see the UperNet config).
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/digit_scenes_coco.py',
    '../_base_/schedules/digit_scenes_adamw.py',
    'mmdet::_base_/default_runtime.py',
    '../_base_/snnet_training.py',
]

vit = dict(name='vit_tiny_patch16_224', img_size=64)  # trained at 32x32: position embeddings resampled
anchors = [
    dict(vit, checkpoint='work_dirs/quickstart/anchor_small.pth',
         model_kwargs=dict(patch_size=8, embed_dim=24, depth=6, num_heads=2, num_classes=10)),
    dict(vit, checkpoint='work_dirs/quickstart/anchor_large.pth',
         model_kwargs=dict(patch_size=8, embed_dim=96, depth=6, num_heads=4, num_classes=10)),
]
norm_cfg = dict(type='LN2d', requires_grad=True)  # ViTDet's LayerNorm in the pyramid and RoI heads
model = dict(
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3, bgr_to_rgb=True, pad_size_divisor=32),
    backbone=dict(
        _delete_=True,
        type='SNNetv2',
        anchors=anchors,
        out_indices=(5,),  # last block of L (S routes read their last block): the stride-8 map
        lora_rank=8,
        stitch=None),  # val/test stitch: None = L
    neck=dict(
        _delete_=True,
        type='SimpleFeaturePyramid',
        in_channels=96,  # every stitch outputs L's width
        out_channels=64,
        scale_factors=(2.0, 1.0, 0.5),  # strides 4, 8, 16 from the stride-8 map
        num_extra_levels=1,  # stride 32 for the RPN
        strides=(4, 8, 16, 32),
        norm='LN'),
    rpn_head=dict(
        in_channels=64, feat_channels=64,
        anchor_generator=dict(scales=[4], strides=[4, 8, 16, 32])),  # 16 to 128 px: digits are 16-40 px
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=128, num_classes=10),
        mask_roi_extractor=dict(out_channels=64),
        mask_head=dict(num_convs=2, in_channels=64, conv_out_channels=32, num_classes=10, norm_cfg=norm_cfg)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=100), rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=50), rcnn=dict(max_per_img=10)))

default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(type='CheckpointHook', by_epoch=False, interval={{_base_.max_iters}}))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0, deterministic=True)
custom_hooks = [dict(type='StitchSamplingHook', strategy='flops_grouped', num_init_images=64, gap_gflops=0.004)]
