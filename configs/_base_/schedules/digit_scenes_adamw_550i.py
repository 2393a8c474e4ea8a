# The digit-scene schedule (digit_scenes_adamw.py) cut to 550 iterations: the same 50 warm-up
# iterations, the cosine decay ending at the last one, one checkpoint and validation at the end.
_base_ = './digit_scenes_adamw.py'
max_iters = 550
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False, begin=50, end=max_iters, T_max=max_iters - 50),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
