# Quickstart step 2: stitch the two trained anchors (checkpoints given by tools/quickstart.py as
# model.backbone.anchors.{0,1}.checkpoint), least-squares initialise the stitching layers and
# train every stitch jointly with FLOPs-grouped sampling (SN-Netv2).
_base_ = ['./digits_anchors.py']

model = dict(backbone=dict(kinds=['anchor', 'SL', 'LS', 'SLS', 'LSL']))
# Anchors at x0.1 of the stitching layers' learning rate (SN-Net's recipe): the trained anchors
# change little while the stitching layers learn to connect them.
optim_wrapper = dict(optimizer=dict(lr=5e-4),
                     paramwise_cfg=dict(custom_keys={'backbone.net.anchors': dict(lr_mult=0.1)}))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, eta_min=1e-5, begin=0, end=15, T_max=15)]
train_cfg = dict(max_epochs=15, val_interval=15)
default_hooks = dict(checkpoint=dict(interval=15))
custom_hooks = [dict(type='StitchSamplingHook', strategy='flops_grouped', num_init_images=128, gap_gflops=0.002)]
