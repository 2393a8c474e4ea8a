# The UperNet schedule at CPU size: AdamW lr 2e-3 (random-init tiny anchors), 5 warm-up iterations,
# poly to 0 at 40 iterations, validation at the end.
_base_ = './adamw-6e-5_warmup-poly_160k.py'

optim_wrapper = dict(optimizer=dict(lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=5, end=40, by_epoch=False),
]
train_cfg = dict(max_iters=40, val_interval=40)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=20))
