# Tiny CPU variant of the DPT NYUv2 config: random-init tiny anchors (width 32/64, depth 2/4),
# 64x64 crops of 64x80 images, 40 epochs of 6 iterations (about 10 s of training on one CPU
# core). Same loop, head, loss, schedule shape and metric as the full config.
# Data: python tools/make_tiny_data.py nyu data/tiny/nyu (read relative to the working directory)
_base_ = ['./dpt_snnetv2_deit3-s-l_8xb2-24e_nyu-416x544.py']

crop_size = (64, 64)
data_root = 'data/tiny/nyu'
tiny = dict(name='vit_tiny_patch16_224', img_size=64)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        anchors=[dict(tiny, model_kwargs=dict(embed_dim=32, depth=2, num_heads=2)),
                 dict(tiny, model_kwargs=dict(embed_dim=64, depth=4, num_heads=2))],
        out_indices=(0, 1, 2, 3),
        lora_rank=4),
    decode_head=dict(in_channels=64, channels=16, post_process_channels=(8, 16, 32, 32), head_channels=8,
                     loss_decode=dict(warm_iter=10)),  # 240 iterations in all
    test_cfg=dict(crop_size=(64, 80), stride=(64, 80)))  # one window: the whole 64x80 image + flip

meta_keys = ('img_path', 'depth_map_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip',
             'flip_direction', 'category_id')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(crop_type=None)  # the NYU crop assumes 480x640 images
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=2e-3))  # random-init tiny anchors need 100x the fine-tuning lr
max_epochs = 40
param_scheduler = [  # one warm-up epoch, then cosine down to lr / 2500
    dict(type='LinearLR', start_factor=1 / 25, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=1 / 2500, by_epoch=True, begin=1, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=max_epochs))
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=8, gap_gflops=0.0005)]  # 3 groups
randomness = dict(seed=0)
