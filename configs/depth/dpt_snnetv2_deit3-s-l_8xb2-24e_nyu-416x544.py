# SN-Netv2's NYUv2 depth recipe as the official code ran it (docs/recipes.md): DPT (class-token
# readout 'project', relu + min_depth output) on stitched DeiT3-S/L, NYU (Eigen) crop then 416x544
# crops, 24 epochs, 8 GPUs x 2 = 16 images/iter, AdamW one-cycle to 2e-5 for every parameter
# group, the toolbox's SigLoss with warm-up, depth 1e-3..10 m, LoRA rank 16 stitching layers.
# Test: the whole 480x640 image and its horizontal flip, DepthMetric with the NYU (Eigen) crop.
# Data: mmseg's NYU layout in data/nyu (mmseg's tools/dataset_converters/nyu.py).
_base_ = [
    '../_base_/models/dpt_snnetv2_deit3-s-l.py', '../_base_/datasets/nyu_bs2_416x544.py',
    '../_base_/schedules/adamw-onecycle_24e.py', 'mmseg::_base_/default_runtime.py',
    '../_base_/snnet_training.py',
]

log_processor = dict(by_epoch=True)
# Least-squares init from 10 training images (the official depth code), FLOPs-grouped sampling
# with 10-GFLOP groups (SN-Netv2 for dense tasks).
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=10, gap_gflops=10.0)]
