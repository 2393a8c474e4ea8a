# The stitched-Swin Mask R-CNN at CPU size: random-init tiny Swin anchors (width 16, depths 1-1-2-1 /
# 1-1-3-1, window 2) at 128x128, narrow heads, small proposal counts.
_base_ = './mask-rcnn_snnet-v1_swin-t-s_fpn.py'

tiny = dict(name='swin_tiny_patch4_window7_224', img_size=128)
model = dict(
    backbone=dict(
        anchors=[dict(tiny, model_kwargs=dict(embed_dim=16, depths=(1, 1, depth, 1), num_heads=(1, 1, 2, 2),
                                              window_size=2)) for depth in (2, 3)]),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=32),
    rpn_head=dict(in_channels=32, feat_channels=32),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=32),
        bbox_head=dict(in_channels=32, fc_out_channels=64, num_classes=4),
        mask_roi_extractor=dict(out_channels=32),
        mask_head=dict(in_channels=32, conv_out_channels=32, num_classes=4)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=200), rcnn=dict(sampler=dict(num=64))),
    # score_thr 0.001: a barely trained tiny model still returns detections for CocoMetric to score
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100), rcnn=dict(score_thr=0.001, max_per_img=20)))
