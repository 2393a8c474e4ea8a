# Published SN-Netv2 ADE20K model (SETR-naive, DeiT3-S/L, LoRA-16 stitching layers, 160k iterations)
# converted with tools/convert_official.py. Official test settings: sliding window, 512 crops,
# stride 341. Pick a stitch with --cfg-options model.backbone.stitch=official:29.
_base_ = [
    '../_base_/models/setr-naive_snnetv2-official_deit3-s-l.py', '../_base_/datasets/ade20k_bs2_512x512.py',
    '../_base_/schedules/sgd-poly_160k.py', 'mmseg::_base_/default_runtime.py', '../_base_/snnet_training.py',
]
