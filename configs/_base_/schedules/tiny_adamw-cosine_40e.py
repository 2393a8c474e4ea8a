# The depth schedule at CPU size: 40 epochs of AdamW lr 2e-3 (random-init tiny anchors need 100x the
# fine-tuning lr), one warm-up epoch then cosine down to lr / 2500; validation and a checkpoint at
# the end.
_base_ = './adamw-onecycle_24e.py'

optim_wrapper = dict(optimizer=dict(lr=2e-3))
max_epochs = 40
param_scheduler = [  # one warm-up epoch, then cosine down to lr / 2500
    dict(type='LinearLR', start_factor=1 / 25, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=1 / 2500, by_epoch=True, begin=1, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=max_epochs))
