# UperNet on a stitched Swin-T/S backbone (SN-Net v1 stitches inside stages 0-2), ADE20K 512x512,
# 160k iterations, 8 GPUs x 2 images; mmseg's UperNet-Swin recipe (AdamW 6e-5, wd 0.01, 1.5k
# warm-up, poly, drop path 0.3).
_base_ = [
    '../../_base_/models/upernet_snnet-v1_swin-t-s.py', '../../_base_/datasets/ade20k_bs2_512x512.py',
    '../../_base_/schedules/adamw-6e-5_warmup-poly_160k_swin.py', 'mmseg::_base_/default_runtime.py',
    '../../_base_/snnet_training.py',
]
