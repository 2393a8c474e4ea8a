# SN-Net v1's CNN schedule: 30 epochs at 1024 images/iter, SGD Nesterov lr 0.05 (anchors x0.1),
# weight decay 2e-5 (not on norms and biases), 5 warm-up epochs then cosine to 1e-6.
_base_ = 'mmpretrain::_base_/schedules/imagenet_bs1024_adamw_swin.py'

val_cfg = dict(type='StitchValLoop', stitches='anchors')
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, nesterov=True, weight_decay=2e-5),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'backbone.net.anchors': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=25, eta_min=1e-6, by_epoch=True, begin=5, end=30),
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=5)
auto_scale_lr = dict(base_batch_size=1024, enable=False)
