# The published SN-Netv2 SETR-naive model (converted with tools/convert_official.py): anchors are the
# relative-position DeiT3 of the official mmseg MAE backbone (snnet_mm/interop/relpos_vit.py), LoRA
# rank 16 stitching layers at the official scale alpha / r with alpha = 1, upstream SETRUPHead heads.
_base_ = './setr-naive_snnetv2_deit3-s-l.py'

model = dict(
    backbone=dict(
        anchors=[dict(name='deit3_small_patch16_relpos', img_size=512, drop_path_rate=0.1),
                 dict(name='deit3_large_patch16_relpos', img_size=512, drop_path_rate=0.1)],
        lora_rank=16,
        lora_alpha=1.0))
