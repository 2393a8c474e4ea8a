# Tiny CPU variant of the Mask R-CNN config: random-init tiny anchors (width 32/64, depth 2/4),
# 96x128 images padded to 128x128, narrow-channel heads, 30 iterations.
# Data: python tools/make_tiny_data.py coco data/tiny/coco
_base_ = ['./mask-rcnn_snnetv2_deit3-s-l_sfp_16xb4-lsj-100e_coco-1024x1024.py']

image_size = (128, 128)
data_root = 'data/tiny/coco/'
metainfo = dict(classes=('shape1', 'shape2', 'shape3', 'shape4'))  # snnet_mm.tiny_data.coco.CLASSES
norm_cfg = dict(type='LN2d', requires_grad=True)  # SyncBN has no CPU kernel; LN needs none
tiny = dict(name='vit_tiny_patch16_224', img_size=128)
model = dict(
    data_preprocessor=dict(batch_augments=[dict(type='BatchFixedSizePad', size=image_size, pad_mask=True)]),
    backbone=dict(
        anchors=[dict(tiny, model_kwargs=dict(embed_dim=32, depth=2, num_heads=2)),
                 dict(tiny, model_kwargs=dict(embed_dim=64, depth=4, num_heads=2))],
        out_indices=(3,),  # last block of the large tiny anchor
        lora_rank=4),
    neck=dict(in_channels=64, out_channels=32),
    rpn_head=dict(in_channels=32, feat_channels=32),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=32),
        bbox_head=dict(in_channels=32, conv_out_channels=32, fc_out_channels=64, num_classes=4,
                       norm_cfg=norm_cfg),
        mask_roi_extractor=dict(out_channels=32),
        mask_head=dict(in_channels=32, conv_out_channels=32, num_classes=4, norm_cfg=norm_cfg)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=200), rcnn=dict(sampler=dict(num=64))),
    # score_thr 0.001: a barely trained tiny model still returns detections for CocoMetric to score
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100), rcnn=dict(score_thr=0.001, max_per_img=20)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomResize', scale=image_size, ratio_range=(0.8, 1.25), keep_ratio=True),  # mild jitter
    dict(type='RandomCrop', crop_type='absolute_range', crop_size=image_size, recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
# The full config's test pipeline at 128 (annotations and meta keys as there).
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=image_size, keep_ratio=True),
                 *_base_.test_pipeline[2:]]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(times=1, dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator

# Plain fp32 AdamW (AMP needs a GPU); the same layer-wise decay over the tiny depths 4 and 2.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    constructor='LayerDecayOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=8e-3, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        layer_decay_rate=0.8,
        norm_decay_mult=0.0,
        custom_keys={'.pos_embed': dict(decay_mult=0.0), '.cls_token': dict(decay_mult=0.0)}))
max_iters = 30
interval = 30
train_cfg = dict(max_iters=max_iters, val_interval=interval)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[25], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=interval))
randomness = dict(seed=0)  # reproducible tiny runs (data order, stitch sequence)
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=8, gap_gflops=0.002)]  # 3 groups at 128x128
