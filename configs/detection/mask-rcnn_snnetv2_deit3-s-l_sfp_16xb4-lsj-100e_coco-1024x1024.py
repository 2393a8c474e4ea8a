# Mask R-CNN on a stitched DeiT3-S/L backbone with ViTDet's simple feature pyramid, COCO 2017.
# SN-Netv2 reported COCO results without releasing the detection recipe; this follows ViTDet's
# ViT-L Mask R-CNN recipe (Li et al. 2022, detectron2 mask_rcnn_vitdet_l_100ep) as closely as mmdet
# allows: 1024x1024 large-scale jitter (scale 0.1-2.0, crop, pad to 1024), 100 epochs =
# 184,375 iterations of 64 images (16 GPUs x 4), AdamW lr 1e-4, wd 0.1, layer-wise lr decay 0.8,
# drop path 0.4 for the large anchor, LN in the pyramid and the RoI heads (4conv1fc box head),
# 2-conv RPN, step decay at 88.9% and 96.3%, 250 warm-up iterations. Plus SN-Netv2: LoRA r=16
# stitching layers, least-squares init from 50 images, FLOPs-grouped sampling (13 groups at 1024).
_base_ = [
    '../_base_/models/mask-rcnn_snnetv2_deit3-s-l_sfp.py',
    'mmdet::common/lsj-100e_coco-instance.py',  # runtime, COCO data, LSJ pipeline, bbox+segm CocoMetric
    '../_base_/snnet_training.py',
]

image_size = (1024, 1024)

# ViTDet's layer-wise lr decay: lr x rate ** (num_layers + 1 - layer), with the patch/position
# embedding at layer 0 and block i at layer i + 1 (num_layers = 24, DeiT3-L), from
# SNNetv2.get_layer_depth through snnet_mm's root LayerDecayOptimWrapperConstructor: DeiT3-S block i
# takes the DeiT3-L layer at the same relative depth, 2 * (i + 1) (0.8 ** 2 = 0.64 per small
# block, near ViTDet-B's 0.7 for 12 blocks), a stitching layer the layer after its jump point;
# pyramid and heads train at the full rate. No weight decay on norms, position embeddings, class tokens.
layer_decay_rate = 0.8
paramwise_cfg = dict(
    layer_decay_rate=layer_decay_rate,
    norm_decay_mult=0.0,
    custom_keys={'.pos_embed': dict(decay_mult=0.0), '.cls_token': dict(decay_mult=0.0)})
optim_wrapper = dict(
    _delete_=True,
    type='AmpOptimWrapper',
    constructor='LayerDecayOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.1),
    paramwise_cfg=paramwise_cfg)

max_iters = 184375  # 100 epochs of 118k images at 64 images/iter
interval = 20000
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters, val_interval=interval)
val_cfg = dict(type='StitchValLoop', stitches='anchors')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=250),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[163889, 177546], gamma=0.1),
]
train_dataloader = dict(batch_size=4, num_workers=4, sampler=dict(type='InfiniteSampler'))  # x 16 GPUs
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=interval, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)

test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='Resize', scale=image_size, keep_ratio=True),  # longest side 1024, as ViTDet tests
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# StitchSamplingHook from ../_base_/snnet_training.py: 50 images, gap 10 GFLOPs. At 1024x1024 the
# 134 stitches span 245-2067 GFLOPs and any gap from 10 to 150 gives SN-Netv2's 13 groups.
auto_scale_lr = dict(enable=False, base_batch_size=64)
