# The SN-Netv2 ImageNet schedule at CPU size: 10 epochs of AdamW lr 2e-3 (instead of LAMB: its
# layer-wise trust ratio barely moves random-init tiny anchors in 50 steps), cosine to 1e-4.
# With mmpretrain's runtime: its log and checkpoint hooks at the tiny run's intervals.
_base_ = ['./imagenet_bs512_lamb_50e.py', 'mmpretrain::_base_/default_runtime.py']

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.02))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=10, eta_min=1e-4, by_epoch=True, begin=0, end=10)]
train_cfg = dict(max_epochs=10, val_interval=10)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
