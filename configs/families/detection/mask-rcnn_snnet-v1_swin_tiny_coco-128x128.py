# Tiny CPU variant of the stitched-Swin Mask R-CNN config: random-init tiny Swin anchors (width 16,
# depths 1-1-2-1 / 1-1-3-1, window 2), 128x128 images, narrow heads, 10 iterations.
# Data: python tools/make_tiny_data.py coco data/tiny/coco
_base_ = ['./mask-rcnn_snnet-v1_swin-t-s_fpn_1x_coco.py']

image_size = (128, 128)
data_root = 'data/tiny/coco/'
metainfo = dict(classes=('shape1', 'shape2', 'shape3', 'shape4'))  # snnet_mm.tiny_data.coco.CLASSES
tiny = dict(name='swin_tiny_patch4_window7_224', img_size=128)
model = dict(
    backbone=dict(
        anchors=[dict(tiny, model_kwargs=dict(embed_dim=16, depths=(1, 1, 2, 1), num_heads=(1, 1, 2, 2),
                                              window_size=2)),
                 dict(tiny, model_kwargs=dict(embed_dim=16, depths=(1, 1, 3, 1), num_heads=(1, 1, 2, 2),
                                              window_size=2))]),
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

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=train_pipeline))
val_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=2e-3))
max_iters = 10
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5)]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=max_iters, by_epoch=False))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=8, gap_gflops=0.002)]
