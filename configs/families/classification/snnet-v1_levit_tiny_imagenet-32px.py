# Tiny CPU variant of the stitched LeViT-192/256 config: random-init LeViTs shaped like them (stem
# stride 16, three stages, stages 0-1 stitchable), depths 3-3-1, widths 16-24-32 / 24-32-40
# (4 stitches in stages 0-1 + 2 anchors), 5 classes, 32x32 images (2x2 tokens in stage 0), hard
# distillation from a tiny random ResNet teacher (no download), 10 epochs of 5 iterations.
# Data: python tools/make_tiny_data.py imagenet data/tiny/imagenet
_base_ = [
    '../../_base_/models/snnet-v1_levit_tiny_in1k.py', '../../_base_/datasets/tiny-imagenet_bs8_32px.py',
    '../../_base_/schedules/imagenet_bs1024_adamw_50e.py', 'mmpretrain::_base_/default_runtime.py',
    '../../_base_/snnet_training.py',
]

# The full config's weight decay; random-init anchors need a larger lr than its fine-tuning one.
optim_wrapper = dict(optimizer=dict(lr=2e-3, weight_decay=0.025))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=10, eta_min=1e-4, by_epoch=True, begin=0, end=10)]
train_cfg = dict(max_epochs=10, val_interval=10)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10))
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=16, strategy='uniform')]
randomness = dict(seed=0)
