# Mask R-CNN + FPN (mmdet's R50 Mask R-CNN heads) on a stitched Swin-T/S backbone (SN-Net v1 stitches
# inside stages 0-2), drop path 0.2. Every stitch returns Swin-S widths at strides 4/8/16/32, so one
# FPN serves all stitches.
_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'

anchors = [
    dict(name='swin_tiny_patch4_window7_224', checkpoint='timm:swin_tiny_patch4_window7_224.ms_in1k',
         drop_path_rate=0.2),
    dict(name='swin_small_patch4_window7_224', checkpoint='timm:swin_small_patch4_window7_224.ms_in1k',
         drop_path_rate=0.2),
]
model = dict(
    # Stages 0-3. Stitch for val/test: None = Swin-S; --cfg-options model.backbone.stitch=K.
    backbone=dict(_delete_=True, type='SNNetv2', anchors=anchors, mode='v1', out_indices=(0, 1, 2, 3), stitch=None),
    neck=dict(in_channels=[96, 192, 384, 768]))
