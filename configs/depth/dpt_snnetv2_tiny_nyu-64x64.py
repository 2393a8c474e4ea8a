# Tiny CPU variant of the DPT NYUv2 config: random-init tiny anchors (width 32/64, depth 2/4),
# 64x64 crops of 64x80 images, 40 epochs of 6 iterations (about 10 s of training on one CPU
# core). Same loop, head, loss, schedule shape and metric as the full config.
# Data: python tools/make_tiny_data.py nyu data/tiny/nyu (read relative to the working directory)
_base_ = [
    '../_base_/models/dpt_snnetv2_tiny.py', '../_base_/datasets/tiny-nyu_bs4_64x64.py',
    '../_base_/schedules/tiny_adamw-cosine_40e.py', 'mmseg::_base_/default_runtime.py',
    '../_base_/snnet_training.py',
]

log_processor = dict(by_epoch=True)
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=8, gap_gflops=0.0005)]  # 3 groups
randomness = dict(seed=0)
