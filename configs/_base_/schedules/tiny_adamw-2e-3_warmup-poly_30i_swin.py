# The stitched-Swin UperNet schedule at CPU size: the tiny UperNet one (AdamW lr 2e-3) over 30
# iterations, with no weight decay on Swin's position tables and norms.
_base_ = './tiny_adamw-2e-3_warmup-poly_40i.py'

optim_wrapper = dict(paramwise_cfg=dict(custom_keys=dict(
    _delete_=True, absolute_pos_embed=dict(decay_mult=0.0), relative_position_bias_table=dict(decay_mult=0.0),
    norm=dict(decay_mult=0.0))))
param_scheduler = [_base_.param_scheduler[0], dict(_base_.param_scheduler[1], end=30)]
train_cfg = dict(max_iters=30, val_interval=30)
default_hooks = dict(checkpoint=dict(interval=30))
