# UperNet + MultiLevelNeck on a stitched DeiT3-S/L backbone, ADE20K 512x512, 160k iterations,
# 8 GPUs x 2 images; mmseg's ViT-UperNet recipe (AdamW 6e-5, 1.5k warm-up, poly).
_base_ = [
    '../_base_/models/upernet_snnetv2_deit3-s-l.py', '../_base_/datasets/ade20k_bs2_512x512.py',
    '../_base_/schedules/adamw-6e-5_warmup-poly_160k.py', 'mmseg::_base_/default_runtime.py',
    '../_base_/snnet_training.py',
]
