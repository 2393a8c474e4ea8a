# SN-Netv2's ADE20K recipe: SETR-naive (SETR-UP head + 3 auxiliary heads) on stitched DeiT3-S/L,
# 512x512 crops, 160k iterations, 8 GPUs x 2 = 16 images/iter, sliding-window test (512 crops,
# stride 341), LoRA rank 16 stitching layers. The optimizer that ran (docs/recipes.md) is mmseg's
# schedule_160k as it stands: SGD lr 0.01, momentum 0.9, weight decay 5e-4, one lr for every
# parameter, poly. (The official config's top-level `optimizer = dict(weight_decay=0.0,
# paramwise_cfg=head x10)` never reached the optim_wrapper that schedule had already built.)
_base_ = [
    '../_base_/models/setr-naive_snnetv2_deit3-s-l.py', '../_base_/datasets/ade20k_bs2_512x512.py',
    '../_base_/schedules/sgd-poly_160k.py', 'mmseg::_base_/default_runtime.py', '../_base_/snnet_training.py',
]
