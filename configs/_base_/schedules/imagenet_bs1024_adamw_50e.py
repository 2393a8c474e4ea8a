# SN-Net v1's DeiT schedule as the official stitching_deit/ code ran it (params.py defaults, main.py):
# DeiT's recipe with the lr divided by 10, AdamW 5e-5 x 1024 / 512 = 1e-4, weight decay 0.05, 50
# epochs at 1024 images/iter (5 warm-up epochs from 1e-7, cosine to 1e-6).
_base_ = 'mmpretrain::_base_/schedules/imagenet_bs1024_adamw_swin.py'

val_cfg = dict(type='StitchValLoop', stitches='anchors')
# timm's create_optimizer: no decay on 1-D parameters (norms, biases). The SNNet wrapper has no
# no_weight_decay(), so position embeddings and class tokens were decayed; no gradient clipping.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-5 * 1024 / 512, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0))
# timm's cosine scheduler stepped once per epoch by main.py: warm-up from 1e-7, down to min_lr 1e-6.
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-7 / 1e-4, by_epoch=True, begin=0, end=5),
    dict(type='CosineAnnealingLR', T_max=45, eta_min=1e-6, by_epoch=True, begin=5, end=50),
]
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=5)
auto_scale_lr = dict(base_batch_size=1024, enable=False)
