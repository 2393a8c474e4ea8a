# Schedule of the quickstart's dense tasks on digit scenes (one CPU core): AdamW at 3e-3, 600
# iterations (of 8 scenes: about 5 epochs of the 1000 training scenes; the UperNet takes 32),
# 50 warm-up iterations, cosine decay. The trained anchors learn at x0.1 of the heads' and
# stitching layers' rate (SN-Net's recipe), so the
# stitching layers learn to connect anchors that change little.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=3e-3, betas=(0.9, 0.999), weight_decay=0.01),
    clip_grad=dict(max_norm=1.0),
    paramwise_cfg=dict(custom_keys={'backbone.net.anchors': dict(lr_mult=0.1)}))
max_iters = 600
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False, begin=50, end=max_iters, T_max=max_iters - 50),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='StitchValLoop', stitches='anchors')
test_cfg = dict(type='TestLoop')
