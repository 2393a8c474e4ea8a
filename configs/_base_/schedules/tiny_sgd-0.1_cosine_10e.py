# The SN-Net v1 CNN schedule at CPU size: 10 epochs of SGD lr 0.1, cosine to 1e-3; random-init
# anchors learn at the full lr (the recipe's x0.1 is for pretrained ones).
# With mmpretrain's runtime: its log and checkpoint hooks at the tiny run's intervals.
_base_ = ['./imagenet_bs1024_sgd_30e.py', 'mmpretrain::_base_/default_runtime.py']

optim_wrapper = dict(optimizer=dict(lr=0.1),
                     paramwise_cfg=dict(custom_keys={'backbone.net.anchors': dict(lr_mult=1.0)}))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=10, eta_min=1e-3, by_epoch=True, begin=0, end=10)]
train_cfg = dict(max_epochs=10, val_interval=10)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
