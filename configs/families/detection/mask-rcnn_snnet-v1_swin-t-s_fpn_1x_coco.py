# Mask R-CNN + FPN on a stitched Swin-T/S backbone (SN-Net v1 stitches inside stages 0-2), COCO
# 2017, mmdet's Swin recipe (AdamW 1e-4, wd 0.05, 12 epochs, steps at 8 and 11, drop path 0.2).
# Every stitch returns Swin-S widths at strides 4/8/16/32, so one FPN serves all stitches.
_base_ = [
    'mmdet::swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py',
    '../../_base_/snnet_training.py',
]

anchors = [
    dict(name='swin_tiny_patch4_window7_224', checkpoint='timm:swin_tiny_patch4_window7_224.ms_in1k',
         drop_path_rate=0.2),
    dict(name='swin_small_patch4_window7_224', checkpoint='timm:swin_small_patch4_window7_224.ms_in1k',
         drop_path_rate=0.2),
]
model = dict(
    backbone=dict(
        _delete_=True,
        type='SNNetv2',
        anchors=anchors,
        mode='v1',
        out_indices=(0, 1, 2, 3),  # stages
        stitch=None),  # stitch for val/test: None = Swin-S; --cfg-options model.backbone.stitch=K
    neck=dict(in_channels=[96, 192, 384, 768]))

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=50, gap_gflops=10.0)]
val_cfg = dict(type='StitchValLoop', stitches='anchors')
