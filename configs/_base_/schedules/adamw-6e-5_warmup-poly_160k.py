# mmseg's ViT/Swin UperNet schedule: AdamW lr 6e-5 (betas 0.9/0.999, weight decay 0.01, none on
# position embeddings, class tokens and norms), 1.5k linear warm-up iterations from lr x 1e-6, then
# poly (power 1) to 0 at 160k iterations.
_base_ = 'mmseg::_base_/schedules/schedule_160k.py'

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={
        'pos_embed': dict(decay_mult=0.0),
        'cls_token': dict(decay_mult=0.0),
        'norm': dict(decay_mult=0.0),
    }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=160000, by_epoch=False),
]
val_cfg = dict(type='StitchValLoop', stitches='anchors')
