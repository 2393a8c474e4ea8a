# Mask R-CNN + FPN on a stitched Swin-T/S backbone (SN-Net v1 stitches inside stages 0-2), COCO
# 2017, mmdet's Swin recipe (AdamW 1e-4, wd 0.05, 12 epochs, steps at 8 and 11, drop path 0.2).
# Every stitch returns Swin-S widths at strides 4/8/16/32, so one FPN serves all stitches.
_base_ = [
    '../../_base_/models/mask-rcnn_snnet-v1_swin-t-s_fpn.py', 'mmdet::_base_/datasets/coco_instance.py',
    '../../_base_/schedules/adamw-1e-4_1x.py', 'mmdet::_base_/default_runtime.py',
    '../../_base_/snnet_training.py',
]
