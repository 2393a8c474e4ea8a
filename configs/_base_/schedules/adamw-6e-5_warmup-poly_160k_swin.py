# mmseg's UperNet-Swin schedule: the ViT-UperNet one with no weight decay on Swin's position tables
# and norms.
_base_ = './adamw-6e-5_warmup-poly_160k.py'

optim_wrapper = dict(paramwise_cfg=dict(custom_keys=dict(
    _delete_=True, absolute_pos_embed=dict(decay_mult=0.0), relative_position_bias_table=dict(decay_mult=0.0),
    norm=dict(decay_mult=0.0))))
