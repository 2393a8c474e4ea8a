# SN-Net v1's Swin schedule: 50 epochs at 1024 images/iter, AdamW lr 1e-3 (anchors x0.1), weight
# decay 0.05 (not on norms, biases and relative position tables), gradient clip 5, 5 warm-up epochs
# then cosine to 1e-5.
_base_ = 'mmpretrain::_base_/schedules/imagenet_bs1024_adamw_swin.py'

val_cfg = dict(type='StitchValLoop', stitches='anchors')
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05, betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=5.0),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'backbone.net.anchors': dict(lr_mult=0.1),
                                    'relative_position_bias_table': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=45, eta_min=1e-5, by_epoch=True, begin=5, end=50),
]
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=5)
auto_scale_lr = dict(base_batch_size=1024, enable=False)
