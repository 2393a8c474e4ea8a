# SN-Netv2's NYUv2 depth schedule as the official code ran it: 24 epochs, AdamW one-cycle to 2e-5 for
# every parameter group, gradient clip 35, a checkpoint per epoch keeping the best rmse.
# AdamW, weight decay 0.01 except position embeddings and class tokens. The official config
# sets the backbone to x0.1 lr, but mmcv's OneCycle hook gives every parameter group the same
# learning rate (format_param broadcasts max_lr), so what ran is one lr for all: so do we.
# The toolbox's 'norm' no-decay key lost to the longer 'backbone' key, so norms decay as run.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-5, betas=(0.95, 0.999), weight_decay=0.01),
    clip_grad=dict(max_norm=35, norm_type=2),
    paramwise_cfg=dict(custom_keys={
        'pos_embed': dict(decay_mult=0.0),
        'cls_token': dict(decay_mult=0.0),
    }))
# mmcv's OneCycle policy as run: lr from 2e-5/25 up to 2e-5 over 30% of the iterations (cosine),
# then down to 2e-5/2500; beta1 cycled the other way, 0.95 -> 0.85 -> 0.95 (momentum_config).
max_epochs = 24
warmup_epochs = 0.3 * max_epochs
param_scheduler = [
    dict(type='OneCycleLR', eta_max=2e-5, pct_start=0.3, div_factor=25, final_div_factor=100,
         anneal_strategy='cos', by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', eta_min=0.85, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', eta_min=0.95, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='StitchValLoop', stitches='anchors')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=2,
                    save_best='rmse', rule='less'),  # rmse of the default stitch (DeiT3-L)
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))

