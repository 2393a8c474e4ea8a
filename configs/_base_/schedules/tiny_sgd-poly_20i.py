# The SETR schedule at CPU size: 20 iterations of SGD poly, validation and a checkpoint at the end.
_base_ = './sgd-poly_160k.py'

param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=20, by_epoch=False)]
train_cfg = dict(max_iters=20, val_interval=20)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=20))
